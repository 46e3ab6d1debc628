"""Shared by the app tests: fixture apps copied into fresh directories, the states a resource went through."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from aspyre import DistributedApplication

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REQUIRE_NODE = os.environ.get("ASPYRE_REQUIRE_NODE") == "1"


def copy_app(name: str, where: Path) -> Path:
    """A fresh copy of the fixture app ``name`` under ``where`` (nothing installed yet)."""
    target = where / name
    shutil.copytree(FIXTURES / name, target)
    return target


def require_node() -> None:
    """Skip (or fail under ASPYRE_REQUIRE_NODE=1, as CI sets) when node or npm is not on PATH."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{' and '.join(missing)} not on PATH: install Node.js to run the JavaScript app tests"
    if REQUIRE_NODE:
        pytest.fail(f"ASPYRE_REQUIRE_NODE=1 but {message}")
    pytest.skip(message)


def log_text(app: DistributedApplication, name: str) -> str:
    return "\n".join(line.content for line in app.resource_loggers.backlog(name))


@contextlib.asynccontextmanager
async def recorded_states(app: DistributedApplication, name: str) -> AsyncIterator[list[str]]:
    """The states ``name`` goes through while the block runs: start the app in it, and stop it there too (the
    app's task group must close before the recorder's)."""
    states: list[str] = []

    async def record() -> None:
        async for update in app.resource_notifications.watch():
            if update.resource_name == name and (not states or states[-1] != update.snapshot.state_text):
                states.append(update.snapshot.state_text)

    async with anyio.create_task_group() as tg:
        tg.start_soon(record)
        await anyio.lowlevel.checkpoint()
        yield states
        tg.cancel_scope.cancel()
