"""Per-resource logs: a logger per resource, captured output, a bounded backlog, live watchers.

The backlog of each resource keeps its newest lines within two bounds: a number of lines and a number of
bytes of text (UTF-8), whichever is reached first. Lines of up to 64 KiB (:data:`~._output.MAX_LINE`) would
otherwise let 10,000 lines hold 640 MiB per resource.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectSendStream

from .._model._graph import DistributedApplicationModel
from .._model._names import name_key
from .._model._resources import IResource
from .._model._snapshot import LogLine

__all__ = ["LogLine", "ResourceLoggerService"]

#: Lines kept per resource (Aspire keeps 10,000).
DEFAULT_BACKLOG = 10_000
#: Bytes of text (UTF-8) kept per resource.
DEFAULT_BACKLOG_BYTES = 4 * 1024 * 1024


def _size(content: str) -> int:
    """The UTF-8 size of a line (cheap for ASCII: ``isascii`` looks at a flag)."""
    return len(content) if content.isascii() else len(content.encode("utf-8", "surrogatepass"))


class _ResourceLog:
    __slots__ = ("backlog", "bytes", "count", "watchers")

    def __init__(self) -> None:
        self.backlog: collections.deque[LogLine] = collections.deque()
        self.watchers: list[MemoryObjectSendStream[LogLine]] = []
        self.count = 0
        #: UTF-8 bytes of the text in the backlog.
        self.bytes = 0

    def keep(self, line: LogLine, max_lines: int, max_bytes: int) -> None:
        """Append *line*, then drop the oldest lines until both bounds hold (the newest line always stays)."""
        backlog = self.backlog
        backlog.append(line)
        self.bytes += _size(line.content)
        while len(backlog) > 1 and (len(backlog) > max_lines or self.bytes > max_bytes):
            self.bytes -= _size(backlog.popleft().content)

    def clear(self) -> None:
        self.backlog.clear()
        self.bytes = 0


class _Handler(logging.Handler):
    def __init__(self, service: ResourceLoggerService, resource: IResource) -> None:
        super().__init__()
        self._service = service
        self._resource = resource
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            is_error = record.levelno >= logging.ERROR
            for line in text.splitlines() or [""]:
                self._service.write(self._resource, line, is_error)
        except Exception:  # pragma: no cover - logging must not raise
            self.handleError(record)


class ResourceLoggerService:
    """A log per resource. Lines come from the resource's logger and from its captured output.

    ``get_logger(resource)`` gives a :class:`logging.Logger` whose records become lines of the
    resource's log; ``watch(resource)`` yields the backlog, then every new line. Lines written
    from other threads are handed to the event loop. The backlog keeps the newest ``backlog_size``
    lines, fewer when their text passes ``backlog_bytes``.
    """

    def __init__(
        self,
        model: DistributedApplicationModel,
        backlog_size: int = DEFAULT_BACKLOG,
        backlog_bytes: int = DEFAULT_BACKLOG_BYTES,
    ) -> None:
        self._model = model
        self._size = backlog_size
        self._max_bytes = backlog_bytes
        self._logs: dict[str, _ResourceLog] = {}
        self._loggers: dict[str, logging.Logger] = {}
        self._loop_thread: int | None = None
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self._listeners: list[Callable[[IResource, LogLine], None]] = []
        self._closed = False

    def set_limits(self, backlog_size: int, backlog_bytes: int) -> None:
        """Change the bounds of every backlog (the app applies its options when it starts)."""
        self._size, self._max_bytes = backlog_size, backlog_bytes

    def bind_loop(self) -> None:
        """Remember the event loop (call from it): lines from other threads are sent there."""
        self._loop_thread = threading.get_ident()
        self._token = anyio.lowlevel.current_token()

    def add_listener(self, listener: Callable[[IResource, LogLine], None]) -> None:
        """Call ``listener(resource, line)`` for every line (on the event loop; keep it cheap)."""
        self._listeners.append(listener)

    def _resource(self, resource: IResource | str) -> IResource:
        return self._model[resource] if isinstance(resource, str) else resource

    def _log(self, resource: IResource) -> _ResourceLog:
        key = name_key(resource.name)
        log = self._logs.get(key)
        if log is None:
            log = self._logs[key] = _ResourceLog()
        return log

    def get_logger(self, resource: IResource | str) -> logging.Logger:
        """The logger of a resource: what it logs becomes lines of the resource's log."""
        r = self._resource(resource)
        key = name_key(r.name)
        logger = self._loggers.get(key)
        if logger is None:
            logger = logging.Logger(f"aspyre.resource.{r.name}", logging.DEBUG)
            logger.propagate = False
            logger.addHandler(_Handler(self, r))
            self._loggers[key] = logger
        return logger

    def write(
        self, resource: IResource | str, content: str, is_error: bool = False, *, replica: str | None = None
    ) -> None:
        """Append a line to the resource's log (thread-safe); ``replica``: the replica that wrote it."""
        r = self._resource(resource)
        if self._loop_thread is not None and threading.get_ident() != self._loop_thread and self._token is not None:
            try:
                anyio.from_thread.run_sync(self._write, r, content, is_error, replica, token=self._token)
            except RuntimeError:  # the loop is gone: keep the line anyway
                self._write(r, content, is_error, replica)
            return
        self._write(r, content, is_error, replica)

    def _write(self, resource: IResource, content: str, is_error: bool, replica: str | None = None) -> None:
        log = self._log(resource)
        log.count += 1
        line = LogLine(log.count, content.rstrip("\r\n"), is_error, replica=replica)
        log.keep(line, self._size, self._max_bytes)
        for w in list(log.watchers):
            try:
                w.send_nowait(line)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                log.watchers.remove(w)
        for listener in self._listeners:
            listener(resource, line)

    def backlog(self, resource: IResource | str, *, replica: str | None = None) -> list[LogLine]:
        """The lines kept for the resource (the newest, within the line and byte bounds); only those of one
        replica (its ``instance_id``) when ``replica`` is given."""
        lines = self._log(self._resource(resource)).backlog
        return [line for line in lines if line.replica == replica] if replica is not None else list(lines)

    def backlog_bytes(self, resource: IResource | str) -> int:
        """The UTF-8 size of the text the resource's backlog holds."""
        return self._log(self._resource(resource)).bytes

    async def watch(
        self, resource: IResource | str, *, backlog: bool = True, replica: str | None = None
    ) -> AsyncIterator[LogLine]:
        """The backlog (unless ``backlog=False``), then every new line, until the app stops; only the lines of one
        replica (its ``instance_id``: one stream per replica) when ``replica`` is given."""
        log = self._log(self._resource(resource))
        send, receive = anyio.create_memory_object_stream[LogLine](math.inf)
        if backlog:
            for line in log.backlog:
                send.send_nowait(line)
        if self._closed:
            send.close()
        else:
            log.watchers.append(send)
        try:
            async with receive:
                async for line in receive:
                    if replica is None or line.replica == replica:
                        yield line
        finally:
            if send in log.watchers:
                log.watchers.remove(send)
            send.close()

    def clear_backlog(self, resource: IResource | str) -> None:
        self._log(self._resource(resource)).clear()

    def close(self) -> None:
        """End every watch (the app stopped)."""
        self._closed = True
        for log in self._logs.values():
            for w in log.watchers:
                w.close()
            log.watchers.clear()
