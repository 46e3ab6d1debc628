"""Where event handlers run while the app runs: snapshot-changed hooks in order, background handlers apart."""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .._eventing._app import App
from .._eventing._progress_events import ResourceSnapshotChangedEvent
from .._plugins import PluginHookError

__all__ = ["BackgroundHandlers", "SnapshotHooks"]

log = logging.getLogger("aspyre.orchestrator")


class SnapshotHooks:
    """Delivers every snapshot change to the ``aspyre_resource_snapshot_changed`` hooks, in order, from
    one task, so that a slow hook never blocks the resource whose state changed."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._send: MemoryObjectSendStream[ResourceSnapshotChangedEvent] | None = None
        self._drained = anyio.Event()

    def start(self, tg: anyio.abc.TaskGroup) -> None:
        """Start delivering (only if a plugin implements the hook)."""
        pm = self._app.plugin_manager
        if pm is None or not pm.hook.aspyre_resource_snapshot_changed.get_hookimpls():
            self._drained.set()
            return
        send, receive = anyio.create_memory_object_stream[ResourceSnapshotChangedEvent](math.inf)
        self._send = send
        tg.start_soon(self._deliver, receive)

    def send(self, event: ResourceSnapshotChangedEvent) -> None:
        """Queue one change (never blocks)."""
        if self._send is not None:
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._send.send_nowait(event)

    async def close(self, timeout: float = 5) -> None:  # noqa: ASYNC109 - bounds the final delivery
        """Deliver what is queued (at most *timeout* seconds), then stop."""
        if self._send is not None:
            self._send.close()
            with anyio.move_on_after(timeout):
                await self._drained.wait()

    async def _deliver(self, receive: MemoryObjectReceiveStream[ResourceSnapshotChangedEvent]) -> None:
        try:
            async with receive:
                async for event in receive:
                    try:
                        await self._app.eventing.publish_hooks_only(event)
                    except PluginHookError as exc:
                        log.error("%s", exc)
                    except Exception as exc:
                        log.error("aspyre_resource_snapshot_changed hook failed: %s: %s", type(exc).__name__, exc)
        finally:
            self._drained.set()


class BackgroundHandlers:
    """The task group non-blocking event handlers run in (custom resources live there).

    It is cancelled and awaited during shutdown, after the resources stopped and while snapshots
    still flow, so the final states of custom resources reach watchers and hooks.
    """

    def __init__(self) -> None:
        self._stop = anyio.Event()
        self._done = anyio.Event()
        self._group: anyio.abc.TaskGroup | None = None

    async def run(self, *, task_status: anyio.abc.TaskStatus[anyio.abc.TaskGroup] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run until :meth:`stop` (start it with ``tg.start``: the task group is its start value)."""
        try:
            async with anyio.create_task_group() as background:
                self._group = background
                task_status.started(background)
                await self._stop.wait()
                background.cancel_scope.cancel()
        finally:
            self._group = None
            self._done.set()

    def start_task(self, func: Callable[..., Awaitable[object]], *args: object, name: str | None = None) -> None:
        """Run ``await func(*args)`` with the handlers (cancelled with them); what it raises is logged."""
        group = self._group
        if group is None or self._stop.is_set():
            raise RuntimeError("The app is not running: background tasks start once it is starting")
        label = name or getattr(func, "__qualname__", repr(func))

        async def guarded() -> None:
            try:
                await func(*args)
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as exc:
                log.error("background task %s failed: %s: %s", label, type(exc).__name__, exc)

        group.start_soon(guarded, name=label)

    async def stop(self, grace: float) -> None:
        """Cancel the handlers and wait for them, at most *grace* seconds."""
        self._stop.set()
        with anyio.move_on_after(grace):
            await self._done.wait()
