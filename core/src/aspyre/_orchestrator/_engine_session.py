"""The container engine of one app session: connected in the background as the app starts, orphans swept,
and the containers that reach each other put on the session network.

The engine connection (a ``/_ping`` on aspyre's own client, a few milliseconds) starts with the app, in
parallel with its start-up hooks; containers wait for it, not for the sweep of orphans (which never touches
this session's objects), unless a leftover could be in their way.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import anyio
import anyio.abc

from .._model._container_annotations import ContainerLifetime
from .._model._endpoints import EndpointAnnotation
from .._model._graph import DistributedApplicationModel
from .._model._resources import ContainerResource
from ._addresses import HostPorts
from ._docker import ContainerRuntime
from ._peers import containers_reached, model_peers
from ._specs import ContainerSpec
from ._translate import Resolved, container_name

__all__ = ["EngineSession"]

log = logging.getLogger("aspyre.orchestrator")


class EngineSession:
    """The :class:`ContainerRuntime` of one session, and when it is ready for what (*timeout*: how long the
    engine may take to answer, read when connecting)."""

    def __init__(self, *, session_id: str, app_host_path: Path, timeout: Callable[[], float]) -> None:
        #: The container runtime; it also tells how containers reach addresses.
        self.runtime = ContainerRuntime(session_id=session_id, app_host_path=app_host_path)
        self._timeout = timeout
        #: Whether the engine answered (once :attr:`ready` is set).
        self.connected = False
        #: Why it did not, in one line.
        self.error: str | None = None
        #: Set once connecting ended (connected or not), or at once for an app without containers.
        self.ready = anyio.Event()
        self._swept = anyio.Event()
        self._begun = False
        self._connecting = False
        #: Containers the model shows reaching another container, and those reached (see :mod:`._peers`).
        self._peers: set[str] = set()

    def begin(self, model: DistributedApplicationModel, tg: anyio.abc.TaskGroup) -> None:
        """Connect and sweep orphans in the background when the app has containers (idempotent)."""
        if self._begun or not any(isinstance(r, ContainerResource) for r in model):
            return
        self._begun = True
        tg.start_soon(self.connect)

    def plan(self, model: DistributedApplicationModel) -> None:
        """Once the model is final (endpoints allocated): what the model shows of containers reaching others.
        Without containers, nothing will connect: :attr:`ready` is set."""
        if not any(isinstance(r, ContainerResource) for r in model):
            self.ready.set()
            self._swept.set()
        self._peers = model_peers(model)

    async def connect(self) -> None:
        """Connect to the engine (errors are kept in :attr:`error`), then sweep orphans."""
        if self._connecting:
            await self.ready.wait()
            return
        self._connecting = True
        runtime = self.runtime
        try:
            await runtime.connect(timeout=self._timeout())
            self.connected = True
        except Exception as exc:
            self.error = str(exc)
            log.warning("%s", exc)
            with contextlib.suppress(Exception):
                await runtime.close()
        finally:
            self.ready.set()
        try:
            if self.connected:
                for what in await runtime.sweep_orphans():
                    log.info("removed a leftover of an app host that no longer runs: %s", what)
        except Exception as exc:  # never a reason not to start
            log.warning("looking for containers left by app hosts that no longer run failed: %s", exc)
        finally:
            self._swept.set()

    async def persistent_host_ports(self, containers: Iterable[ContainerResource]) -> dict[str, HostPorts]:
        """Host ports of existing persistent containers by resource name (once connected)."""
        await self.ready.wait()
        out: dict[str, HostPorts] = {}
        if not self.connected:
            return out
        for c in containers:
            if c.lifetime is ContainerLifetime.PERSISTENT:
                with contextlib.suppress(Exception):
                    out[c.name] = await self.runtime.persistent_host_ports(c.name, container_name(c))
        return out

    async def before_create(self, r: ContainerResource, spec: ContainerSpec, resolved: Resolved) -> None:
        """Just before *r*'s container is created: on the session network when it reaches another container
        (as the model or its resolved values say) or is reached by one; after the sweep of orphans when a
        leftover could hold what it needs (a fixed host port, its chosen name, a persistent container)."""
        peers = containers_reached(r, resolved.references)
        if peers or r.name in self._peers:
            await self.runtime.join_network(r.name, *peers)
        if (
            spec.container_name
            or r.lifetime is ContainerLifetime.PERSISTENT
            or any(ep.port is not None for ep in r.annotations.all(EndpointAnnotation))
        ):
            await self._swept.wait()

    async def host_address(self) -> str | None:
        """Where containers reach this machine, once connected (``None``: no containers, or no engine)."""
        await self.ready.wait()
        if not self.connected:
            return None
        return await self.runtime.host_gateway_address()
