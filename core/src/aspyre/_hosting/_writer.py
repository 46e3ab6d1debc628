"""Console output that never blocks the app: the event loop queues lines, a thread writes them.

A terminal that is paused or slow, or a pipe nobody reads (``aspyre run | less``, stopped), must not stop
the app: writing to it would block the event loop, and with it every resource, health check and Ctrl-C.
So the loop only appends to an :class:`OutputQueue` (bounded in items and characters) and a writer
thread writes. When the queue is full, log lines are dropped and counted, and the count is written where
they were dropped (``aspyre: 1,234 log lines not shown: ...``); lines that must not be lost (state changes,
aspyre's own messages) are kept while they fit a larger bound. The thread writes straight to the file
descriptor (``os.write``), not through Python's buffered ``sys.stdout``: a thread blocked on a stalled pipe
then holds no lock that the rest of the program, or the interpreter's exit, would wait for.
"""

from __future__ import annotations

import io
import os
import select
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Generic, TextIO, TypeVar, cast

__all__ = ["FdFile", "LineWriter", "OutputQueue", "skipped_note"]

T = TypeVar("T")

#: How long the writer thread lets lines gather before it writes the next batch.
BATCH_SECONDS = 0.005


def skipped_note(count: int) -> str:
    """What replaces lines that were not shown."""
    plural = "line" if count == 1 else "lines"
    return f"{count:,} log {plural} not shown: more than the console could take"


class OutputQueue(Generic[T]):
    """A bounded queue between the event loop (:meth:`put`, never blocks) and one writer thread (:meth:`take`).

    Droppable items are refused once ``max_items`` items or ``max_chars`` characters are queued; the
    others (state changes, messages) up to twice that. Refused items are counted: :meth:`take` returns
    the count with the items, and every item refused came after all the items it returns.
    """

    def __init__(self, max_items: int, max_chars: int) -> None:
        self._max_items = max_items
        self._max_chars = max_chars
        self._items: list[T] = []
        self._chars = 0
        self._dropped = 0
        self._cond = threading.Condition(threading.Lock())
        self._closed = False

    def put(self, item: T, chars: int, *, droppable: bool = True) -> bool:
        """Queue *item* (its size in characters); False if it was dropped."""
        with self._cond:
            factor = 1 if droppable else 2
            if (
                self._closed
                or len(self._items) >= factor * self._max_items
                or self._chars + chars > factor * self._max_chars
            ):
                self._dropped += 1
                return False
            was_empty = not self._items and not self._dropped
            self._items.append(item)
            self._chars += chars
            if was_empty:
                self._cond.notify()
            return True

    def take(self, timeout: float | None = None) -> tuple[list[T], int]:
        """Everything queued and the number of items dropped after it; waits up to *timeout* s for something."""
        with self._cond:
            if not self._items and not self._dropped and not self._closed:
                self._cond.wait(timeout)
            items, self._items = self._items, []
            dropped, self._dropped = self._dropped, 0
            self._chars = 0
            return items, dropped

    def close(self) -> None:
        """Refuse new items (they are dropped) and wake the writer."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def empty(self) -> bool:
        with self._cond:
            return not self._items and not self._dropped


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:  # a descriptor someone made non-blocking: wait until it takes more
            select.select([], [fd], [], 1.0)
            continue
        view = view[written:]


class FdFile(io.TextIOBase):
    """A text file writing straight to a file descriptor (no buffer, no lock): for the writer threads."""

    def __init__(self, fd: int, encoding: str = "utf-8") -> None:
        super().__init__()
        self._fd = fd
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        _write_all(self._fd, text.encode(self._encoding, "replace"))
        return len(text)

    def flush(self) -> None:
        return None


def fd_file(stream: IO[str]) -> IO[str] | None:
    """An :class:`FdFile` on *stream*'s descriptor (after flushing what it buffered); None if it has none."""
    try:
        fd = stream.fileno()
        stream.flush()
    except (AttributeError, OSError, ValueError):
        return None
    return cast(IO[str], FdFile(fd, getattr(stream, "encoding", None) or "utf-8"))


class LineWriter:
    """Writes lines to a stream from its own thread; :meth:`write_line` only queues (any thread, never blocks).

    ``stream`` defaults to the ``sys.stdout`` of the moment :meth:`start` is called. If the stream stops
    taking output (a paused pager, a pipe nobody reads), lines are dropped and counted once the queue is
    full, and the app goes on. If it is closed (``| head`` exited), what follows is discarded.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        max_lines: int = 10_000,
        max_chars: int = 4 * 1024 * 1024,
        note: Callable[[int], str] = lambda n: f"aspyre: {skipped_note(n)}",
        name: str = "stdout",
    ) -> None:
        self._stream = stream
        self._queue: OutputQueue[str] = OutputQueue(max_lines, max_chars)
        self._note = note
        self._name = name
        self._thread: threading.Thread | None = None
        self._broken = False

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._queue.closed

    def start(self) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        out = fd_file(stream) or stream
        self._thread = threading.Thread(target=self._run, args=(out,), name=f"aspyre-console-{self._name}", daemon=True)
        self._thread.start()

    def write_line(self, text: str, *, droppable: bool = True) -> bool:
        """Queue one line (without its newline); False if it was dropped."""
        return self._queue.put(text, len(text), droppable=droppable)

    def close(self, timeout: float = 2.0) -> bool:
        """Write what is queued, then stop; False if the stream did not take it within *timeout* s (given up)."""
        self._queue.close()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _run(self, out: IO[str]) -> None:
        while True:
            lines, dropped = self._queue.take()
            if lines or dropped:
                text = "".join(f"{line}\n" for line in lines)
                if dropped:
                    text += self._note(dropped) + "\n"
                self._write(out, text)
            if self._queue.closed and self._queue.empty():
                return
            time.sleep(BATCH_SECONDS)

    def _write(self, out: IO[str], text: str) -> None:
        if self._broken:
            return
        try:
            out.write(text)
            out.flush()
        except (OSError, ValueError):  # EPIPE (`| head` exited), a closed stream: nobody reads any more
            self._broken = True
