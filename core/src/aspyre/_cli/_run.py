"""``aspyre run``: run an app host with a live table of its resources (or plain lines) and their logs.

Nothing here writes to the terminal from the event loop: the live table (:mod:`._live`) and the plain
console (:class:`~aspyre._hosting._console.PlainConsole`) write from threads of their own, and aspyre's own
messages go through them (plain: a writer thread on stderr).
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

import anyio

from aspyre._hosting._console import PlainConsole
from aspyre._hosting._messages import AspyreLogging, console_log_handler, messages_on_stderr

from ._live import LiveView, resource_order

if TYPE_CHECKING:
    from rich.console import Console

    from aspyre._hosting._app import DistributedApplication
    from aspyre._model._resources import IResource
    from aspyre._model._snapshot import ResourceSnapshot
    from aspyre._orchestrator._logs import LogLine

__all__ = ["AspyreLogging", "LiveView", "console_log_handler", "resource_order", "run_app"]


class View(Protocol):
    def on_snapshot(self, resource: IResource, snapshot: ResourceSnapshot) -> None: ...

    def on_log(self, resource: IResource, line: LogLine) -> None: ...

    def on_announcement(self, text: str) -> None: ...

    def __enter__(self) -> View: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


async def _run_async(app: DistributedApplication, view: View, show_logs: bool) -> int:
    if show_logs:
        app.resource_loggers.add_listener(view.on_log)
    app.add_announcement_listener(view.on_announcement)
    watch_done = anyio.Event()

    async def watch() -> None:
        try:
            async for update in app.resource_notifications.watch():
                view.on_snapshot(update.resource, update.snapshot)
        finally:
            watch_done.set()

    code = 0
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        with view:
            try:
                code = await app._run_with_signals()
            finally:
                # The last states (Finished, Exited) arrive while the app stops; show them.
                with anyio.move_on_after(2, shield=True):
                    await watch_done.wait()
                tg.cancel_scope.cancel()
    return code


def run_app(
    app: DistributedApplication,
    *,
    console: Console,
    plain: bool,
    show_logs: bool = True,
) -> int:
    """Run ``app`` until Ctrl-C / SIGTERM, showing its resources; returns the exit code.

    ``plain`` prints state-change and log lines (for pipes and CI) instead of the live table.
    The exit code is 1 when a resource failed to start.
    """
    app.options.console_output = False  # this command shows the resources itself
    if plain:
        view: View = PlainConsole(app)
        with messages_on_stderr(always=True):
            code = anyio.run(_run_async, app, view, show_logs)
    else:
        live = LiveView(app, console)
        with AspyreLogging(console_log_handler(console, sink=live.on_message)):
            code = anyio.run(_run_async, app, live, show_logs)
    failed = app.failed_resources
    if failed:
        message = f"resource(s) failed to start: {', '.join(failed)} (their logs above say why)"
        if plain:
            print(f"aspyre: error: {message}", file=sys.stderr, flush=True)
        else:
            console.print(f"[bold red]error:[/] {message}", highlight=False)
        code = code or 1
    return code
