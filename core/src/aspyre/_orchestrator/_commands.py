"""The Start, Stop and Restart commands of the running app (Aspire's resource commands).

Commands on one resource are serialised by its run's lock and are idempotent: starting a resource that
runs (or is starting, or waiting: then it starts without waiting further) and stopping one that does not
run change nothing. A command returns once it took effect: a start once the new run is at least Starting,
a stop once the resource reached its final state, a restart both. See docs/running.md#commands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from .._eventing._app import ExecuteCommandContext
from .._model._commands import ResourceCommandAnnotation
from .._model._resources import IResource
from .._model._snapshot import KnownResourceStates, StateStyle
from ._runs import ResourceRun, StopReason
from ._snapshots import has_lifecycle

if TYPE_CHECKING:
    from ._notifications import ResourceNotificationService

__all__ = ["ResourceCommands"]

S = KnownResourceStates


class ResourceCommands:
    """The commands, mixed into :class:`~._orchestrator.Orchestrator` (which provides what is declared here)."""

    app: Any
    notifications: ResourceNotificationService
    _tg: anyio.abc.TaskGroup | None
    _stopping: bool

    if TYPE_CHECKING:

        def _run(self, r: IResource) -> ResourceRun: ...

        def _set_state(self, r: IResource, state: str, style: str | None = None, **changes: Any) -> None: ...

        async def _run_resource(
            self,
            r: IResource,
            scope: anyio.CancelScope,
            created: anyio.Event | None = None,
            *,
            task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
        ) -> None: ...

    def _running_group(self, r: IResource) -> anyio.abc.TaskGroup:
        if self._tg is None:
            raise RuntimeError("The app is not running: start it first (async with app / app.run())")
        if self._stopping:
            raise RuntimeError(f"The app is stopping: resource {r.name!r} cannot be started")
        return self._tg

    async def start_resource(self, r: IResource) -> None:
        """The Start command: start *r* unless it runs; returns once the new run is at least Starting."""
        self._running_group(r)
        run = self._run(r)
        if not has_lifecycle(r):
            if self._command(r, "start") is not None:
                await self.execute_command(r, "start")
                return
            raise TypeError(
                f"Resource {r.name!r} ({type(r).__name__}) is neither a container nor a process and has no "
                "'start' command (with_command('start', ...)) to start it"
            )
        async with run.lock:
            await self._start_locked(r)

    async def _start_locked(self, r: IResource) -> None:
        run = self._run(r)
        snap = self.notifications.get_snapshot(r)
        if run.running:
            if snap is not None and snap.state_text == S.WAITING:
                run.force_start.set()
            return
        tg = self._running_group(r)
        await tg.start(self._run_resource, r, run.begin())

    def _command(self, r: IResource, name: str) -> ResourceCommandAnnotation | None:
        return next((c for c in r.annotations.all(ResourceCommandAnnotation) if c.name == name), None)

    async def stop_resource(self, r: IResource) -> None:
        """The Stop command: stop the resource (a persistent container too: it is stopped, and kept)."""
        if not has_lifecycle(r):
            if self._command(r, "stop") is not None:
                await self.execute_command(r, "stop")
            return
        async with self._run(r).lock:
            await self._stop(r, StopReason.COMMAND)

    async def _stop(self, r: IResource, reason: StopReason) -> None:
        run = self._run(r)
        if run.scope is None:
            return
        if run.stop_reason is None:
            run.stop_reason = reason
        self._set_state(r, S.STOPPING, StateStyle.INFO)
        run.scope.cancel()
        await run.done.wait()

    async def execute_command(self, r: IResource, name: str) -> Any:
        """Run a command: the resource's own (``with_command``), else the built-in start, stop, restart.

        A failing command raises to its caller; it never stops the app or another resource.
        """
        command = self._command(r, name)
        if command is not None:
            result = command.execute(ExecuteCommandContext(self.app, r))
            if hasattr(result, "__await__"):
                result = await result
            return result
        builtin: dict[str, Callable[[IResource], Awaitable[None]]] = {
            "start": self.start_resource,
            "stop": self.stop_resource,
            "restart": self._restart,
        }
        if name in builtin:
            return await builtin[name](r)
        raise LookupError(f"Resource {r.name!r} has no command {name!r}")

    async def _restart(self, r: IResource) -> None:
        if not has_lifecycle(r):
            await self.stop_resource(r)
            await self.start_resource(r)
            return
        self._running_group(r)
        async with self._run(r).lock:
            await self._stop(r, StopReason.COMMAND)
            await self._start_locked(r)
