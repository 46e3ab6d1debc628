"""Runs what the orchestrator decided to start: a resource becomes a spec, the spec a process or a container.

The orchestrator decides *when* (waits, events, order); the executor decides *how* (as Aspire's
``DcpExecutor`` does over DCP): it owns the container runtime, allocates endpoints, turns a resource into
a :class:`ProcessSpec` or :class:`ContainerSpec`, runs it, reports its states, and stops it the way the
stop asks for (a persistent container is stopped by the Stop command, left running at app shutdown).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import anyio.to_thread

from .._errors import DistributedApplicationException
from .._model._container_annotations import ContainerLifetime
from .._model._install import PackageInstallAnnotation
from .._model._resources import ContainerResource, ExecutableResource, IResource
from .._model._snapshot import KnownProperties, KnownResourceStates, ResourceSnapshot, StateStyle
from ._addresses import EndpointAllocator, HostPorts, ProxiedEndpoint, replica_count
from ._docker import ContainerHandle, ContainerRuntime, ContainerRuntimeUnavailable
from ._docker._owner import OwnerIdentity
from ._engine_session import EngineSession
from ._install import Installer
from ._otlp import OtlpEnvironment, instance_id, otlp_environment
from ._processes import run_process
from ._proxy import EndpointProxy
from ._reaping import ProcessWatchdog, owner_marker, sweep_orphan_processes
from ._replicas import Proxies, run_replicas
from ._runs import ResourceRun, StopReason
from ._snapshots import env_snapshot, with_urls
from ._translate import build_spec, container_name, container_spec, process_spec
from ._urls import resource_urls

if TYPE_CHECKING:
    from pathlib import Path

    from .._model._execution import ExecutionContext
    from .._model._graph import DistributedApplicationModel
    from ._logs import ResourceLoggerService
    from ._notifications import ResourceNotificationService
    from ._options import AppOptions

__all__ = ["Executor", "RuntimeUnhealthy"]

log = logging.getLogger("aspyre.orchestrator")

S = KnownResourceStates


class RuntimeUnhealthy(DistributedApplicationException, RuntimeError):
    """The container runtime cannot be reached: the message says why and what to do."""


class Executor:
    """Runs the processes and containers of one app session."""

    def __init__(
        self,
        *,
        session_id: str,
        app_host_path: Path,
        execution_context: ExecutionContext,
        options: AppOptions,
        notifications: ResourceNotificationService,
        loggers: ResourceLoggerService,
    ) -> None:
        self._context = execution_context
        self._options = options
        self._notifications = notifications
        self._loggers = loggers
        self._engine = EngineSession(
            session_id=session_id, app_host_path=app_host_path, timeout=lambda: self._options.container_runtime_timeout
        )
        #: Set by a forced stop: processes get SIGKILL without waiting out the grace period.
        self.force = anyio.Event()
        #: Processes carry their owner (this app host) in their environment; the watchdog stops them if it dies.
        self._owner = owner_marker(OwnerIdentity.of(), session_id)
        self._watchdog = ProcessWatchdog(lambda: self._options.stop_grace_period, self._owner)  # grace read at start
        self._processes_swept = anyio.Event()
        #: ``service.instance.id`` of each resource that exports telemetry, made once per session.
        self._instances: dict[str, str] = {}
        self._installer = Installer(
            grace_period=lambda: self._options.stop_grace_period,
            force=self.force,
            owner=self._owner,
            watchdog=self._watchdog,
        )
        #: The endpoint proxies, per resource and endpoint: they live as long as the app.
        self.proxies = Proxies()

    # -- the runtime ---------------------------------------------------------------------------------------
    @property
    def runtime(self) -> ContainerRuntime:
        """The container runtime; it also tells how containers reach addresses."""
        return self._engine.runtime

    @property
    def _connected(self) -> bool:
        return self._engine.connected

    def begin(self, model: DistributedApplicationModel, tg: anyio.abc.TaskGroup) -> None:
        """As early as the app starts: connect to the container engine and sweep orphans in the background
        when the app has containers (idempotent; :meth:`allocate_endpoints` calls it too)."""
        self._engine.begin(model, tg)

    async def container_host_address(self) -> str | None:
        """The IP address containers reach this machine at (``host.docker.internal`` in them), once the
        runtime is connected; ``None`` when the app runs no containers or the runtime is unavailable."""
        return await self._engine.host_address()

    def _otlp(self, r: ExecutableResource | ContainerResource, host_alias: str | None) -> OtlpEnvironment | None:
        """The telemetry variables of ``r`` (``None``: it does not export, or the app sends telemetry nowhere)."""
        options = self._options
        if options.otlp_endpoint_url is None and options.otlp_grpc_endpoint_url is None:
            return None
        instance = self._instances.get(r.name)
        if instance is None:
            instance = self._instances[r.name] = instance_id(r)
        return otlp_environment(
            r,
            http_url=options.otlp_endpoint_url,
            grpc_url=options.otlp_grpc_endpoint_url,
            api_key=options.otlp_api_key,
            instance=instance,
            host_alias=host_alias,
        )

    async def allocate_endpoints(self, model: DistributedApplicationModel, tg: anyio.abc.TaskGroup) -> None:
        """Allocate every endpoint (callers in containers reach them as the runtime says), show the URLs.

        Connects to the container runtime in the background (containers wait for it), unless :meth:`begin`
        did already; waits for the connection when persistent containers may keep their host ports.
        """
        if any(isinstance(r, ExecutableResource) for r in model):
            tg.start_soon(self._sweep_processes)
        else:
            self._processes_swept.set()
        containers = [c for c in model if isinstance(c, ContainerResource)]
        keep: dict[str, HostPorts] = {}
        self.begin(model, tg)
        self._engine.plan(model)
        if any(c.lifetime is ContainerLifetime.PERSISTENT for c in containers):
            keep = await self._engine.persistent_host_ports(containers)
        allocator = EndpointAllocator(self.runtime, randomize_ports=self._options.randomize_ports)
        for plan in allocator.allocate(model, keep):
            self._start_proxy(plan, tg)
        for r in model:
            urls = await resource_urls(r, execution_context=self._context, logger=self._loggers.get_logger(r))
            if urls:
                self._notifications.publish_update(r, functools.partial(with_urls, urls))

    def _start_proxy(self, plan: ProxiedEndpoint, tg: anyio.abc.TaskGroup) -> None:
        proxy = EndpointProxy(plan.listener, f"{plan.resource.name}/{plan.endpoint.name}")
        self.proxies.add(plan.resource, plan.endpoint, proxy, plan.target_ports)
        tg.start_soon(proxy.serve)

    async def _sweep_processes(self) -> None:
        """Stop the processes that app hosts no longer running left behind (before the first process starts)."""
        try:
            grace = self._options.stop_grace_period
            for what in await anyio.to_thread.run_sync(sweep_orphan_processes, grace, abandon_on_cancel=True):
                log.info("stopped a leftover of an app host that no longer runs: %s", what)
        except Exception as exc:  # never a reason not to start
            log.warning("looking for processes left by app hosts that no longer run failed: %s", exc)
        finally:
            self._processes_swept.set()

    async def close(self) -> None:
        """Release the runtime (session containers and network go; persistent containers stay) and the proxies."""
        self.proxies.close()
        self._watchdog.close()
        if self._connected:
            try:
                await self.runtime.close()
            except Exception as exc:
                log.error("closing the container runtime failed: %s", exc)

    # -- running -----------------------------------------------------------------------------------------------
    async def prepare(self, r: IResource) -> None:
        """Before a resource starts: install its packages when they changed (state ``Installing``).

        The step belongs to the resource (a :class:`PackageInstallAnnotation`), not to its dependencies,
        so it runs before the waits, while what the resource waits for starts.
        """
        ann = r.annotations.last(PackageInstallAnnotation)
        if ann is None or not self._context.is_run_mode:
            return
        loggers = self._loggers

        def write(line: str, is_error: bool) -> None:
            loggers.write(r, line, is_error)

        await self._installer.install(
            r.name,
            ann,
            logger=loggers.get_logger(r),
            write=write,
            installing=lambda: self._update(r, lambda s: s.with_state(S.INSTALLING, StateStyle.INFO)),
        )

    def _update(self, r: IResource, fn: Callable[[ResourceSnapshot], ResourceSnapshot]) -> None:
        self._notifications.publish_update(r, fn)

    async def run_process(self, r: ExecutableResource, run: ResourceRun, created: Callable[[], None]) -> None:
        """Run an executable until it exits (Finished) or the run is cancelled (then stop it gracefully)."""
        logger = self._loggers.get_logger(r)
        spec, resolved = await process_spec(r, self._context, logger, self._otlp(r, None))
        if replica_count(r) > 1:
            await self._processes_swept.wait()
            await run_replicas(
                r,
                spec,
                resolved,
                notifications=self._notifications,
                loggers=self._loggers,
                proxies=self.proxies,
                created=created,
                run_one=functools.partial(
                    run_process,
                    grace_period=self._options.stop_grace_period,
                    force=self.force,
                    owner=self._owner,
                    watchdog=self._watchdog,
                ),
            )
            return
        write = self._loggers.write
        targets = self.proxies.targets(r, 0)

        def on_line(line: str, is_error: bool) -> None:
            write(r, line, is_error)

        def on_started(pid: int) -> None:
            run.pid = pid
            self.proxies.attach(targets)
            self._update(
                r,
                lambda s: (
                    s.with_state(S.RUNNING, StateStyle.SUCCESS)
                    .with_property(KnownProperties.Executable.PID, pid)
                    .with_property(KnownProperties.Executable.PATH, spec.command)
                    .with_property(KnownProperties.Executable.WORK_DIR, str(spec.cwd))
                    .with_property(KnownProperties.Executable.ARGS, list(spec.args), is_sensitive=resolved.secret_args)
                    .evolve(environment_variables=env_snapshot(resolved.env, resolved.secret))
                ),
            )
            created()

        def on_exit(code: int) -> None:
            run.exit_code = code

        await self._processes_swept.wait()
        try:
            code = await run_process(
                spec,
                on_line=on_line,
                on_started=on_started,
                on_exit=on_exit,
                grace_period=self._options.stop_grace_period,
                force=self.force,
                owner=self._owner,
                watchdog=self._watchdog,
            )
        finally:
            self.proxies.detach(targets)
        style = StateStyle.SUCCESS if code == 0 else StateStyle.ERROR
        self._update(r, lambda s: s.with_state(S.FINISHED, style).evolve(exit_code=code))
        if code != 0:
            logger.warning("Process exited with code %d", code)

    async def run_container(self, r: ContainerResource, run: ResourceRun, created: Callable[[], None]) -> None:
        """Run a container until it exits (Exited) or the run is cancelled (then stop or detach it)."""
        await self._engine.ready.wait()
        if not self._connected:
            raise RuntimeUnhealthy(self._engine.error or "the container runtime is not available")
        logger = self._loggers.get_logger(r)
        write = self._loggers.write

        def on_log(line: str, is_error: bool) -> None:
            write(r, line, is_error)

        def on_engine(lost: bool, problem: str) -> None:
            name = run.container.name if run.container is not None else r.name
            if lost:
                logger.error(
                    "Lost the connection to the container engine at %s (%s): container %s is not followed "
                    "until the engine is back; aspyre reconnects by itself",
                    self.runtime.engine_address,
                    problem,
                    name,
                )
                snap = self._notifications.get_snapshot(r)
                if snap is not None and snap.state_text not in (S.STOPPING, *S.TERMINAL_STATES):
                    self._update(r, lambda s: s.with_state(S.RUNTIME_UNHEALTHY, StateStyle.ERROR))
            else:
                logger.info("The container engine is back: container %s is followed again", name)
                snap = self._notifications.get_snapshot(r)
                if snap is not None and snap.state_text == S.RUNTIME_UNHEALTHY:
                    self._update(r, lambda s: s.with_state(S.RUNNING, StateStyle.SUCCESS))

        try:
            image: str | None = None
            build = await build_spec(r, self._context)
            if build is not None:
                self._update(r, lambda s: s.with_state(S.BUILDING, StateStyle.INFO))
                image = await self.runtime.build_image(build, on_log, on_status=logger.info)
                self._update(
                    r,
                    lambda s: s.with_state(S.STARTING, StateStyle.INFO).with_property(
                        KnownProperties.Container.IMAGE, image
                    ),
                )
            proxied = self.proxies.endpoints(r)
            spec, resolved = await container_spec(
                r,
                self._context,
                logger,
                self._otlp(r, self.runtime.host_gateway_name()),
                image_reference=image,
                host_ports=dict.fromkeys(proxied),
            )
            await self._engine.before_create(r, spec, resolved)
            handle = await self.runtime.start_container(
                spec,
                on_log,
                on_status=logger.info,
                stop_grace_period=self._options.stop_grace_period,
                on_engine=on_engine,
            )
        except ContainerRuntimeUnavailable as exc:
            raise RuntimeUnhealthy(str(exc)) from exc
        run.container = handle
        targets = self.proxies.container_targets(r, handle.host_ports)
        self.proxies.attach(targets)
        self._update(
            r,
            lambda s: (
                s.with_state(S.RUNNING, StateStyle.SUCCESS)
                .with_property(KnownProperties.Container.ID, handle.id)
                .with_property(KnownProperties.Container.NAME, handle.name)
                .with_property(KnownProperties.Container.ARGS, list(spec.args), is_sensitive=resolved.secret_args)
                .evolve(environment_variables=env_snapshot(resolved.env, resolved.secret))
            ),
        )
        created()
        try:
            try:
                code = await self.runtime.wait(handle)
            except ContainerRuntimeUnavailable as exc:
                raise RuntimeUnhealthy(str(exc)) from exc
        finally:
            self.proxies.detach(targets)
            with anyio.CancelScope(shield=True):
                await self._end_container(r, run, handle)
        self._update(
            r,
            lambda s: s.with_state(S.EXITED, StateStyle.SUCCESS if code == 0 else StateStyle.ERROR).evolve(
                exit_code=code
            ),
        )

    async def _end_container(self, r: ContainerResource, run: ResourceRun, handle: ContainerHandle) -> None:
        """After the container exited or its run was cancelled: stop it, or leave a persistent one running."""
        logger = self._loggers.get_logger(r)
        snap = self._notifications.get_snapshot(r)
        if snap is not None and snap.state_text == S.RUNNING:
            self._update(r, lambda s: s.with_state(S.STOPPING, StateStyle.INFO))
        try:
            if run.leaves_running(handle) and handle.exit_code is None:
                logger.info("Leaving persistent container %s running", handle.name)
                await self.runtime.detach(handle)
            else:
                await self.runtime.stop(handle, self._options.stop_grace_period)
                run.exit_code = handle.exit_code
        except Exception as exc:
            logger.error("Could not stop container %s: %s", handle.name, exc)

    async def stop_unfollowed(self, r: ContainerResource, run: ResourceRun) -> None:
        """After a run of *r* ended without following a container: if the Stop command ended it, stop the
        persistent container it was starting or reusing (it may run: from an earlier run, or just started)."""
        if (
            run.container is not None
            or run.stop_reason is not StopReason.COMMAND
            or r.lifetime is not ContainerLifetime.PERSISTENT
            or not self._connected
        ):
            return
        try:
            await self.runtime.stop_persistent(r.name, container_name(r), self._options.stop_grace_period)
        except Exception as exc:
            self._loggers.get_logger(r).error("Could not stop the persistent container of %s: %s", r.name, exc)

    # -- forced stop ---------------------------------------------------------------------------------------
    def force_stop(self, runs: Iterable[ResourceRun], tg: anyio.abc.TaskGroup | None) -> None:
        """Cut every stop short: processes get SIGKILL, containers that are to stop are killed.

        Persistent containers that the shutdown leaves running are not touched.
        """
        if self.force.is_set():
            return
        self.force.set()
        if tg is None or not self._connected:
            return
        for run in runs:
            handle = run.container
            if handle is not None and not run.leaves_running(handle):
                tg.start_soon(self._kill, handle)

    async def _kill(self, handle: ContainerHandle) -> None:
        try:
            await self.runtime.kill(handle)
        except Exception as exc:
            log.error("could not kill container %s: %s", handle.name, exc)
