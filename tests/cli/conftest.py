"""Fixtures of the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import ASPYRE, Cli


@pytest.fixture
def run_cli(tmp_path: Path) -> Iterator[type[Cli]]:
    """Start ``aspyre`` commands (in ``tmp_path`` unless told); every one is killed at the end if still running."""
    started: list[Cli] = []

    class _Cli(Cli):
        def __init__(
            self, args: list[str], cwd: Path = tmp_path, env: dict[str, str] | None = None, program: str | Path = ASPYRE
        ) -> None:
            super().__init__(args, cwd, env, program)
            started.append(self)

    yield _Cli
    for cli in started:
        cli.kill()
