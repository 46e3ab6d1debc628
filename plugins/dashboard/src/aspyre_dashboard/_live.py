"""One browser tab's live connection: a WebSocket carrying resource changes and log lines.

The client subscribes to topics (``{"t": "sub", "topic": "resources"}``, ``{"t": "sub", "topic":
"logs", "id": 1, "resource": "api", "window": 5000}``) and the server answers with batches
(``{"t": "resources", "reset": true, "items": [...]}``, ``{"t": "logs", "id": 1, "lines": [...]}``).

Each connection has one sender task that wakes up when something it subscribed to changed,
waits a few milliseconds so bursts become one message, then sends what is new. Nothing is queued
per connection: resource changes coalesce into a set of names, log lines are read from the shared
ring (:class:`~aspyre_dashboard._hub.LogHub`), so a slow client costs its own socket's buffer and
nothing else. Other topics (telemetry) plug in through :class:`Topic`.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from ._hub import LogEntry, backlog

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

    from ._dashboard import Dashboard

__all__ = ["LiveConnection", "Topic"]

log = logging.getLogger("aspyre.dashboard")

#: Seconds a sender waits after a wake-up, so that a burst of changes goes out as one message.
BATCH_DELAY = 0.025
#: Log lines per message (backlogs go out in several).
LINES_PER_MESSAGE = 2000
#: The most log lines a client may ask to be shown (the page's window).
MAX_WINDOW = 20_000
#: Subscriptions to logs one connection may hold at once.
MAX_LOG_SUBSCRIPTIONS = 8
#: Client messages are small; anything bigger is refused.
MAX_CLIENT_MESSAGE = 16 * 1024


class Topic(Protocol):
    """A kind of live data beyond resources and logs (the telemetry pages add theirs).

    ``subscribe(connection, message)`` is called for ``{"t": "sub", "topic": NAME, ...}``; the topic
    then calls ``connection.poke()`` when it has something, and ``collect(connection)`` returns the
    messages (JSON text) to send at the next batch.
    """

    def subscribe(self, connection: LiveConnection, message: dict[str, Any]) -> None: ...

    def unsubscribe(self, connection: LiveConnection) -> None: ...

    def collect(self, connection: LiveConnection) -> list[str]: ...


class _LogSubscription:
    __slots__ = ("cursor", "id", "pending", "resource", "window")

    def __init__(self, sub_id: int, resource: str | None, window: int, cursor: int, pending: list[LogEntry]) -> None:
        self.id = sub_id
        self.resource = resource
        self.window = window
        self.cursor = cursor
        self.pending: list[LogEntry] | None = pending  # the backlog, sent first (None: sent)


def _lines(entries: list[LogEntry]) -> list[list[Any]]:
    return [[e.resource, e.line_number, e.timestamp_ms, 1 if e.is_error else 0, e.text] for e in entries]


class LiveConnection:
    """Serves one WebSocket until the client leaves or the app stops."""

    def __init__(self, dashboard: Dashboard, websocket: WebSocket) -> None:
        self.dashboard = dashboard
        self.websocket = websocket
        self._wake = anyio.Event()
        self._dirty: set[str] | None = None  # None: not subscribed to resources
        self._reset = False
        self._logs: dict[int, _LogSubscription] = {}
        self._waiting_for_lines = False
        self._topics: dict[str, Topic] = {}
        self._closed = False

    # -- wake-ups (called on the event loop by the hubs: cheap) -----------------------------------------
    def poke(self) -> None:
        """Something this connection follows changed: the sender will look."""
        self._wake.set()

    def _mark(self, name: str) -> None:
        if self._dirty is not None:
            self._dirty.add(name)
            self._wake.set()

    def _line_arrived(self) -> None:
        self._waiting_for_lines = False
        self._wake.set()

    def close_soon(self) -> None:
        """The app is stopping: say goodbye and close."""
        self._closed = True
        self._wake.set()

    # -- running ------------------------------------------------------------------------------------------
    async def run(self) -> None:
        await self.websocket.accept()
        self.dashboard.connections.add(self)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._receive, tg.cancel_scope)
                await self._send_loop()
                tg.cancel_scope.cancel()
        except Exception as exc:
            if not _is_disconnect(exc):  # not just a client that went away mid-send: say what broke
                log.error("the dashboard's live connection failed: %s: %s", type(exc).__name__, exc, exc_info=exc)
        finally:
            self.dashboard.connections.discard(self)
            self.dashboard.resource_hub.unsubscribe(self._mark)
            self.dashboard.log_hub.forget(self._line_arrived)
            self.dashboard.log_hub.readers -= len(self._logs)
            self._logs.clear()
            for topic in self._topics.values():
                topic.unsubscribe(self)

    async def _receive(self, scope: anyio.CancelScope) -> None:
        from starlette.websockets import WebSocketDisconnect

        try:
            while True:
                text = await self.websocket.receive_text()
                if len(text) > MAX_CLIENT_MESSAGE:
                    continue
                try:
                    message = json.loads(text)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._handle(message)
        except (WebSocketDisconnect, RuntimeError, KeyError):
            self._closed = True
            scope.cancel()

    def _handle(self, message: dict[str, Any]) -> None:
        kind, topic = message.get("t"), message.get("topic")
        if kind == "sub" and topic == "resources":
            if self._dirty is None:
                self._dirty = set()
                self.dashboard.resource_hub.subscribe(self._mark)
            self._reset = True
            self.poke()
        elif kind == "unsub" and topic == "resources":
            self._dirty = None
            self.dashboard.resource_hub.unsubscribe(self._mark)
        elif kind == "sub" and topic == "logs":
            self._subscribe_logs(message)
        elif kind == "unsub" and topic == "logs":
            if self._logs.pop(message.get("id"), None) is not None:  # type: ignore[arg-type]
                self.dashboard.log_hub.readers -= 1
        elif kind in ("sub", "unsub") and isinstance(topic, str):
            found = self.dashboard.topics.get(topic)
            if found is None:
                return
            if kind == "sub":
                self._topics[topic] = found
                found.subscribe(self, message)
            elif self._topics.pop(topic, None) is not None:
                found.unsubscribe(self)

    def _subscribe_logs(self, message: dict[str, Any]) -> None:
        sub_id = message.get("id")
        resource = message.get("resource")
        window = message.get("window", 5000)
        if not isinstance(sub_id, int) or not isinstance(window, int):
            return
        if resource is not None and (not isinstance(resource, str) or resource not in self.dashboard.app.model):
            return
        if len(self._logs) >= MAX_LOG_SUBSCRIPTIONS and sub_id not in self._logs:
            return
        window = max(1, min(window, MAX_WINDOW))
        name = self.dashboard.app.model[resource].name if resource is not None else None
        # Synchronously: the backlog and the ring's position describe the same moment.
        hub = self.dashboard.log_hub
        if sub_id not in self._logs:
            hub.readers += 1
        self._logs[sub_id] = _LogSubscription(sub_id, name, window, hub.seq, backlog(self.dashboard.app, name, window))
        self.poke()

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            if self._closed:
                await self._goodbye()
                return
            await anyio.sleep(BATCH_DELAY)
            for text in self._collect():
                await self.websocket.send_text(text)
            if self._logs and not self._wake.is_set():
                seq = self.dashboard.log_hub.seq
                if any(sub.cursor < seq for sub in self._logs.values()):
                    self.poke()  # lines arrived while sending
                elif not self._waiting_for_lines:
                    self._waiting_for_lines = True
                    self.dashboard.log_hub.wake_on_next_line(self._line_arrived)

    async def _goodbye(self) -> None:
        with anyio.move_on_after(1):
            await self.websocket.send_text('{"t":"bye","reason":"The app host stopped."}')
            await self.websocket.close(code=1001)

    def _collect(self) -> list[str]:
        out: list[str] = []
        hub = self.dashboard.resource_hub
        if self._dirty is not None and (self._dirty or self._reset):
            hub.views.refresh_secrets()
            if self._reset:
                names = hub.views.names()
                self._reset = False
            else:
                names = [n for n in hub.views.names() if n in self._dirty]
            self._dirty.clear()
            items = ",".join(hub.view_json(n) for n in names)
            reset = "true" if len(names) == len(hub.views.names()) else "false"
            out.append(f'{{"t":"resources","reset":{reset},"items":[{items}]}}')
        log_hub = self.dashboard.log_hub
        for sub in list(self._logs.values()):
            if sub.pending is not None:
                pending, sub.pending = sub.pending, None
                chunks = [pending[i : i + LINES_PER_MESSAGE] for i in range(0, len(pending), LINES_PER_MESSAGE)] or [[]]
                for i, chunk in enumerate(chunks):
                    message = {"t": "logs", "id": sub.id, "backlog": True, "end": i == len(chunks) - 1}
                    message["lines"] = _lines(chunk)
                    out.append(json.dumps(message, ensure_ascii=False))
            entries, sub.cursor = log_hub.read(sub.cursor, sub.resource, sub.window)
            for i in range(0, len(entries), LINES_PER_MESSAGE):
                out.append(
                    json.dumps(
                        {"t": "logs", "id": sub.id, "lines": _lines(entries[i : i + LINES_PER_MESSAGE])},
                        ensure_ascii=False,
                    )
                )
        for topic in self._topics.values():
            out.extend(topic.collect(self))
        return out


def _is_disconnect(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_disconnect(e) for e in exc.exceptions)
    from starlette.websockets import WebSocketDisconnect

    return isinstance(exc, WebSocketDisconnect | OSError | anyio.BrokenResourceError | anyio.ClosedResourceError)
