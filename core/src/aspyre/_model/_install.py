"""Installing an app's packages before it starts: what runs, and what decides whether it runs again.

A resource with a :class:`PackageInstallAnnotation` is installed before its first start (its state is
``Installing`` meanwhile, the installer's output goes to its log) and again only when the files that
decide the install changed. Python apps get one from ``with_uv()`` / ``with_pip()``, JavaScript apps
from ``aspyre-javascript``; an integration can attach its own.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePath

import attrs

from .._public import present as _present
from ._annotations import ResourceAnnotation

__all__ = ["INSTALL_MARKER", "InstallCommand", "PackageInstallAnnotation"]

#: The file, in :attr:`PackageInstallAnnotation.state_dir`, that keeps the hash of the last good install.
INSTALL_MARKER = ".aspyre-install"


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError("expected a sequence of strings, not one string")
    return tuple(value)


def _frozen_env(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return dict(value or {})


@attrs.frozen
class InstallCommand:
    """One command of an install: ``command`` (a path or a name on ``PATH``) with ``args``.

    It runs in the annotation's working directory with the app host's environment plus ``env``.
    """

    command: str
    args: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    env: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_env, hash=False)

    def __str__(self) -> str:
        """The command line as shown in logs: the command's file name, then the arguments (quoted, on one line)."""
        return shlex.join([PurePath(self.command).name, *self.args]).replace("\n", "\\n")


@attrs.frozen
class PackageInstallAnnotation(ResourceAnnotation):
    """Install the resource's packages before it starts; skip the install while nothing changed.

    ``plan()`` gives the commands to run; it is called only when an install runs, so it can look at
    the files present then (a lockfile decides between ``npm ci`` and ``npm install``). The install
    is skipped when :attr:`INSTALL_MARKER` in ``state_dir`` holds the hash of ``fingerprint`` and of
    the ``inputs`` as they are now; deleting ``state_dir`` (the ``.venv``, ``node_modules``) forces
    an install. Installs that share a ``state_dir`` run one at a time in an app.
    """

    #: The installer's name, shown in logs and errors (``uv``, ``pip``, ``npm``).
    installer: str
    #: Where the commands run (the app's directory).
    working_dir: Path = attrs.field(converter=Path)
    #: The commands of an install, decided when it runs.
    plan: Callable[[], Sequence[InstallCommand]]
    #: The files, relative to ``working_dir``, whose contents decide whether to install (missing ones count too).
    inputs: tuple[str, ...] = attrs.field(converter=_strings)
    #: The directory the install produces (a virtual environment, ``node_modules``): the marker lives in it.
    state_dir: Path = attrs.field(converter=Path)
    #: The installer's configuration (its command line): a change re-installs.
    fingerprint: str = ""

    @property
    def marker(self) -> Path:
        """The file that keeps the hash of the last successful install."""
        return self.state_dir / INSTALL_MARKER


# aspyre.annotations imports this module on first use only: its names report that public module however they are
# reached (the Python-app builder methods import them here directly).
_present(globals(), "aspyre.annotations")
