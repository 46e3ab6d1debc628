"""Fan-out of live data to the dashboard's clients, without ever making the app host wait.

* :class:`LogHub` is registered as a listener of the app's resource loggers: each line costs one
  append to a bounded ring and, at most once per client wake-up, a wake-up call. Clients read the
  ring at their own pace in their own tasks; a client that falls behind by more than the ring
  skips ahead (the pages tell how many lines were skipped from the line numbers).
* :class:`ResourceHub` follows the snapshots (``resource_notifications.watch()``) and marks the
  changed resources dirty in each subscribed client: a client that is slow to read gets only the
  latest view of each resource (changes coalesce), never a growing queue.
"""

from __future__ import annotations

import collections
import heapq
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import aspyre

if TYPE_CHECKING:
    from ._views import ResourceViews

__all__ = ["LogEntry", "LogHub", "ResourceHub"]

#: Lines kept in the ring shared by every client (at 1,000 lines/s: 30 seconds of slack).
RING_SIZE = 30_000

Wake = Callable[[], None]


class LogEntry(NamedTuple):
    """One line of one resource, numbered across all resources (``seq``)."""

    seq: int
    resource: str
    line_number: int
    timestamp_ms: int
    is_error: bool
    text: str


class LogHub:
    """Every new log line of the app in one bounded ring, read by the clients through cursors."""

    def __init__(self, capacity: int = RING_SIZE) -> None:
        self._ring: collections.deque[LogEntry] = collections.deque(maxlen=capacity)
        #: The number of the last line appended (0: none yet).
        self.seq = 0
        #: Subscriptions reading the ring: with none, lines are not even copied (they are in the backlogs).
        self.readers = 0
        self._waiters: list[Wake] = []

    def on_line(self, resource: aspyre.IResource, line: object) -> None:
        """The resource loggers' listener (on the event loop, once per line: keep it O(1))."""
        if not self.readers:
            return
        self.seq += 1
        ts = getattr(line, "timestamp", None)
        self._ring.append(
            LogEntry(
                self.seq,
                resource.name,
                int(getattr(line, "line_number", 0)),
                int(ts.timestamp() * 1000) if ts is not None else 0,
                bool(getattr(line, "is_error", False)),
                str(getattr(line, "content", "")),
            )
        )
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for wake in waiters:
                wake()

    def wake_on_next_line(self, wake: Wake) -> None:
        """Call ``wake()`` once, at the next line (a client that read everything waits for more)."""
        self._waiters.append(wake)

    def forget(self, wake: Wake) -> None:
        self._waiters = [w for w in self._waiters if w is not wake]

    def read(self, cursor: int, resource: str | None, limit: int) -> tuple[list[LogEntry], int]:
        """Lines after ``cursor`` (of ``resource``, or all), and the cursor to read from next.

        Reads from the newest end, so the cost is the number of new lines, not the ring's size.
        A client more than ``limit`` lines behind gets the newest ``limit`` (the rest is skipped).
        """
        if cursor >= self.seq:
            return [], cursor
        newest_first: list[LogEntry] = []
        for entry in reversed(self._ring):
            if entry.seq <= cursor:
                break
            if resource is None or entry.resource == resource:
                newest_first.append(entry)
                if len(newest_first) >= limit:
                    break
        newest_first.reverse()
        return newest_first, self.seq


def backlog(app: aspyre.events.App, resource: str | None, window: int) -> list[LogEntry]:
    """The last ``window`` lines kept by the app's loggers: of one resource, or of all, interleaved by time."""
    loggers = app.resource_loggers

    def entries(name: str) -> list[LogEntry]:
        lines = loggers.backlog(name)
        return [
            LogEntry(0, name, ln.line_number, int(ln.timestamp.timestamp() * 1000), ln.is_error, ln.content)
            for ln in itertools.islice(lines, max(0, len(lines) - window), None)
        ]

    if resource is not None:
        return entries(resource)
    merged = heapq.merge(*(entries(r.name) for r in app.model), key=lambda e: e.timestamp_ms)
    return list(collections.deque(merged, maxlen=window))


class ResourceHub:
    """The latest snapshot of every resource, and which clients still have to be told about a change."""

    def __init__(self, app: aspyre.events.App, views: ResourceViews) -> None:
        self.app = app
        self.views = views
        self._subscribers: list[Callable[[str], None]] = []

    def subscribe(self, mark: Callable[[str], None]) -> None:
        self._subscribers.append(mark)

    def unsubscribe(self, mark: Callable[[str], None]) -> None:
        self._subscribers = [m for m in self._subscribers if m is not mark]

    def snapshot(self, name: str) -> aspyre.ResourceSnapshot | None:
        return self.app.resource_notifications.get_snapshot(name)

    def view_json(self, name: str) -> str:
        resource = self.app.model[name]
        return self.views.view_json(resource, self.snapshot(name))

    async def follow(self) -> None:
        """Follow every snapshot change until the app stops (the dashboard's task)."""
        async for update in self.app.resource_notifications.watch():
            name = update.resource.name
            for mark in list(self._subscribers):
                mark(name)
