"""One app host session's connection to a Docker-compatible engine.

The docker SDK blocks: every call runs in a worker thread under the engine's own
:class:`anyio.CapacityLimiter`. The ``docker`` package is imported on :meth:`DockerEngine.connect` only
(it costs ~140 ms).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread

from ..._platform import app_host_hash_of
from ._errors import HINT, ContainerRuntimeUnavailable, connect_problem, connection_problem, engine_lost
from ._owner import (
    LABEL_APP_HOST,
    LABEL_APP_HOST_HASH,
    LABEL_LIFETIME,
    LABEL_MANAGED,
    LABEL_SESSION,
    OwnerIdentity,
)

if TYPE_CHECKING:
    from docker import DockerClient

__all__ = ["DockerEngine", "preload_sdk"]

_log = logging.getLogger("aspyre.containers")

T = TypeVar("T")

#: Worker threads for short blocking SDK calls when the caller passes no limiter.
_DEFAULT_THREADS = 8
#: HTTP timeout for ordinary engine requests once connected.
_REQUEST_TIMEOUT = 60
#: Connections kept per pool: every followed container holds one, so keep well above the default 10.
_MAX_POOL_SIZE = 64


def preload_sdk() -> None:
    """Import the docker SDK (~150 ms) in a daemon thread now, while the app host does other work; the
    connection imports it anyway (and waits for this import to finish if it is still under way)."""

    def load() -> None:
        with contextlib.suppress(Exception):
            import docker
            import docker.types  # noqa: F401

    threading.Thread(target=load, name="aspyre-docker-import", daemon=True).start()


class DockerEngine:
    """The client, the worker threads and the labels of one app host session.

    *app_host_path* must be absolute. *owner_pid* names the process whose lifetime owns the session's
    objects (default: this process).
    """

    def __init__(
        self,
        *,
        session_id: str,
        app_host_path: str,
        docker_host: str | None = None,
        limiter: anyio.CapacityLimiter | None = None,
        owner_pid: int | None = None,
    ) -> None:
        self.session_id = session_id
        self.app_host_path = app_host_path
        self.app_host_hash = app_host_hash_of(app_host_path)
        self.owner = OwnerIdentity.of(owner_pid)
        self.client: DockerClient | None = None
        self.closed = False
        #: Whether the engine is Podman (its Docker API has no ``host-gateway``), known once connected.
        self.podman = False
        self._connecting: anyio.Lock | None = None
        self._docker_host = docker_host
        self._limiter = limiter if limiter is not None else anyio.CapacityLimiter(_DEFAULT_THREADS)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        return self._limiter

    def api(self) -> Any:
        """The low-level API client; raises when not connected."""
        if self.client is None:
            raise RuntimeError("ContainerRuntime.connect() has not been called (or the runtime was closed)")
        return self.client.api

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run one blocking SDK call in a worker thread; a lost connection becomes ContainerRuntimeUnavailable."""
        try:
            return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=self._limiter)
        except Exception as exc:
            if not engine_lost(exc):
                raise
            raise ContainerRuntimeUnavailable(
                f"Lost the connection to the container engine at {self.where} ({connection_problem(exc)}). {HINT}"
            ) from exc

    @property
    def where(self) -> str:
        """The engine's address, as the user gave it (``DOCKER_HOST``), for messages."""
        return self._docker_host or os.environ.get("DOCKER_HOST") or "the default Docker socket/context"

    def labels(self, lifetime: str, **extra: str) -> dict[str, str]:
        """The labels of an object this session creates (``lifetime``: session or persistent)."""
        return {
            LABEL_MANAGED: "true",
            LABEL_LIFETIME: lifetime,
            LABEL_SESSION: self.session_id,
            LABEL_APP_HOST: self.app_host_path,
            LABEL_APP_HOST_HASH: self.app_host_hash,
            **self.owner.labels(),
            **extra,
        }

    async def connect(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - bounds the engine handshake
        """Connect (``DOCKER_HOST``, else the Docker CLI context, else the default socket).

        Raises :class:`ContainerRuntimeUnavailable` within about *timeout* seconds when no engine answers.
        """
        if self.client is not None:
            return
        if self._connecting is None:
            self._connecting = anyio.Lock()
        async with self._connecting:  # callers that come meanwhile share the one connection
            if self.client is None:
                await self._connect(timeout)

    async def _connect(self, timeout: float) -> None:  # noqa: ASYNC109 - bounds the engine handshake
        if self.closed:
            raise RuntimeError("this ContainerRuntime was closed")
        abandoned = threading.Event()
        docker_host = self._docker_host

        def _connect() -> tuple[DockerClient, bool]:
            try:
                import docker
            except ImportError as exc:  # pragma: no cover - docker is a dependency of aspyre
                raise ContainerRuntimeUnavailable(
                    f"The docker SDK is not installed ({exc}); `pip install docker`."
                ) from exc
            environment = dict(os.environ)
            if docker_host:
                environment["DOCKER_HOST"] = docker_host
            client = docker.from_env(
                timeout=max(1, math.ceil(timeout)), environment=environment, max_pool_size=_MAX_POOL_SIZE
            )
            try:
                client.ping()
            except BaseException:
                client.close()
                raise
            client.api.timeout = _REQUEST_TIMEOUT
            try:
                components = client.api.version().get("Components") or []
            except Exception:  # an engine that does not say is not Podman
                components = []
            if abandoned.is_set():
                client.close()
            return client, any("podman" in str(c.get("Name", "")).lower() for c in components)

        where = self.where
        try:
            with anyio.fail_after(timeout + 1):
                client, podman = await anyio.to_thread.run_sync(_connect, limiter=self._limiter, abandon_on_cancel=True)
        except TimeoutError:
            abandoned.set()
            raise ContainerRuntimeUnavailable(
                f"The container engine at {where} did not answer within {timeout:g} s. {HINT}"
            ) from None
        except ContainerRuntimeUnavailable:
            raise
        except Exception as exc:
            raise ContainerRuntimeUnavailable(
                f"Cannot connect to a container engine at {where}: {connect_problem(exc)}. {HINT}"
            ) from exc
        self.client = client
        self.podman = podman
        _log.debug("connected to the container engine at %s", client.api.base_url)

    async def close(self) -> None:
        """Close the client (idempotent); the engine cannot be used afterwards."""
        self.closed = True
        client, self.client = self.client, None
        if client is not None:
            await self.call(client.close)

    # -- small blocking helpers (run them through call()) --------------------------------------------------
    def inspect_container(self, name_or_id: str) -> dict[str, Any] | None:
        """The container's details, ``None`` if it does not exist."""
        import docker.errors

        try:
            return dict(self.api().inspect_container(name_or_id))
        except docker.errors.NotFound:
            return None

    def remove_container(self, container_id: str) -> None:
        """Remove the container (killing it if it runs) with its anonymous volumes; gone already is fine."""
        import docker.errors

        try:
            self.api().remove_container(container_id, v=True, force=True)
        except docker.errors.NotFound:
            pass
