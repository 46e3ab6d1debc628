"""Per-resource logs: a logger per resource, captured output, a bounded backlog, live watchers."""

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


class _ResourceLog:
    __slots__ = ("backlog", "count", "watchers")

    def __init__(self, size: int) -> None:
        self.backlog: collections.deque[LogLine] = collections.deque(maxlen=size)
        self.watchers: list[MemoryObjectSendStream[LogLine]] = []
        self.count = 0


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
    from other threads are handed to the event loop.
    """

    def __init__(self, model: DistributedApplicationModel, backlog_size: int = DEFAULT_BACKLOG) -> None:
        self._model = model
        self._size = backlog_size
        self._logs: dict[str, _ResourceLog] = {}
        self._loggers: dict[str, logging.Logger] = {}
        self._loop_thread: int | None = None
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self._listeners: list[Callable[[IResource, LogLine], None]] = []
        self._closed = False

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
            log = self._logs[key] = _ResourceLog(self._size)
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

    def write(self, resource: IResource | str, content: str, is_error: bool = False) -> None:
        """Append a line to the resource's log (thread-safe)."""
        r = self._resource(resource)
        if self._loop_thread is not None and threading.get_ident() != self._loop_thread and self._token is not None:
            try:
                anyio.from_thread.run_sync(self._write, r, content, is_error, token=self._token)
            except RuntimeError:  # the loop is gone: keep the line anyway
                self._write(r, content, is_error)
            return
        self._write(r, content, is_error)

    def _write(self, resource: IResource, content: str, is_error: bool) -> None:
        log = self._log(resource)
        log.count += 1
        line = LogLine(log.count, content.rstrip("\r\n"), is_error)
        log.backlog.append(line)
        for w in list(log.watchers):
            try:
                w.send_nowait(line)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                log.watchers.remove(w)
        for listener in self._listeners:
            listener(resource, line)

    def backlog(self, resource: IResource | str) -> list[LogLine]:
        """The lines kept for the resource (the newest ``backlog_size``)."""
        return list(self._log(self._resource(resource)).backlog)

    async def watch(self, resource: IResource | str, *, backlog: bool = True) -> AsyncIterator[LogLine]:
        """The backlog (unless ``backlog=False``), then every new line, until the app stops."""
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
                    yield line
        finally:
            if send in log.watchers:
                log.watchers.remove(send)
            send.close()

    def clear_backlog(self, resource: IResource | str) -> None:
        self._log(self._resource(resource)).backlog.clear()

    def close(self) -> None:
        """End every watch (the app stopped)."""
        self._closed = True
        for log in self._logs.values():
            for w in log.watchers:
                w.close()
            log.watchers.clear()
