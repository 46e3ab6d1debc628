"""``aspyre run``: run an app host with a live table of its resources (or plain lines) and their logs.

Nothing here writes to the terminal from the event loop: the live table (:mod:`._live`) and the plain
console (:class:`~aspyre._hosting._console.PlainConsole`) write from threads of their own, and aspyre's own
messages go through them (plain: a writer thread on stderr).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TextIO

import anyio

from aspyre._hosting._console import CLOSE_SECONDS, PlainConsole
from aspyre._hosting._writer import LineWriter

from ._live import LiveView, resource_order

if TYPE_CHECKING:
    from rich.console import Console

    from aspyre._hosting._app import DistributedApplication
    from aspyre._model._resources import IResource
    from aspyre._model._snapshot import ResourceSnapshot
    from aspyre._orchestrator._logs import LogLine

__all__ = ["AspyreLogging", "LiveView", "console_log_handler", "resource_order", "run_app"]

#: Where a message goes instead of the console while a view shows (text, style); False: not taken.
MessageSink = Callable[[str, str], bool]


class View(Protocol):
    def on_snapshot(self, resource: IResource, snapshot: ResourceSnapshot) -> None: ...

    def on_log(self, resource: IResource, line: LogLine) -> None: ...

    def __enter__(self) -> View: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _ConsoleLogHandler(logging.Handler):
    """aspyre's own log records (``aspyre.*`` loggers), as ``aspyre: message`` lines."""

    def __init__(self, console: Console | None, stream: TextIO | None, sink: MessageSink | None) -> None:
        super().__init__(logging.INFO)
        self._console = console
        self._stream = stream
        self._sink = sink
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
            text = f"aspyre: {level}{message}"
            style = (
                "bold red"
                if record.levelno >= logging.ERROR
                else "yellow"
                if record.levelno >= logging.WARNING
                else "dim"
            )
            if self._sink is not None and self._sink(text, style):
                return
            if self._console is not None:
                from rich.text import Text

                self._console.print(Text(text, style=style), soft_wrap=True)
            else:
                print(text, file=self._stream or sys.stderr, flush=True)
        except Exception:  # pragma: no cover - logging must not raise
            self.handleError(record)


def console_log_handler(
    console: Console | None = None, stream: TextIO | None = None, *, sink: MessageSink | None = None
) -> logging.Handler:
    """A handler printing aspyre's log records through a rich console, or as plain lines on ``stream``.

    ``sink(text, style)``, when given, is offered each message first (a view showing, a writer thread);
    the handler prints it itself only when the sink returns False.
    """
    return _ConsoleLogHandler(console, stream, sink)


class AspyreLogging:
    """Route the ``aspyre`` logger to the terminal for the duration of a command."""

    def __init__(self, handler: logging.Handler, level: int = logging.INFO) -> None:
        self._handler = handler
        self._logger = logging.getLogger("aspyre")
        self._saved_level = self._logger.level
        self._level = level

    def __enter__(self) -> None:
        self._handler.setLevel(self._level)
        self._logger.addHandler(self._handler)
        if self._logger.level == logging.NOTSET or self._logger.level > self._level:
            self._logger.setLevel(self._level)

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._saved_level)


async def _run_async(app: DistributedApplication, view: View, show_logs: bool) -> int:
    if show_logs:
        app.resource_loggers.add_listener(view.on_log)
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
    messages: LineWriter | None = None
    if plain:
        messages = LineWriter(sys.stderr, name="stderr")

        def to_stderr(text: str, style: str, writer: LineWriter = messages) -> bool:
            return writer.running and writer.write_line(text, droppable=False)

        view: View = PlainConsole(app)
        handler = console_log_handler(None, sys.stderr, sink=to_stderr)
        messages.start()
    else:
        live = LiveView(app, console)
        view = live
        handler = console_log_handler(console, sink=live.on_message)
    try:
        with AspyreLogging(handler):
            code = anyio.run(_run_async, app, view, show_logs)
    finally:
        if messages is not None:
            messages.close(CLOSE_SECONDS)
    failed = app.failed_resources
    if failed:
        message = f"resource(s) failed to start: {', '.join(failed)} (their logs above say why)"
        if plain:
            print(f"aspyre: error: {message}", file=sys.stderr, flush=True)
        else:
            console.print(f"[bold red]error:[/] {message}", highlight=False)
        code = code or 1
    return code
