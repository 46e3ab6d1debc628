"""Run-mode containers through the Docker Engine API.

:class:`ContainerRuntime` is what the orchestrator uses to run container resources: it connects to the
engine (``DOCKER_HOST`` or the Docker CLI context, Podman's Docker-compatible socket works too), sweeps
objects left behind by app hosts that no longer run, creates the session network when a container reaches
another by name (:meth:`~ContainerRuntime.join_network`), pulls images per pull policy (each image is
inspected once per session), creates and starts containers (ports published on 127.0.0.1, mounts, network aliases, runtime
args), streams their output line by line, reports their exit, and stops, detaches or removes them.
It also says how a caller reaches an address (:meth:`~ContainerRuntime.host_gateway_name`,
:meth:`~ContainerRuntime.container_address`).

The engine client (:mod:`._client`) blocks. Every short call runs in a worker thread (see :mod:`._engine`); every
container's output is followed by one plain daemon thread (see :mod:`._monitor`). The docker SDK is imported
only to pull or build an image (:mod:`._sdk`).

See ``docs/containers.md`` for the user-facing behaviour.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from pathlib import Path

import anyio
import attrs

from ..._model._container_annotations import ContainerLifetime
from ..._model._runargs import parse_runtime_args
from .._specs import BuildSpec, ContainerSpec
from ._build import build_image
from ._create import (
    anonymous_volumes,
    config_hash,
    container_name_of,
    create_container,
    create_request,
    host_ports,
    remove_with_volumes,
    validate,
)
from ._engine import DockerEngine
from ._errors import (
    APIError,
    ContainerExitUnknown,
    ContainerRuntimeUnavailable,
    ContainerStartError,
    NotFound,
    explain,
)
from ._files import put_files
from ._handle import ContainerHandle
from ._images import ImageCache, ensure_image
from ._monitor import Monitor
from ._networks import Networks
from ._owner import LIFETIME_PERSISTENT, LIFETIME_SESSION
from ._persistent import existing_host_ports, reuse_persistent, stop_own_persistent
from ._sweep import sweep_orphans

__all__ = ["HOST_GATEWAY", "ContainerHandle", "ContainerRuntime"]

_log = logging.getLogger("aspyre.containers")

#: The name containers reach the host by, mapped to the engine's ``host-gateway`` in every container (on
#: Podman, to the session network's gateway).
HOST_GATEWAY = "host.docker.internal"
#: How long stopping and closing wait for a container's output thread to finish after the stream ends.
_MONITOR_JOIN_TIMEOUT = 10.0


async def _joined(handle: ContainerHandle) -> bool:
    """Wait (on the loop, holding no worker thread) for the container's output thread to finish; whether it did."""
    with anyio.move_on_after(_MONITOR_JOIN_TIMEOUT):
        await handle._monitor.done.wait()
    return handle._monitor.done.is_set()


