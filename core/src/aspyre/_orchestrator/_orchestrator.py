"""Run mode: start the app's resources in dependency order, watch them, stop them cleanly.

The orchestrator decides *when* (as Aspire's ``ApplicationOrchestrator``): events, waits, start order,
commands, shutdown order, health. What a resource runs as, and how, is the :class:`Executor`'s part.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import typing
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from .._eventing._app import App
from .._eventing._bus import EventDispatchBehavior
from .._eventing._events import BeforeStartEvent, Event
from .._eventing._progress_events import (
    AfterEndpointsAllocatedEvent,
    AfterResourcesCreatedEvent,
    BeforeResourceStartedEvent,
    ConnectionStringAvailableEvent,
    InitializeResourceEvent,
    ResourceEndpointsAllocatedEvent,
    ResourceSnapshotChangedEvent,
    ResourceStoppedEvent,
)
from .._model._connection_strings import ConnectionStringResource
from .._model._dependencies import ExplicitStartAnnotation
from .._model._graph import parents_of
from .._model._resources import (
    ContainerResource,
    ExecutableResource,
    IResource,
    IResourceWithConnectionString,
    IResourceWithParent,
    ParameterResource,
)
from .._model._snapshot import KnownProperties, KnownResourceStates, ResourceSnapshot, StateStyle
from .._model._value_context import ValueContext
from ._callbacks import LoopWatchdog
from ._commands import ResourceCommands
from ._executor import Executor, RuntimeUnhealthy
from ._health import pending_reports
from ._hooks import BackgroundHandlers, SnapshotHooks
from ._logs import ResourceLoggerService
from ._notifications import ResourceNotificationService
from ._readiness import Readiness
from ._runs import ResourceRun, StopReason
from ._snapshots import has_lifecycle, initial_snapshot, mirror_state, parameter_update

if TYPE_CHECKING:
    from .._model._graph import DistributedApplicationModel
    from ._options import AppOptions

__all__ = ["AppLike", "Orchestrator"]


class AppLike(App, typing.Protocol):
    """What the orchestrator needs from the application: the app as plugins see it (:class:`App`), and
    the run options (the hosting layer's ``DistributedApplication`` is one)."""

    @property
    def options(self) -> AppOptions:
        """How the app runs (timeouts, grace periods, console output...)."""
        ...


log = logging.getLogger("aspyre.orchestrator")

S = KnownResourceStates


def _leaves(exc: BaseException) -> list[BaseException]:
    """The real errors inside (possibly nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for e in exc.exceptions for leaf in _leaves(e)]
    return [exc]


def _stop_after(model: DistributedApplicationModel, running: list[IResource]) -> dict[int, list[IResource]]:
    """For each of *running* (by id), the others of *running* that depend on it: they stop before it.

    Resources that depend on each other (a cycle) stop together: neither waits for the other.
    """
    # Each resource's dependencies, computed once (the app is stopping: this must not take long).
    needs = {id(o): {id(d) for d in model.dependencies(o, recursive=True)} for o in running}
    return {
        id(r): [o for o in running if o is not r and id(r) in needs[id(o)] and id(o) not in needs[id(r)]]
        for r in running
    }


class Orchestrator(ResourceCommands):
    """Drives one app in run mode. Created by :class:`DistributedApplication` on first use."""

    def __init__(self, app: AppLike) -> None:
        self.app = app
        self.model = app.model
        self.options = app.options
        self.session_id = uuid.uuid4().hex[:12]
        self.notifications = ResourceNotificationService(
            self.model, default_wait_behavior=self.options.default_wait_behavior, on_change=self._on_change
        )
        self.loggers = ResourceLoggerService(self.model)
        self._readiness = Readiness(
            app=app,
            notifications=self.notifications,
            loggers=self.loggers,
            publish=self._publish,
            check_timeout=lambda: self.options.health_check_timeout,
        )
        self._executor = Executor(
            session_id=self.session_id,
            app_host_path=app.app_host_path,
            execution_context=app.execution_context,
            options=self.options,
            notifications=self.notifications,
            loggers=self.loggers,
        )
        self._runs: dict[int, ResourceRun] = {id(r): ResourceRun(r) for r in self.model}
        self._tg: anyio.abc.TaskGroup | None = None
        self._stop_requested = anyio.Event()
        self._stopping = False
        self._snapshot_hooks = SnapshotHooks(app)
        self._background = BackgroundHandlers()
        self._failed: list[str] = []
        #: Watches the event loop while the app runs (see :mod:`._callbacks`).
        self.watchdog = LoopWatchdog()

    # -- helpers ------------------------------------------------------------------------------------------
    def _run(self, r: IResource) -> ResourceRun:
        return self._runs[id(r)]

    def _update(self, r: IResource, fn: Callable[[ResourceSnapshot], ResourceSnapshot]) -> ResourceSnapshot:
        return self.notifications.publish_update(r, fn)

    def _set_state(self, r: IResource, state: str, style: str | None = None, **changes: Any) -> None:
        self._update(r, lambda s: s.with_state(state, style).evolve(**changes))

    def _logger(self, r: IResource) -> logging.Logger:
        return self.loggers.get_logger(r)

    async def _publish(
        self, event: Event, behavior: EventDispatchBehavior = EventDispatchBehavior.BLOCKING_SEQUENTIAL
    ) -> None:
        await self.app.eventing.publish(event, behavior)

    # -- what follows a state change: hooks, readiness, children ---------------------------------------------
    def _on_change(self, r: IResource, new: ResourceSnapshot, old: ResourceSnapshot | None) -> None:
        self._snapshot_hooks.send(ResourceSnapshotChangedEvent(r, app=self.app, snapshot=new, previous=old))
        if self._tg is None or self._stopping:
            return
        was = old.state_text if old is not None else None
        self._readiness.on_state(r, new.state_text, was)
        if was == new.state_text:
            return
        children = [c for c in self.model if isinstance(c, IResourceWithParent) and c.parent is r]
        # Children with a lifecycle of their own stop with their parent.
        if S.is_terminal(new.state_text) and not S.is_terminal(was):
            for child in children:
                if self._run(child).scope is not None:
                    self._tg.start_soon(self._guarded, child, "Stopping with its parent", self.stop_resource, child)
        # Children without a lifecycle of their own mirror their parent's state.
        for child in children:
            if not has_lifecycle(child):
                pending = pending_reports(child) if new.state_text == S.RUNNING else ()
                self._update(child, functools.partial(mirror_state, new, pending))

    # -- start ----------------------------------------------------------------------------------------------
    async def start(self, stack: contextlib.AsyncExitStack) -> None:
        """Start the app; ``stack`` unwinds it (stop everything, clean up)."""
        self.loggers.set_limits(self.options.log_backlog_lines, self.options.log_backlog_bytes)
        self.loggers.bind_loop()
        tg = await stack.enter_async_context(anyio.create_task_group())
        self._tg = tg
        self._readiness.attach(tg)
        stack.push_async_callback(self._shutdown)
        # Background event handlers (initialize-resource: custom resources live there).
        background = await tg.start(self._background.run)
        self.app.eventing.bind_task_group(background)
        self.app.eventing.on_background_error(self._background_error)
        stack.callback(self.app.eventing.bind_task_group, None)
        self._snapshot_hooks.start(tg)
        tg.start_soon(self.watchdog.run, self.options.blocked_loop_warning)

        self._executor.begin(self.model, tg)  # the container engine connects while the app starts
        await self._publish(BeforeStartEvent(app=self.app))
        for r in self.model:
            self.notifications.publish_update(r, initial_snapshot(r))
        for r in self.model:
            if isinstance(r, ParameterResource):
                self._update(r, parameter_update(r, self._logger(r)))
        await self._executor.allocate_endpoints(self.model, tg)
        await self._publish(AfterEndpointsAllocatedEvent(app=self.app))
        for r in self.model:
            await self._publish(InitializeResourceEvent(r, app=self.app), EventDispatchBehavior.NON_BLOCKING_CONCURRENT)
            await self._publish(
                ResourceEndpointsAllocatedEvent(r, app=self.app), EventDispatchBehavior.NON_BLOCKING_CONCURRENT
            )
        pending: list[anyio.Event] = []
        for r in self.model:
            if has_lifecycle(r) and not r.annotations.has(ExplicitStartAnnotation):
                ev = anyio.Event()
                pending.append(ev)
                tg.start_soon(self._run_resource, r, self._run(r).begin(), ev)
            elif isinstance(r, ConnectionStringResource):
                tg.start_soon(self._guarded, r, "Starting the connection string", self._run_connection_string, r)
        tg.start_soon(self._after_created, pending)

    def start_background_task(self, func: Callable[..., Awaitable[object]], *args: object, name: str | None) -> None:
        """Run ``func(*args)`` with the background handlers: cancelled after the resources stopped."""
        self._background.start_task(func, *args, name=name)

    async def container_host_address(self) -> str | None:
        """Where containers reach this machine (see :meth:`Executor.container_host_address`)."""
        return await self._executor.container_host_address()

    def _background_error(self, event: Event, exc: BaseException) -> None:
        r = getattr(event, "resource", None)
        logger = self._logger(r) if r is not None else log
        logger.error("%s handler failed: %s: %s", type(event).__name__, type(exc).__name__, exc)

    async def _after_created(self, pending: list[anyio.Event]) -> None:
        for ev in pending:
            await ev.wait()
        try:
            await self._publish(AfterResourcesCreatedEvent(app=self.app))
        except Exception as exc:
            log.error("after-resources-created handler failed: %s: %s", type(exc).__name__, exc)

    # -- one resource -------------------------------------------------------------------------------------
    async def _guarded(
        self, r: IResource | None, what: str, fn: Callable[..., Awaitable[object]], *args: object
    ) -> None:
        """Run ``fn(*args)`` in the app's task group: an error goes to *r*'s log, never to the other resources."""
        try:
            await fn(*args)
        except anyio.get_cancelled_exc_class():
            raise
        except (Exception, SystemExit) as exc:
            logger = self._logger(r) if r is not None else log
            logger.error("%s failed: %s: %s", what, type(exc).__name__, exc)

    async def _run_resource(
        self,
        r: IResource,
        scope: anyio.CancelScope,
        created: anyio.Event | None = None,
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """One run of *r* in *scope* (from ``run.begin()``); reports started once *r* is Starting.

        Nothing but cancellation leaves this task: a failure (of the resource, of a user callback or
        handler, even ``SystemExit``) becomes the resource's state and a line of its log.
        """
        run = self._run(r)
        started = False

        def mark_created() -> None:
            if created is not None and not created.is_set():
                created.set()

        try:
            with scope:
                try:
                    self._set_state(r, S.STARTING, StateStyle.INFO, exit_code=None, health_reports=pending_reports(r))
                    started = True
                    task_status.started()
                    await self._executor.prepare(r)  # the install step (state Installing), before the waits
                    await self._before_start(r)
                    if isinstance(r, ContainerResource):
                        await self._executor.run_container(r, run, mark_created)
                    elif isinstance(r, ExecutableResource):
                        await self._executor.run_process(r, run, mark_created)
                except anyio.get_cancelled_exc_class():
                    raise
                except RuntimeUnhealthy as exc:
                    self._logger(r).error("%s", exc)
                    self._set_state(r, S.RUNTIME_UNHEALTHY, StateStyle.ERROR)
                    self._failed.append(r.name)
                except (Exception, SystemExit) as exc:
                    self._fail(r, exc)
        finally:
            if not started:
                task_status.started()
            mark_created()
            with anyio.CancelScope(shield=True):
                if isinstance(r, ContainerResource):
                    await self._guarded(r, "Stopping the container", self._executor.stop_unfollowed, r, run)
                run.done.set()
                run.scope = None
                await self._guarded(r, "Reporting the end of the run", self._run_ended, r, run)

    async def _run_ended(self, r: IResource, run: ResourceRun) -> None:
        snap = self.notifications.get_snapshot(r)
        if snap is not None and not S.is_terminal(snap.state_text) and snap.state_text != S.RUNTIME_UNHEALTHY:
            # Cancelled (stop requested) before or while running.
            final = S.FINISHED if isinstance(r, ExecutableResource) else S.EXITED
            self._set_state(r, final, None, exit_code=run.exit_code)
        snap = self.notifications.get_snapshot(r)
        try:
            await self._publish(ResourceStoppedEvent(r, app=self.app, snapshot=snap))
        except Exception as exc:
            self._logger(r).error("A resource-stopped handler failed: %s: %s", type(exc).__name__, exc)

    def _fail(self, r: IResource, exc: BaseException) -> None:
        for leaf in _leaves(exc):
            notes = "".join(f" {note}" for note in getattr(leaf, "__notes__", ()))
            self._logger(r).error("Failed to start: %s%s", leaf, notes)
        self._failed.append(r.name)
        self._set_state(r, S.FAILED_TO_START, StateStyle.ERROR)

    async def _before_start(self, r: IResource) -> None:
        # A child starts after its parent is running.
        for p in parents_of(r):
            if has_lifecycle(p):
                await self.notifications.wait_for_resource_started(p)
        run = self._run(r)
        # Waits (Aspire implements them as the first before-resource-started subscriber).
        async with anyio.create_task_group() as tg:

            async def forced() -> None:
                await run.force_start.wait()
                tg.cancel_scope.cancel()

            tg.start_soon(forced)
            await self.notifications.wait_for_dependencies(
                r, on_waiting=lambda: self._set_state(r, S.WAITING, StateStyle.INFO)
            )
            tg.cancel_scope.cancel()
        if self.notifications.get_snapshot(r).state_text != S.STARTING:  # type: ignore[union-attr]
            self._set_state(r, S.STARTING, StateStyle.INFO)
        self._check_parameters(r)
        if isinstance(r, IResourceWithConnectionString):
            await self._publish(ConnectionStringAvailableEvent(r, app=self.app))
        await self._publish(BeforeResourceStartedEvent(r, app=self.app))

    def _check_parameters(self, r: IResource) -> None:
        missing = [
            d.name
            for d in self.model.dependencies(r, recursive=True)
            if isinstance(d, ParameterResource) and not d.has_value
        ]
        if missing:
            names = ", ".join(repr(m) for m in missing)
            keys = ", ".join(
                p.configuration_key for p in self.model if isinstance(p, ParameterResource) and p.name in missing
            )
            raise RuntimeError(f"parameter(s) {names} have no value; set the environment variable(s) {keys}")

    async def _run_connection_string(self, r: ConnectionStringResource) -> None:
        try:
            # Like Aspire, a composed connection string waits for the resources it names to start.
            for dep in self.model.dependencies(r):
                if has_lifecycle(dep):
                    await self.notifications.wait_for_resource_started(dep)
            await self._before_start(r)
            value = await r.connection_string_expression.get_value(
                ValueContext(r, execution_context=self.app.execution_context)
            )
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:
            self._fail(r, exc)
            return
        self._update(
            r,
            lambda s: s.with_state(S.RUNNING, StateStyle.SUCCESS).with_property(
                KnownProperties.Resource.CONNECTION_STRING, value, is_sensitive=True
            ),
        )

    def request_stop(self, force: bool = False) -> None:
        """Stop the app (``run()`` returns); ``force`` kills what is still stopping without more grace.

        Persistent containers are left running either way (unless the Stop command is stopping one).
        """
        self._stop_requested.set()
        if force:
            self._executor.force_stop(self._runs.values(), self._tg)

    async def wait_until_stopped(self) -> None:
        await self._stop_requested.wait()

    def exit_code(self) -> int:
        return 1 if self._failed else 0

    @property
    def failed_resources(self) -> list[str]:
        return list(self._failed)

    # -- stop ------------------------------------------------------------------------------------------------
    async def _stop_when_alone(self, r: IResource, dependants: list[anyio.Event], stopped: anyio.Event) -> None:
        """Stop *r* (app shutdown) once every resource that depends on it has stopped."""
        try:
            for ev in dependants:
                await ev.wait()
            await self._stop(r, StopReason.SHUTDOWN)
        finally:
            stopped.set()

    async def _shutdown(self) -> None:
        """Stop resources, dependents first, then release the container runtime."""
        self._stopping = True
        self._readiness.detach()
        with anyio.CancelScope(shield=True):
            # Everything at once, except that a resource waits for what depends on it to have stopped.
            running = [r for r in self.model if self._run(r).scope is not None]
            stopped = {id(r): anyio.Event() for r in running}
            after = _stop_after(self.model, running)
            async with anyio.create_task_group() as tg:
                for r in running:
                    tg.start_soon(self._stop_when_alone, r, [stopped[id(d)] for d in after[id(r)]], stopped[id(r)])
            # Custom resources (background initialize handlers) stop next, while their final
            # states still reach watchers and hooks.
            await self._background.stop(self.options.stop_grace_period)
            await self._executor.close()
            await self._snapshot_hooks.close()
            self.notifications.close()
            self.loggers.close()
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
        self._tg = None
