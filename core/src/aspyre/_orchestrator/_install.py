"""The install step: a resource's packages installed before it starts, skipped while nothing changed.

The step runs the commands of the resource's :class:`PackageInstallAnnotation` (state ``Installing``, their
output in the resource's log) when the hash of the files that decide the install differs from the one kept
in the install's marker file, and writes the new hash once every command succeeded. A failing command
raises :class:`InstallError` with the installer's last lines; the orchestrator shows it as ``FailedToStart``.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import anyio

from .._model._install import InstallCommand, PackageInstallAnnotation
from ._processes import run_process
from ._reaping import ProcessWatchdog
from ._specs import ProcessSpec

__all__ = ["InstallError", "Installer", "install_hash", "install_is_current"]

#: Lines of the installer's output quoted when it fails.
LAST_LINES = 15
#: Variables that would point an installer at the app host's own environment instead of the app's.
_HOST_ENVIRONMENT = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT")


class InstallError(RuntimeError):
    """An install command failed; the message names it and quotes the installer's last lines."""


def install_hash(ann: PackageInstallAnnotation) -> str:
    """The hash of the install's configuration and of its input files as they are now (missing ones too)."""
    digest = hashlib.sha256()
    digest.update(f"{ann.installer}\0{ann.fingerprint}\0".encode())
    for name in ann.inputs:
        digest.update(name.encode() + b"\0")
        try:
            digest.update(b"+" + (ann.working_dir / name).read_bytes())
        except FileNotFoundError:
            digest.update(b"-")
        digest.update(b"\0")
    return digest.hexdigest()


def _recorded_hash(marker: Path) -> str | None:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("hash") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def install_is_current(ann: PackageInstallAnnotation) -> bool:
    """Whether the last successful install used the same configuration and inputs (the environment check)."""
    recorded = _recorded_hash(ann.marker)
    return recorded is not None and recorded == install_hash(ann)


def _write_marker(ann: PackageInstallAnnotation) -> None:
    ann.state_dir.mkdir(parents=True, exist_ok=True)
    data = {"hash": install_hash(ann), "installer": ann.installer, "inputs": list(ann.inputs)}
    ann.marker.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


class Installer:
    """Runs the install steps of one app session; installs into the same directory run one at a time."""

    def __init__(
        self,
        *,
        grace_period: Callable[[], float],
        force: anyio.Event,
        owner: str | None = None,
        watchdog: ProcessWatchdog | None = None,
    ) -> None:
        self._grace_period = grace_period
        self._force = force
        #: Installers die with their app host as the resources' processes do (see ``_reaping``).
        self._owner = owner
        self._watchdog = watchdog
        self._locks: dict[Path, anyio.Lock] = {}

    async def install(
        self,
        name: str,
        ann: PackageInstallAnnotation,
        *,
        logger: logging.Logger,
        write: Callable[[str, bool], None],
        installing: Callable[[], None],
    ) -> bool:
        """Install when needed; ``installing()`` is called before the first command. ``True`` if it installed."""
        if install_is_current(ann):
            logger.info("Packages unchanged since the last install (%s): not installing", ann.installer)
            return False
        lock = self._locks.setdefault(ann.state_dir, anyio.Lock())
        async with lock:
            if install_is_current(ann):  # another resource installed the same directory meanwhile
                logger.info("Packages installed by another resource (%s): not installing again", ann.installer)
                return False
            installing()
            ann.marker.unlink(missing_ok=True)  # an interrupted install is not a good one
            for command in ann.plan():
                await self._run(name, ann, command, logger, write)
            _write_marker(ann)
        logger.info("Packages installed (%s)", ann.installer)
        return True

    async def _run(
        self,
        name: str,
        ann: PackageInstallAnnotation,
        command: InstallCommand,
        logger: logging.Logger,
        write: Callable[[str, bool], None],
    ) -> None:
        logger.info("Installing packages: %s", command)
        last: collections.deque[str] = collections.deque(maxlen=LAST_LINES)

        def on_line(line: str, is_error: bool) -> None:
            last.append(line)
            write(line, False)  # installers report progress on stderr: their failure is told below

        env = {key: value for key, value in os.environ.items() if key not in _HOST_ENVIRONMENT}
        env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        env.update(command.env)
        spec = ProcessSpec(
            f"{name} (install)", command.command, ann.working_dir, args=command.args, env=env, inherit_environment=False
        )
        code = await run_process(
            spec,
            on_line=on_line,
            grace_period=self._grace_period(),
            force=self._force,
            owner=self._owner,
            watchdog=self._watchdog,
        )
        if code != 0:
            quoted = "\n".join(f"  | {line}" for line in last) or "  (no output)"
            raise InstallError(f"{command} failed with exit code {code} ({ann.installer}); its last lines:\n{quoted}")
