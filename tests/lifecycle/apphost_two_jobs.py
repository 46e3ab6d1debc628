"""An app host with two short-lived processes, and no code of any lifecycle extension.

Run by test_state_log.py in a subprocess: whatever the installed ``aspyre.hooks`` plugins do,
they do through their entry points alone. Prints each process's log as ``name| line``.
"""

from __future__ import annotations

import sys

import anyio

import aspyre

JOBS = ("job-a", "job-b")
CODE = "import os; print('my resource name is', os.environ.get('ASPYRE_RESOURCE_NAME'))"


async def main() -> None:
    builder = aspyre.DistributedApplication.create_builder([])
    for name in JOBS:
        builder.add_executable(name, sys.executable, "-c", CODE)
    async with builder.build() as app:
        for name in JOBS:
            await app.resource_notifications.wait_for_resource(name, aspyre.KnownResourceStates.FINISHED)
    for name in JOBS:
        for line in app.resource_loggers.backlog(name):
            print(f"{name}| {line.content}")


if __name__ == "__main__":
    anyio.run(main)
