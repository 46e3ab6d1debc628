"""aspyre's own messages (the ``aspyre`` logger) on the console: ``aspyre: SIGINT received: stopping ...``.

``aspyre run`` shows them above its live table, or on stderr with plain output; ``python apphost.py``
(``app.run()``) shows them on stderr too, unless the program configured logging itself. On stderr a
:class:`~._writer.LineWriter` thread writes them: a stalled stderr never blocks the app.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from ._console import CLOSE_SECONDS
from ._writer import LineWriter

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["AspyreLogging", "MessageSink", "console_log_handler", "messages_on_stderr"]

#: Where a message goes instead of the console while a view shows (text, style); False: not taken.
MessageSink = Callable[[str, str], bool]


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


@contextmanager
def messages_on_stderr(*, always: bool = False) -> Iterator[None]:
    """aspyre's messages (INFO and up) as ``aspyre: ...`` lines on stderr, written by a thread.

    Unless *always*, nothing is added when logging is configured already (a handler on the ``aspyre``
    logger or the root logger): the program shows aspyre's messages its own way.
    """
    if not always and logging.getLogger("aspyre").hasHandlers():
        yield
        return
    writer = LineWriter(sys.stderr, name="stderr")

    def to_stderr(text: str, style: str) -> bool:
        return writer.running and writer.write_line(text, droppable=False)

    writer.start()
    try:
        with AspyreLogging(console_log_handler(None, sys.stderr, sink=to_stderr)):
            yield
    finally:
        writer.close(CLOSE_SECONDS)
