"""Distributions installed by hand (a ``.dist-info`` with entry points) and fresh interpreters that see them.

The process-wide plugin registry of the test process is never touched: every test that installs something
runs ``code`` in a new interpreter with the site directory on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

PYTHON = sys.executable
ASPYRE = Path(sys.executable).with_name("aspyre")


def make_dist(
    root: Path,
    name: str,
    entry_points: dict[str, dict[str, str]],
    modules: dict[str, str] | None = None,
    version: str = "1.0",
    requires: list[str] | None = None,
) -> Path:
    """Install ``name`` into the site directory ``root`` by hand: METADATA, entry_points.txt, its modules."""
    root.mkdir(parents=True, exist_ok=True)
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires or [])
    (info / "METADATA").write_text(metadata)
    lines: list[str] = []
    for group, eps in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{k} = {v}" for k, v in eps.items())
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines))
    for filename, source in (modules or {}).items():
        (root / filename).write_text(textwrap.dedent(source))
    return root


def env_with(*paths: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("ASPYRE_DISABLE_PLUGINS", "ASPYRE_DISABLE_PLUGIN_AUTOLOAD", "ASPYRE_PLUGINS"):
        env.pop(key, None)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    env["PYTHONWARNINGS"] = "default"
    env.update(extra)
    return env


def run(code: str, *paths: Path, cwd: Path, **extra: str) -> Any:
    """Run ``code`` in a fresh interpreter with ``paths`` on PYTHONPATH; it prints one JSON document last."""
    proc = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)],
        env=env_with(*paths, **extra),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def aspyre(*args: str, cwd: Path, paths: tuple[Path, ...] = (), **extra: str) -> subprocess.CompletedProcess[str]:
    """Run the ``aspyre`` command to completion, with ``paths`` on PYTHONPATH."""
    return subprocess.run(
        [str(ASPYRE), *args],
        env=env_with(*paths, **extra),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
