"""Run mode: start the app's resources in dependency order, watch them, stop them cleanly."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import socket
import typing
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import anyio.lowlevel
import attrs

from .._eventing._bus import EventDispatchBehavior
from .._eventing._events import (
    AfterEndpointsAllocatedEvent,
    AfterResourcesCreatedEvent,
    BeforeResourceStartedEvent,
    BeforeStartEvent,
    ConnectionStringAvailableEvent,
    Event,
    InitializeResourceEvent,
    ResourceEndpointsAllocatedEvent,
    ResourceReadyEvent,
    ResourceSnapshotChangedEvent,
    ResourceStoppedEvent,
)
from .._model._annotations import (
    ContainerImagePullPolicy,
    ContainerImagePullPolicyAnnotation,
    ContainerLifetime,
    ContainerMountAnnotation,
    ContainerMountType,
    ContainerNameAnnotation,
    ContainerNetworkAliasAnnotation,
    ContainerRuntimeArgsAnnotation,
    ExplicitStartAnnotation,
    KnownRelationshipTypes,
    ResourceCommandAnnotation,
    ResourceRelationshipAnnotation,
    ResourceSnapshotAnnotation,
    ResourceUrlAnnotation,
)
from .._model._endpoints import AllocatedEndpoint, EndpointAnnotation
from .._model._environment import compute_arguments, compute_environment, is_secret_value
from .._model._graph import parents_of
from .._model._resources import (
    ConnectionStringParameterResource,
    ConnectionStringResource,
    ContainerResource,
    ExecutableResource,
    IResource,
    IResourceWithConnectionString,
    IResourceWithParent,
    MissingParameterValueError,
    ParameterResource,
)
from .._model._snapshot import (
    EnvironmentVariableSnapshot,
    HealthReportSnapshot,
    KnownResourceStates,
    RelationshipSnapshot,
    ResourceSnapshot,
    StateStyle,
    UrlSnapshot,
)
from .._model._values import KnownNetworks, ValueContext, resolve_value
from ._health import HealthSettings, collect_health_checks, monitor_health, pending_reports
from ._logs import ResourceLoggerService
from ._notifications import ResourceNotificationService
from ._processes import run_process

if TYPE_CHECKING:
    from pathlib import Path

    import pluggy

    from .._eventing._bus import DistributedApplicationEventing
    from .._model._execution import ExecutionContext
    from .._model._graph import DistributedApplicationModel
    from ._containers import ContainerRuntime

__all__ = ["AppLike", "Orchestrator"]


class AppLike(typing.Protocol):
    """What the orchestrator needs from the application (the hosting layer's ``DistributedApplication``)."""

    model: DistributedApplicationModel
    eventing: DistributedApplicationEventing
    plugin_manager: pluggy.PluginManager
    execution_context: ExecutionContext
    app_host_path: Path
    options: Any

log = logging.getLogger("aspyre.orchestrator")

S = KnownResourceStates

#: How containers reach processes on the host (mapped to the host gateway in each container).
HOST_GATEWAY = "host.docker.internal"


def _free_port(taken: set[int]) -> int:
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in taken:
            taken.add(port)
            return port
    raise RuntimeError("could not find a free port on 127.0.0.1")


def _leaves(exc: BaseException) -> list[BaseException]:
    """The real errors inside (possibly nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        out: list[BaseException] = []
        for e in exc.exceptions:
            out.extend(_leaves(e))
        return out
    return [exc]


def _mirror_state(
    parent: ResourceSnapshot, pending: tuple[HealthReportSnapshot, ...], s: ResourceSnapshot
) -> ResourceSnapshot:
    """A lifecycle-less child follows its parent's state; its checks start out pending when it runs."""
    return s.evolve(state=parent.state, exit_code=parent.exit_code, health_reports=pending)


def _parameter_running(key: str, value: str, secret: bool, s: ResourceSnapshot) -> ResourceSnapshot:
    return s.with_state(S.RUNNING, StateStyle.SUCCESS).with_property(key, value, is_sensitive=secret)


def _with_urls(urls: tuple[UrlSnapshot, ...], s: ResourceSnapshot) -> ResourceSnapshot:
    return s.evolve(urls=urls)


def _is_process(r: IResource) -> bool:
    return isinstance(r, ExecutableResource)


def _is_container(r: IResource) -> bool:
    return isinstance(r, ContainerResource)


def _resource_type(r: IResource) -> str:
    return str(getattr(type(r), "resource_type", type(r).__name__))


@attrs.define(eq=False)
class _Run:
    """The live part of one resource."""

    resource: IResource
    scope: anyio.CancelScope | None = None
    done: anyio.Event = attrs.field(factory=anyio.Event)
    health_scope: anyio.CancelScope | None = None
    container: Any = None
    pid: int | None = None
    exit_code: int | None = None
    started_once: bool = False
    force_start: anyio.Event = attrs.field(factory=anyio.Event)


class Orchestrator:
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
        self.health_settings = HealthSettings()
        self._runs: dict[int, _Run] = {id(r): _Run(r) for r in self.model}
        self._tg: anyio.abc.TaskGroup | None = None
        self._stop_requested = anyio.Event()
        self._force = anyio.Event()
        self._stopping = False
        self._runtime: ContainerRuntime | None = None
        self._runtime_error: str | None = None
        self._runtime_ready = anyio.Event()
        self._hook_queue: tuple[Any, Any] | None = None
        self._hooks_drained = anyio.Event()
        self._background_stop = anyio.Event()
        self._background_done = anyio.Event()
        self._background: anyio.abc.TaskGroup | None = None
        self._failed: list[str] = []
        self._ports_taken: set[int] = set()

    # -- helpers ------------------------------------------------------------------------------------------
    def _run(self, r: IResource) -> _Run:
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

    def _on_change(self, r: IResource, new: ResourceSnapshot, old: ResourceSnapshot | None) -> None:
        # Forward to the snapshot-changed hook (fire and forget, in order).
        if self._hook_queue is not None:
            send = self._hook_queue[0]
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                send.send_nowait(ResourceSnapshotChangedEvent(r, app=self.app, snapshot=new, previous=old))
        # Health monitoring follows the Running state.
        if self._tg is None or self._stopping:
            return
        run = self._run(r)
        was = old.state_text if old is not None else None
        if new.state_text == S.RUNNING and was != S.RUNNING:
            self.notifications.reset_ready(r)
            if not collect_health_checks(r):
                # No checks: ready on Running, even if a custom state follows at once.
                self._tg.start_soon(self._fire_ready, r)
            else:
                scope = anyio.CancelScope()
                run.health_scope = scope
                self._tg.start_soon(self._monitor, r, scope)
        elif new.state_text != S.RUNNING and was == S.RUNNING and run.health_scope is not None:
            run.health_scope.cancel()
            run.health_scope = None
        # Children with a lifecycle of their own stop with their parent.
        if S.is_terminal(new.state_text) and not S.is_terminal(was):
            for child in self.model:
                if isinstance(child, IResourceWithParent) and child.parent is r and self._run(child).scope is not None:
                    self._tg.start_soon(self.stop_resource, child)
        # Children without a lifecycle of their own mirror their parent's state.
        if was != new.state_text:
            for child in self.model:
                if (
                    isinstance(child, IResourceWithParent)
                    and child.parent is r
                    and not _is_process(child)
                    and not _is_container(child)
                ):
                    pending = pending_reports(child) if new.state_text == S.RUNNING else ()
                    self._update(child, functools.partial(_mirror_state, new, pending))

    async def _monitor(self, r: IResource, scope: anyio.CancelScope) -> None:
        with scope:
            await anyio.lowlevel.checkpoint()  # the resource may have left Running already
            await monitor_health(
                r,
                app=self.app,
                publish_update=self._update,
                get_snapshot=self.notifications.get_snapshot,
                fire_ready=self._fire_ready,
                state_changed=functools.partial(self._left_running, r),
                settings=self.health_settings,
            )

    async def _left_running(self, r: IResource) -> None:
        await self.notifications.wait_for_resource(r, lambda s: s.state_text != S.RUNNING)

    async def _fire_ready(self, r: IResource) -> None:
        async def fire() -> None:
            try:
                await self._publish(ResourceReadyEvent(r, app=self.app))
            except Exception as exc:
                self._logger(r).error("A resource-ready handler failed: %s: %s", type(exc).__name__, exc)
                self.notifications.set_ready(r, exc)
            else:
                self.notifications.set_ready(r)

        if self._tg is None or self._stopping:  # a monitor that first ran after the stop began
            return
        self._tg.start_soon(fire)

    # -- start ----------------------------------------------------------------------------------------------
    async def start(self, stack: contextlib.AsyncExitStack) -> None:
        """Start the app; ``stack`` unwinds it (stop everything, clean up)."""
        self.loggers.bind_loop()
        tg = await stack.enter_async_context(anyio.create_task_group())
        self._tg = tg
        stack.push_async_callback(self._shutdown)
        # Background event handlers (initialize-resource: custom resources live there) run in their
        # own task group, cancelled and awaited during shutdown while snapshots still flow.
        background = await tg.start(self._host_background_tasks)
        self._background = background
        self.app.eventing.bind_task_group(background)
        self.app.eventing.on_background_error(self._background_error)
        stack.callback(self.app.eventing.bind_task_group, None)

        # Snapshot-changed hooks, delivered in order by one task.
        pm = self.app.plugin_manager
        if pm is not None and pm.hook.aspyre_resource_snapshot_changed.get_hookimpls():
            send, receive = anyio.create_memory_object_stream[ResourceSnapshotChangedEvent](math.inf)
            self._hook_queue = (send, receive)
            tg.start_soon(self._deliver_snapshot_hooks, receive)
        else:
            self._hooks_drained.set()

        await self._publish(BeforeStartEvent(app=self.app))
        self._initial_snapshots()
        self._resolve_parameters()
        containers = [c for c in self.model if isinstance(c, ContainerResource)]
        persistent = [c for c in containers if c.lifetime is ContainerLifetime.PERSISTENT]
        reuse_ports: dict[int, dict[tuple[int, str], int]] = {}
        if persistent:
            # Persistent containers keep their host ports across runs: ask the engine first.
            await self._connect_runtime()
            if self._runtime is not None:
                for c in persistent:
                    name_ann = c.annotations.last(ContainerNameAnnotation)
                    with contextlib.suppress(Exception):
                        reuse_ports[id(c)] = await self._runtime.persistent_host_ports(
                            c.name, name_ann.name if name_ann is not None else None
                        )
        elif containers:
            tg.start_soon(self._connect_runtime)
        else:
            self._runtime_ready.set()
        self._allocate_endpoints(reuse_ports)
        await self._publish(AfterEndpointsAllocatedEvent(app=self.app))
        for r in self.model:
            await self._publish(InitializeResourceEvent(r, app=self.app), EventDispatchBehavior.NON_BLOCKING_CONCURRENT)
            await self._publish(
                ResourceEndpointsAllocatedEvent(r, app=self.app), EventDispatchBehavior.NON_BLOCKING_CONCURRENT
            )
        pending: list[anyio.Event] = []
        for r in self.model:
            if self._auto_starts(r):
                ev = anyio.Event()
                pending.append(ev)
                tg.start_soon(self._run_resource, r, ev)
            elif isinstance(r, ConnectionStringResource):
                tg.start_soon(self._run_connection_string, r)
        tg.start_soon(self._after_created, pending)

    def start_background_task(self, func: Callable[..., Awaitable[object]], *args: object, name: str | None) -> None:
        """Run ``func(*args)`` with the background handlers: cancelled after the resources stopped."""
        group = self._background
        if group is None or self._background_stop.is_set():
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

    def _background_error(self, event: Event, exc: BaseException) -> None:
        r = getattr(event, "resource", None)
        if r is not None:
            self._logger(r).error("%s handler failed: %s: %s", type(event).__name__, type(exc).__name__, exc)
        else:
            log.error("%s handler failed: %s: %s", type(event).__name__, type(exc).__name__, exc)

    async def _deliver_snapshot_hooks(self, receive: Any) -> None:
        try:
            async with receive:
                async for event in receive:
                    try:
                        await self.app.eventing.publish_hooks_only(event)
                    except Exception as exc:
                        log.error("aspyre_resource_snapshot_changed hook failed: %s: %s", type(exc).__name__, exc)
        finally:
            self._hooks_drained.set()

    async def _host_background_tasks(
        self, *, task_status: anyio.abc.TaskStatus[anyio.abc.TaskGroup] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        try:
            async with anyio.create_task_group() as background:
                task_status.started(background)
                await self._background_stop.wait()
                background.cancel_scope.cancel()
        finally:
            self._background = None
            self._background_done.set()

    async def _after_created(self, pending: list[anyio.Event]) -> None:
        for ev in pending:
            await ev.wait()
        try:
            await self._publish(AfterResourcesCreatedEvent(app=self.app))
        except Exception as exc:
            log.error("after-resources-created handler failed: %s: %s", type(exc).__name__, exc)

    def _auto_starts(self, r: IResource) -> bool:
        return (_is_process(r) or _is_container(r)) and not r.annotations.has(ExplicitStartAnnotation)

    def _initial_snapshots(self) -> None:
        for r in self.model:
            ann = r.annotations.last(ResourceSnapshotAnnotation)
            rels: list[RelationshipSnapshot] = []
            for rel in r.annotations.all(ResourceRelationshipAnnotation):
                rels.append(RelationshipSnapshot(rel.resource.name, rel.type))
            if isinstance(r, IResourceWithParent) and all(
                not (x.resource_name == r.parent.name and x.type == KnownRelationshipTypes.PARENT) for x in rels
            ):
                rels.append(RelationshipSnapshot(r.parent.name, KnownRelationshipTypes.PARENT))
            if ann is not None:
                snap = ann.initial_snapshot
                snap = snap.evolve(relationships=tuple(snap.relationships) + tuple(rels))
            else:
                snap = ResourceSnapshot(_resource_type(r), relationships=tuple(rels))
                if _is_process(r) or _is_container(r) or isinstance(r, ConnectionStringResource):
                    snap = snap.with_state(S.NOT_STARTED)
            if _is_container(r):
                image = getattr(r, "image", None)
                if image is not None:
                    snap = snap.with_property("container.image", image.full_name)
                snap = snap.with_property("container.lifetime", getattr(r, "lifetime", ContainerLifetime.SESSION).value)
            elif isinstance(r, ExecutableResource):
                snap = snap.with_property("executable.path", r.command)
                snap = snap.with_property("executable.workDir", str(r.working_dir))
            self.notifications.publish_update(r, snap)

    def _resolve_parameters(self) -> None:
        # The builder installed each parameter's lookup (environment, secrets store, defaults):
        # reading the value runs it, so run mode needs nothing from the hosting layer.
        for r in self.model:
            if not isinstance(r, ParameterResource):
                continue
            try:
                value: str | None = r.value
            except MissingParameterValueError:
                value = None
            except Exception as exc:  # e.g. an unreadable secrets store
                value = None
                self._logger(r).error("%s", exc)
            if value is not None:
                key = "resource.connectionString" if isinstance(r, ConnectionStringParameterResource) else "Value"
                self._update(r, functools.partial(_parameter_running, key, value, r.secret))
            else:
                self._update(r, lambda s: s.with_state("Value missing", StateStyle.WARNING))
                self._logger(r).warning(
                    "Parameter %r has no value: set the environment variable %s", r.name, r.configuration_key
                )

    def _allocate_endpoints(self, reuse_ports: dict[int, dict[tuple[int, str], int]] | None = None) -> None:
        reuse_ports = reuse_ports or {}
        taken = self._ports_taken
        for ports in reuse_ports.values():
            taken.update(ports.values())
        for r in self.model:
            for ep in r.annotations.all(EndpointAnnotation):
                if ep.port is not None and not (self.options.randomize_ports and _is_container(r)):
                    taken.add(ep.port)
        for r in self.model:
            for ep in r.annotations.all(EndpointAnnotation):
                ep.allocated.clear()
                if _is_container(r):
                    assert ep.target_port is not None
                    previous = reuse_ports.get(id(r), {}).get((ep.target_port, ep.protocol.value))
                    if ep.port is not None and not self.options.randomize_ports:
                        host_port = ep.port
                    elif previous is not None:
                        host_port = previous
                    else:
                        host_port = _free_port(taken)
                    ep.allocated[KnownNetworks.LOCALHOST] = AllocatedEndpoint(
                        "127.0.0.1", host_port, ep.scheme, KnownNetworks.LOCALHOST, ep.target_port
                    )
                    ep.allocated[KnownNetworks.CONTAINER] = AllocatedEndpoint(
                        r.name, ep.target_port, ep.scheme, KnownNetworks.CONTAINER, ep.target_port
                    )
                else:
                    port = ep.port or ep.target_port or _free_port(taken)
                    ep.allocated[KnownNetworks.LOCALHOST] = AllocatedEndpoint(
                        "127.0.0.1", port, ep.scheme, KnownNetworks.LOCALHOST, port
                    )
                    ep.allocated[KnownNetworks.CONTAINER] = AllocatedEndpoint(
                        HOST_GATEWAY, port, ep.scheme, KnownNetworks.CONTAINER, port
                    )
            urls = self._urls(r)
            if urls:
                self._update(r, functools.partial(_with_urls, urls))

    def _urls(self, r: IResource) -> tuple[UrlSnapshot, ...]:
        out: list[UrlSnapshot] = []
        eps = r.annotations.all(EndpointAnnotation)
        for ep in eps:
            alloc = ep.allocation()
            if alloc is not None:
                out.append(UrlSnapshot(ep.name, alloc.url))
        for u in r.annotations.all(ResourceUrlAnnotation):
            if u.url.startswith("/"):
                for ep in eps:
                    alloc = ep.allocation()
                    if alloc is not None and ep.scheme in ("http", "https"):
                        out.append(UrlSnapshot(ep.name, alloc.url + u.url, display_text=u.display_text))
            else:
                out.append(UrlSnapshot(None, u.url, display_text=u.display_text))
        return tuple(out)

    async def _connect_runtime(self) -> None:
        from ._containers import ContainerRuntime

        runtime = ContainerRuntime(session_id=self.session_id, app_host_path=self.app.app_host_path)
        try:
            await runtime.connect(timeout=self.options.container_runtime_timeout)
            removed = await runtime.sweep_orphans()
            for what in removed:
                log.info("removed a leftover of an app host that no longer runs: %s", what)
            await runtime.ensure_network()
            self._runtime = runtime
        except Exception as exc:
            self._runtime_error = str(exc)
            log.warning("%s", exc)
            with contextlib.suppress(Exception):
                await runtime.close()
        finally:
            self._runtime_ready.set()

    # -- one resource -------------------------------------------------------------------------------------
    async def _run_resource(self, r: IResource, created: anyio.Event | None = None) -> None:
        run = self._run(r)
        if run.scope is not None and not run.done.is_set():
            raise RuntimeError(f"Resource {r.name!r} is already running")
        run.done = anyio.Event()
        run.force_start = anyio.Event()
        run.exit_code = None
        scope = anyio.CancelScope()
        run.scope = scope
        created_set = False

        def mark_created() -> None:
            nonlocal created_set
            if created is not None and not created_set:
                created_set = True
                created.set()

        try:
            with scope:
                self._set_state(r, S.STARTING, StateStyle.INFO, exit_code=None, health_reports=pending_reports(r))
                try:
                    await self._before_start(r)
                    if _is_container(r):
                        await self._run_container(r, mark_created)
                    elif _is_process(r):
                        await self._run_executable(r, mark_created)
                except anyio.get_cancelled_exc_class():
                    raise
                except Exception as exc:
                    self._fail(r, exc)
        finally:
            mark_created()
            run.done.set()
            run.scope = None
            snap = self.notifications.get_snapshot(r)
            if snap is not None and not S.is_terminal(snap.state_text) and snap.state_text != S.RUNTIME_UNHEALTHY:
                # Cancelled (stop requested) before or while running.
                self._set_state(r, S.FINISHED if _is_process(r) else S.EXITED, None, exit_code=run.exit_code)
            with anyio.CancelScope(shield=True):
                snap = self.notifications.get_snapshot(r)
                try:
                    await self._publish(ResourceStoppedEvent(r, app=self.app, snapshot=snap))
                except Exception as exc:
                    self._logger(r).error("A resource-stopped handler failed: %s: %s", type(exc).__name__, exc)

    def _fail(self, r: IResource, exc: BaseException) -> None:
        for leaf in _leaves(exc):
            self._logger(r).error("Failed to start: %s", leaf)
        self._failed.append(r.name)
        self._set_state(r, S.FAILED_TO_START, StateStyle.ERROR)

    async def _before_start(self, r: IResource) -> None:
        # A child starts after its parent is running.
        for p in parents_of(r):
            if _is_process(p) or _is_container(p):
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

    async def _resolve_env_args(self, r: IResource, network: str) -> tuple[dict[str, str], list[str], set[str]]:
        ctx = ValueContext(caller=r, network=network, execution_context=self.app.execution_context)
        logger = self._logger(r)
        raw_env = await compute_environment(r, self.app.execution_context, logger)
        env: dict[str, str] = {}
        secret: set[str] = set()
        for k, v in raw_env.items():
            value = await resolve_value(v, ctx)
            env[k] = "" if value is None else value
            if is_secret_value(v):
                secret.add(k)
        raw_args = await compute_arguments(r, self.app.execution_context, logger)
        args: list[str] = []
        for a in raw_args:
            value = await resolve_value(a, ctx)
            args.append("" if value is None else value)
        return env, args, secret

    def _env_snapshot(self, env: dict[str, str], secret: set[str]) -> tuple[EnvironmentVariableSnapshot, ...]:
        return tuple(EnvironmentVariableSnapshot(k, v, True, k in secret) for k, v in sorted(env.items()))

    async def _run_executable(self, r: IResource, created: Callable[[], None]) -> None:
        assert isinstance(r, ExecutableResource)
        env, args, secret = await self._resolve_env_args(r, KnownNetworks.LOCALHOST)
        full_env = dict(os.environ)
        full_env.update(env)
        run = self._run(r)
        logger_write = self.loggers.write

        def on_line(line: str, is_error: bool) -> None:
            logger_write(r, line, is_error)

        def on_started(pid: int) -> None:
            run.pid = pid
            self._update(
                r,
                lambda s: (
                    s.with_state(S.RUNNING, StateStyle.SUCCESS)
                    .with_property("executable.pid", pid)
                    .with_property("executable.args", args)
                    .evolve(environment_variables=self._env_snapshot(env, secret))
                ),
            )
            created()

        code = await run_process(
            r.command,
            args,
            env=full_env,
            cwd=r.working_dir,
            on_line=on_line,
            on_started=on_started,
            on_exit=lambda code: setattr(run, "exit_code", code),
            grace_period=self.options.stop_grace_period,
            force=self._force,
        )
        style = StateStyle.SUCCESS if code == 0 else StateStyle.ERROR
        self._set_state(r, S.FINISHED, style, exit_code=code)
        if code != 0:
            self._logger(r).warning("Process exited with code %d", code)

    async def _run_container(self, r: IResource, created: Callable[[], None]) -> None:
        assert isinstance(r, ContainerResource)
        from ._containers import (
            ContainerSpec,
            MountSpec,
            PortSpec,
        )

        await self._runtime_ready.wait()
        runtime = self._runtime
        if runtime is None:
            self._logger(r).error("%s", self._runtime_error)
            self._set_state(r, S.RUNTIME_UNHEALTHY, StateStyle.ERROR)
            self._failed.append(r.name)
            return
        env, args, secret = await self._resolve_env_args(r, KnownNetworks.CONTAINER)
        image = r.image
        if image is None:
            raise RuntimeError(f"container {r.name!r} has no image: call with_image()")
        ports = tuple(
            PortSpec(ep.target_port or 0, ep.allocated[KnownNetworks.LOCALHOST].port, ep.protocol.value)
            for ep in r.annotations.all(EndpointAnnotation)
        )
        mounts = tuple(
            MountSpec("bind" if m.type is ContainerMountType.BIND_MOUNT else "volume", m.source, m.target, m.read_only)
            for m in r.annotations.all(ContainerMountAnnotation)
        )
        runtime_args: list[str] = []
        for a in r.annotations.all(ContainerRuntimeArgsAnnotation):
            runtime_args.extend(a.args)
        name_ann = r.annotations.last(ContainerNameAnnotation)
        pull = r.annotations.last(ContainerImagePullPolicyAnnotation)
        spec = ContainerSpec(
            resource_name=r.name,
            image=image.full_name,
            pull_policy=pull.policy if pull is not None else ContainerImagePullPolicy.MISSING,
            entrypoint=r.entrypoint,
            args=tuple(args),
            env=env,
            ports=ports,
            mounts=mounts,
            network_aliases=tuple(a.alias for a in r.annotations.all(ContainerNetworkAliasAnnotation)),
            runtime_args=tuple(runtime_args),
            lifetime=r.lifetime,
            container_name=name_ann.name if name_ann is not None else None,
            labels={},
            extra_hosts={HOST_GATEWAY: "host-gateway"},
        )
        logger_write = self.loggers.write

        def on_log(line: str, is_error: bool) -> None:
            logger_write(r, line, is_error)

        run = self._run(r)
        handle = await runtime.start_container(spec, on_log)
        run.container = handle
        self._update(
            r,
            lambda s: (
                s.with_state(S.RUNNING, StateStyle.SUCCESS)
                .with_property("container.id", handle.id)
                .with_property("container.name", handle.name)
                .with_property("container.args", list(args))
                .evolve(environment_variables=self._env_snapshot(env, secret))
            ),
        )
        if handle.reused:
            self._logger(r).info("Reusing persistent container %s (configuration unchanged)", handle.name)
        created()
        try:
            code = await runtime.wait(handle)
        finally:
            with anyio.CancelScope(shield=True):
                snap = self.notifications.get_snapshot(r)
                if snap is not None and snap.state_text == S.RUNNING:
                    self._set_state(r, S.STOPPING, StateStyle.INFO)
                if handle.persistent and self._stopping:
                    self._logger(r).info("Leaving persistent container %s running", handle.name)
                else:
                    try:
                        await runtime.stop(handle, self.options.stop_grace_period)
                    except Exception as exc:
                        self._logger(r).error("Could not stop container %s: %s", handle.name, exc)
        self._set_state(r, S.EXITED, StateStyle.SUCCESS if code == 0 else StateStyle.ERROR, exit_code=code)

    async def _run_connection_string(self, r: ConnectionStringResource) -> None:
        try:
            # Like Aspire, a composed connection string waits for the resources it names to start.
            for dep in self.model.dependencies(r):
                if _is_process(dep) or _is_container(dep):
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
                "resource.connectionString", value, is_sensitive=True
            ),
        )

    # -- control ----------------------------------------------------------------------------------------------
    async def start_resource(self, r: IResource) -> None:
        if self._tg is None:
            raise RuntimeError("The app is not running: start it first (async with app / app.run())")
        run = self._run(r)
        snap = self.notifications.get_snapshot(r)
        if snap is not None and snap.state_text == S.WAITING:
            run.force_start.set()
            return
        if run.scope is not None and not run.done.is_set():
            return
        if not (_is_process(r) or _is_container(r)):
            if self._command(r, "start") is not None:
                await self.execute_command(r, "start")
                return
            raise TypeError(
                f"Resource {r.name!r} ({type(r).__name__}) is neither a container nor a process and has no "
                "'start' command (with_command('start', ...)) to start it"
            )
        self._tg.start_soon(self._run_resource, r, None)

    def _command(self, r: IResource, name: str) -> ResourceCommandAnnotation | None:
        for c in r.annotations.all(ResourceCommandAnnotation):
            if c.name == name:
                return c
        return None

    async def stop_resource(self, r: IResource) -> None:
        run = self._run(r)
        if run.scope is None:
            if not (_is_process(r) or _is_container(r)) and self._command(r, "stop") is not None:
                await self.execute_command(r, "stop")
            return
        self._set_state(r, S.STOPPING, StateStyle.INFO)
        run.scope.cancel()
        await run.done.wait()

    async def execute_command(self, r: IResource, name: str) -> Any:
        for c in r.annotations.all(ResourceCommandAnnotation):
            if c.name == name:
                result = c.execute(_CommandContext(self.app, r))
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
        await self.stop_resource(r)
        await self.start_resource(r)

    def request_stop(self, force: bool = False) -> None:
        """Stop the app (``run()`` returns); ``force`` kills what is still stopping without more grace."""
        self._stop_requested.set()
        if force and not self._force.is_set():
            self._force.set()
            if self._tg is not None and self._runtime is not None:
                for run in self._runs.values():
                    if run.container is not None:
                        self._tg.start_soon(self._kill_container, run.container)

    async def _kill_container(self, handle: Any) -> None:
        runtime = self._runtime
        if runtime is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                await runtime._kill(handle)
            except Exception as exc:
                log.error("could not kill container %s: %s", getattr(handle, "name", handle), exc)

    async def wait_until_stopped(self) -> None:
        await self._stop_requested.wait()

    def exit_code(self) -> int:
        return 1 if self._failed else 0

    @property
    def failed_resources(self) -> list[str]:
        return list(self._failed)

    # -- stop ------------------------------------------------------------------------------------------------
    async def _shutdown(self) -> None:
        """Stop resources, dependents first, then release the container runtime."""
        self._stopping = True
        with anyio.CancelScope(shield=True):
            remaining = [r for r in self.model if self._run(r).scope is not None]
            # Dependents stop before what they depend on.
            while remaining:
                wave = [
                    r
                    for r in remaining
                    if not any(
                        any(d is r for d in self.model.dependencies(o, recursive=True)) for o in remaining if o is not r
                    )
                ] or list(remaining)
                async with anyio.create_task_group() as tg:
                    for r in wave:
                        tg.start_soon(self.stop_resource, r)
                remaining = [r for r in remaining if r not in wave]
            for run in self._runs.values():
                if run.health_scope is not None:
                    run.health_scope.cancel()
            # Custom resources (background initialize handlers) stop next, while their final
            # states still reach watchers and hooks.
            self._background_stop.set()
            with anyio.move_on_after(self.options.stop_grace_period):
                await self._background_done.wait()
            if self._runtime is not None:
                try:
                    await self._runtime.close()
                except Exception as exc:
                    log.error("closing the container runtime failed: %s", exc)
            if self._hook_queue is not None:
                self._hook_queue[0].close()
                with anyio.move_on_after(5):
                    await self._hooks_drained.wait()
            self.notifications.close()
            self.loggers.close()
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
        self._tg = None


@attrs.frozen
class _CommandContext:
    app: Any
    resource: IResource
