"""One app host session's connection to a Docker-compatible engine.

The engine client (:mod:`._client`) blocks: every call runs in a worker thread under the engine's own
:class:`anyio.CapacityLimiter`. The docker SDK is imported only for what needs it (:meth:`DockerEngine.sdk`:
pulls, builds, image save and load).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from ..._platform import app_host_hash_of
from ._address import resolve_address
from ._client import EngineClient
from ._errors import HINT, ContainerRuntimeUnavailable, NotFound, connect_problem, connection_problem, engine_lost
from ._owner import (
    LABEL_APP_HOST,
    LABEL_APP_HOST_HASH,
    LABEL_LIFETIME,
    LABEL_MANAGED,
    LABEL_SESSION,
    OwnerIdentity,
)

__all__ = ["DockerEngine"]

_log = logging.getLogger("aspyre.containers")

T = TypeVar("T")

#: Worker threads for short blocking engine calls when the caller passes no limiter.
_DEFAULT_THREADS = 8
#: Timeout of ordinary engine requests once connected (seconds).
_REQUEST_TIMEOUT = 60.0


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
        self.client: EngineClient | None = None
        self.closed = False
        #: Whether the engine is Podman (its Docker API has no ``host-gateway``), known once connected.
        self.podman = False
        self._connecting: anyio.Lock | None = None
        self._docker_host = docker_host
        self._limiter = limiter if limiter is not None else anyio.CapacityLimiter(_DEFAULT_THREADS)
        self._sdk: Any = None
        self._sdk_lock = threading.Lock()

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        return self._limiter

    def api(self) -> EngineClient:
        """The engine client; raises when not connected."""
        if self.client is None:
            raise RuntimeError("ContainerRuntime.connect() has not been called (or the runtime was closed)")
        return self.client

    def sdk(self) -> Any:
        """The docker SDK's low-level client on the same engine (blocking: the first call imports ``docker``).

        Only for what aspyre's client does not do (pull, build, image save and load); wrap its calls in
        :func:`._sdk.translated`.
        """
        client = self.api()
        with self._sdk_lock:
            if self._sdk is None:
                from ._sdk import sdk_client

                self._sdk = sdk_client(client.address, client.api_version, client.timeout)
            return self._sdk

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
        """Connect (``DOCKER_HOST``, else the Docker CLI context, else the default socket: :mod:`._address`).

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

        def _connect() -> EngineClient:
            client = EngineClient(
                resolve_address(docker_host), timeout=_REQUEST_TIMEOUT, connect_timeout=max(timeout, 0.1)
            )
            try:
                client.handshake()
            except BaseException:
                client.close()
                raise
            if abandoned.is_set():
                client.close()
            return client

        where = self.where
        try:
            with anyio.fail_after(timeout + 1):
                client = await anyio.to_thread.run_sync(_connect, limiter=self._limiter, abandon_on_cancel=True)
        except TimeoutError:
            abandoned.set()
            raise ContainerRuntimeUnavailable(
                f"The container engine at {where} did not answer within {timeout:g} s. {HINT}"
            ) from None
        except Exception as exc:
            raise ContainerRuntimeUnavailable(
                f"Cannot connect to a container engine at {where}: {connect_problem(exc)}. {HINT}"
            ) from exc
        self.client = client
        self.podman = client.podman
        _log.debug("connected to the container engine at %s (API %s)", client.base_url, client.api_version)

    async def close(self) -> None:
        """Close the client (idempotent); the engine cannot be used afterwards."""
        self.closed = True
        client, self.client = self.client, None
        sdk, self._sdk = self._sdk, None
        if client is not None:
            await self.call(client.close)
        if sdk is not None:
            await self.call(sdk.close)

    # -- small blocking helpers (run them through call()) --------------------------------------------------
    def inspect_container(self, name_or_id: str) -> dict[str, Any] | None:
        """The container's details, ``None`` if it does not exist."""
        try:
            return self.api().inspect_container(name_or_id)
        except NotFound:
            return None

    def remove_container(self, container_id: str) -> None:
        """Remove the container (killing it if it runs) with its anonymous volumes; gone already is fine."""
        try:
            self.api().remove_container(container_id, v=True, force=True)
        except NotFound:
            pass