class ContainerRuntime:
    """Runs container resources of one app host session on a Docker-compatible engine.

    Construction does not touch the engine; call :meth:`connect`
    first. All methods are coroutines meant for one event loop; blocking engine calls run in worker
    threads limited by *limiter* (default: a private limiter of 8 threads).

    *owner_pid* names the process whose lifetime owns the session's objects (default: this process);
    :meth:`sweep_orphans` of a later run removes them once that process no longer runs.
    """

    def __init__(
        self,
        *,
        session_id: str,
        app_host_path: Path | str,
        docker_host: str | None = None,
        limiter: anyio.CapacityLimiter | None = None,
        owner_pid: int | None = None,
    ) -> None:
        if not session_id:
            raise ValueError("session_id must not be empty")
        self._engine = DockerEngine(
            session_id=session_id,
            app_host_path=os.path.abspath(os.fspath(app_host_path)),
            docker_host=docker_host,
            limiter=limiter,
            owner_pid=owner_pid,
        )
        self._networks = Networks(self._engine)
        self._images = ImageCache()
        self._handles: dict[str, ContainerHandle] = {}

    # ------------------------------------------------------------------ names and addresses
    @property
    def session_id(self) -> str:
        return self._engine.session_id

    @property
    def engine_address(self) -> str:
        """The engine's address as given (``DOCKER_HOST``), for messages."""
        return self._engine.where

    @property
    def app_host_hash(self) -> str:
        """The app host hash (8 hex digits) in persistent container and network names."""
        return self._engine.app_host_hash

    @property
    def session_network_name(self) -> str:
        """``aspyre-session-<hash8 of the session id>-<app name>``; created by :meth:`ensure_network`."""
        return self._networks.session_name

    @property
    def persistent_network_name(self) -> str:
        """``aspyre-persistent-<app host hash8>``: the network persistent containers live on."""
        return self._networks.persistent_name

    @staticmethod
    def host_gateway_name() -> str:
        """The name containers use to reach the host; every container gets it mapped to the host gateway."""
        return HOST_GATEWAY

    async def host_gateway_address(self) -> str | None:
        """The IP address :data:`HOST_GATEWAY` maps to in containers (after :meth:`connect`), or ``None``
        when the engine does not say: where a server on this machine listens for containers to reach it."""
        return await self._networks.host_gateway_address()

    def container_address(self, resource_name: str, target_port: int) -> tuple[str, int]:
        """How another container on the session network reaches *resource_name*'s *target_port*."""
        return (resource_name, target_port)

    # ------------------------------------------------------------------ engine
    async def connect(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - bounds the engine handshake
        """Connect to the engine (``DOCKER_HOST``, else the Docker CLI context, else the default socket).

        Raises :class:`ContainerRuntimeUnavailable` within about *timeout* seconds when no engine answers.
        """
        await self._engine.connect(timeout)
        self._networks.always = self._engine.podman

    async def sweep_orphans(self) -> list[str]:
        """Remove session objects of app hosts that no longer run; see :func:`._sweep.sweep_orphans`."""
        await self.connect()
        engine = self._engine
        return await engine.call(sweep_orphans, engine.api(), session_id=engine.session_id, this_host=engine.owner.host)

    async def ensure_network(self) -> str:
        """Create the session's bridge network once (labelled like every session object); return its name."""
        await self.connect()
        return await self._networks.ensure_session()

    async def join_network(self, *resource_names: str) -> None:
        """Put the containers of *resource_names* (one that reaches another by name, the one reached) on the
        session network: those made earlier are connected now, later ones created on it. Other containers
        (without aliases of their own) run on the default bridge: see :class:`._networks.Networks`."""
        await self.connect()
        await self._networks.join(frozenset(resource_names))

    def on_session_network(self, handle: ContainerHandle) -> bool:
        """Whether the container is on the session network now."""
        return self._networks.on_session(handle.id)

    # ------------------------------------------------------------------ start
    async def start_container(
        self,
        spec: ContainerSpec,
        on_log: Callable[[str, bool], None],
        *,
        on_status: Callable[[str], None] | None = None,
        stop_grace_period: float = 10.0,
        on_engine: Callable[[bool, str], None] | None = None,
    ) -> ContainerHandle:
        """Create and start (or, for an unchanged persistent container, reuse) the container of *spec*.

        Output lines go to ``on_log(line, is_stderr)``, always called on the event loop. ``on_status``
        (also on the loop) receives short human-readable progress notes (pulling, reusing, recreating).
        A persistent container recreated for a changed configuration is first stopped with
        *stop_grace_period* seconds before SIGKILL. ``on_engine(lost, problem)`` (on the loop) hears the
        engine going away while the container is followed (``lost`` true, ``problem`` in a few words) and
        coming back (the container is then followed again; :meth:`wait` waits on meanwhile).
        Raises :class:`ValueError` for an invalid spec (unsupported runtime flag, relative bind source),
        :class:`ContainerImageUnavailable`, :class:`ContainerStartError` or
        :class:`ContainerRuntimeUnavailable`.
        """
        status = on_status or (lambda message: None)
        options = parse_runtime_args(spec.runtime_args, resource_name=spec.resource_name)
        validate(spec)
        await self.connect()
        # The session network only when a container reaches another by name, or is reached (join_network),
        # or has network aliases of its own; the rest start faster on the default bridge.
        network = await self._networks.placement(spec.resource_name, join=bool(spec.network_aliases))
        gateway = await self._networks.host_gateway()
        spec = attrs.evolve(spec, extra_hosts={HOST_GATEWAY: gateway, **spec.extra_hosts})
        persistent = spec.lifetime is ContainerLifetime.PERSISTENT
        image = await ensure_image(self._engine, spec, options.kwargs.get("platform"), status, self._images)
        image_id = str(image["Id"])
        hash_ = config_hash(spec, image_id)
        aliases = tuple(dict.fromkeys((spec.resource_name, *spec.network_aliases)))
        name = container_name_of(spec, self.app_host_hash)

        primary_network = network
        if persistent:
            primary_network = await self._networks.ensure_persistent()
            reused = await reuse_persistent(
                self._engine,
                network,
                spec,
                name=name,
                config_hash=hash_,
                aliases=aliases,
                on_log=on_log,
                status=status,
                grace=stop_grace_period,
                on_engine=on_engine,
            )
            if reused is not None:
                self._handles[reused.id] = reused
                await self._networks.created(spec.resource_name, reused.id, aliases, network)
                return reused

        engine = self._engine
        request = await engine.call(
            create_request,
            engine,
            spec,
            options,
            image,
            lifetime=LIFETIME_PERSISTENT if persistent else LIFETIME_SESSION,
            name=name,
            network=primary_network,
            aliases=aliases,
            config_hash=hash_,
        )
        platform = options.kwargs.get("platform")
        container = await create_container(engine, self._images, spec, platform, status, request)
        container_id = str(container["Id"])
        api = engine.api()
        monitor = Monitor(api, container_id, name, on_log, on_engine)
        handle = ContainerHandle(
            id=container_id,
            name=name,
            resource_name=spec.resource_name,
            reused=False,
            persistent=persistent,
            host_ports={},
            image_id=image_id,
            config_hash=hash_,
            network_aliases=aliases,
            monitor=monitor,
        )
        self._handles[container_id] = handle
        try:
            if persistent and network is not None:
                await engine.call(api.connect_container_to_network, container_id, network, aliases=list(aliases))
            await self._networks.created(spec.resource_name, container_id, aliases, network)
            try:
                if spec.files:
                    await engine.call(put_files, engine, container_id, spec.files)
            except Exception as exc:
                if isinstance(exc, ContainerRuntimeUnavailable):
                    raise
                raise ContainerStartError(
                    f"Cannot create the files of container {name} of resource '{spec.resource_name}': {explain(exc)}"
                ) from exc
            # Attached (live output only) before the start: the container's every line comes once (see attach()).
            stream = await engine.call(monitor.open_stream, tty=bool(request.config.get("Tty")))
            try:
                await engine.call(api.start, container_id)
            except Exception as exc:
                if isinstance(exc, ContainerRuntimeUnavailable):
                    raise
                raise ContainerStartError(
                    f"Cannot start the container {name} of resource '{spec.resource_name}': {explain(exc)}"
                ) from exc
            info = await engine.call(api.inspect_container, container_id)
        except BaseException:
            monitor.close(detach=False)
            with anyio.CancelScope(shield=True):
                await self._forget(handle)
            raise
        # A container created for this run: its whole log is what the attach delivers (the floor of a later read).
        monitor.start(stream, str(info["State"].get("StartedAt", "")), log_floor=0)
        handle.host_ports = host_ports(info)
        handle._anonymous_volumes = anonymous_volumes(info)
        return handle

    async def build_image(
        self,
        spec: BuildSpec,
        on_log: Callable[[str, bool], None],
        *,
        on_status: Callable[[str], None] | None = None,
    ) -> str:
        """Build the image of *spec* (unless one of the same build hash exists); its reference.

        Build output goes to ``on_log`` and progress notes to ``on_status``, both called on the event loop.
        Raises :class:`~._build.ImageBuildError` naming the failing step.
        """
        await self.connect()
        engine = self._engine
        return await engine.call(build_image, engine, spec, on_log, on_status or (lambda message: None))

    # ------------------------------------------------------------------ follow, stop, detach, kill
    async def wait(self, handle: ContainerHandle) -> int:
        """The container's exit code, once it exits. Cancelling the wait leaves the container alone.

        Raises :class:`ContainerExitUnknown` when aspyre stopped following a container that still runs
        (:meth:`detach`, or after :meth:`close`), or the container was removed outside aspyre.
        """
        monitor = handle._monitor
        await monitor.done.wait()
        if monitor.exit_code is not None:
            return monitor.exit_code
        if monitor.detached:
            raise ContainerExitUnknown(
                f"aspyre stopped following container {handle.name} of resource '{handle.resource_name}' "
                "while it was running"
            )
        # Following ended without an exit code (the output thread failed): ask the engine.
        while True:
            info = await self._engine.call(self._engine.inspect_container, handle.id)
            if info is None:
                raise ContainerExitUnknown(
                    f"container {handle.name} of resource '{handle.resource_name}' was removed outside aspyre"
                )
            state = info["State"]
            if not state.get("Running") and not state.get("Restarting"):
                return int(state.get("ExitCode", -1))
            await anyio.sleep(1.0)

    async def stop(self, handle: ContainerHandle, grace: float) -> None:
        """Stop a container: SIGTERM (or the image's stop signal), then SIGKILL after *grace* seconds.

        *grace* is rounded up to whole seconds (the engine's unit). A session container is then removed
        together with its anonymous volumes; a persistent container is kept, stopped, and leaves the
        session network (the next start of an unchanged one starts it again). Runs to completion even
        when the calling task is cancelled.
        """
        with anyio.CancelScope(shield=True):
            if handle._removed:
                return
            try:
                await self._engine.call(self._engine.api().stop, handle.id, timeout=max(0, math.ceil(grace)))
            except NotFound:
                pass
            except APIError as exc:
                _log.warning("stopping container %s failed: %s", handle.name, explain(exc))
            except ContainerRuntimeUnavailable:
                # Nothing can be stopped now: stop following (the next start's sweep removes a session one).
                handle._monitor.close(detach=True)
                handle._removed = True
                self._handles.pop(handle.id, None)
                raise
            if not await _joined(handle):
                handle._monitor.close(detach=False)
            if handle.persistent:
                await self._detach(handle)
            else:
                await self._forget(handle)

    async def detach(self, handle: ContainerHandle) -> None:
        """Leave a persistent container running: stop following it and take it off the session network.

        :meth:`wait` then raises :class:`ContainerExitUnknown`. Session containers cannot be left
        behind: :class:`ValueError` (use :meth:`stop` or :meth:`remove`).
        """
        if not handle.persistent:
            raise ValueError(
                f"container {handle.name} of resource '{handle.resource_name}' has a session lifetime and "
                "cannot be left running: stop() or remove() it"
            )
        with anyio.CancelScope(shield=True):
            if not handle._removed:
                await self._detach(handle)

    async def kill(self, handle: ContainerHandle) -> None:
        """SIGKILL the container now if it runs (no grace); its exit code is recorded as usual."""
        with anyio.CancelScope(shield=True):
            if handle._removed or handle._monitor.finished.is_set():
                return
            try:
                await self._engine.call(self._engine.api().kill, handle.id)
            except APIError as exc:  # not running (409) or gone (404)
                _log.debug("killing container %s: %s", handle.name, exc)
            if not await _joined(handle):
                handle._monitor.close(detach=False)

    async def remove(self, handle: ContainerHandle) -> None:
        """Remove the container now (killing it if it runs), with its anonymous volumes; persistent too."""
        with anyio.CancelScope(shield=True):
            if handle._removed:
                return
            await self.kill(handle)
            await self._forget(handle)

    async def _detach(self, handle: ContainerHandle) -> None:
        handle._monitor.close(detach=True)
        await _joined(handle)
        await self._networks.leave_session(handle.id, handle.name)
        handle._removed = True
        self._handles.pop(handle.id, None)

    async def _forget(self, handle: ContainerHandle) -> None:
        """Remove the container with its anonymous volumes and stop tracking it."""
        handle._removed = True
        self._handles.pop(handle.id, None)
        self._networks.forget(handle.id)
        if self._engine.client is None:
            return
        try:
            await self._engine.call(remove_with_volumes, self._engine, handle.id, handle._anonymous_volumes)
        except Exception as exc:
            _log.warning("removing container %s failed: %s", handle.name, exc)
        await _joined(handle)

    # ------------------------------------------------------------------ end
    async def close(self) -> None:
        """Stop following every container, remove remaining session containers and the session network,
        and close the client. Persistent containers keep running. Idempotent; shielded from cancellation."""
        with anyio.CancelScope(shield=True):
            if self._engine.client is None:
                self._engine.closed = True
                return
            async with anyio.create_task_group() as tg:  # independent containers: all at once
                for handle in list(self._handles.values()):
                    tg.start_soon(self._release, handle)
            try:
                await self._networks.remove_session()
            finally:
                await self._engine.close()

    async def _release(self, handle: ContainerHandle) -> None:
        try:
            await (self._detach(handle) if handle.persistent else self.remove(handle))
        except Exception as exc:
            handle._monitor.close(detach=True)
            _log.warning("cleaning up container %s failed: %s", handle.name, exc)

    async def stop_persistent(self, resource_name: str, container_name: str | None, grace: float) -> None:
        """Stop this app host's persistent container of *resource_name* if it runs (no handle needed).

        For a Stop command that came while the container was being started or reused: whatever the
        start got to, the container ends up stopped (and kept). Others' containers are not touched.
        """
        name = container_name or f"{resource_name}-{self.app_host_hash}"
        await stop_own_persistent(self._engine, name, self.app_host_hash, grace)

    async def persistent_host_ports(
        self, resource_name: str, container_name: str | None = None
    ) -> dict[tuple[int, str], int]:
        """Host ports of this app host's existing persistent container, running or stopped (empty: none).

        The orchestrator reuses them, so an unchanged persistent container keeps its address.
        """
        return await existing_host_ports(self._engine, container_name or f"{resource_name}-{self.app_host_hash}")
