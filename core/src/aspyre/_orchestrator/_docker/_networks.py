"""The session's bridge network (removed at close) and the app host's persistent network (kept).

The session network exists only while a container needs it: containers that reach another container by
name, and the containers they reach, join it (:meth:`Networks.join`); every other container runs on the
engine's default bridge (it starts faster there, and nothing has to be created or removed).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging

import anyio
import anyio.abc

from ._engine import DockerEngine
from ._errors import APIError, Conflict, ContainerStartError, NotFound, explain
from ._owner import (
    LABEL_APP_HOST_HASH,
    LABEL_MANAGED,
    LABEL_SESSION,
    LIFETIME_PERSISTENT,
    LIFETIME_SESSION,
    app_name,
)

__all__ = ["Networks"]

_log = logging.getLogger("aspyre.containers")


class Networks:
    """Creates the two networks once, on first use, and removes the session network at the end.

    The containers of the resources that :meth:`join` names are on the session network, reachable under
    their resource name and aliases; the others stay on the default bridge (:meth:`placement`), and are
    connected to the session network when a later :meth:`join` names them. Persistent containers live on
    the persistent network, so their published ports keep working while no app host runs, and join the
    session network while one does when they are named.
    """

    def __init__(self, engine: DockerEngine) -> None:
        self._engine = engine
        session_hash = hashlib.sha256(engine.session_id.encode()).hexdigest()[:8]
        #: ``aspyre-session-<hash8 of the session id>-<app name>``.
        self.session_name = f"aspyre-session-{session_hash}-{app_name(engine.app_host_path)}"
        #: ``aspyre-persistent-<app host hash>``.
        self.persistent_name = f"aspyre-persistent-{engine.app_host_hash}"
        #: The session network's id once created.
        self.session_id: str | None = None
        self._persistent_id: str | None = None
        self._lock: anyio.Lock | None = None
        self._members_lock: anyio.Lock | None = None
        self._host_gateway: str | None = None
        #: Every container joins the session network (Podman: ``host.docker.internal`` is its gateway).
        self.always = False
        #: Resources whose containers are on the session network.
        self._members: set[str] = set()
        #: Containers off the session network, by resource name: ``(container id, aliases)``.
        self._off: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        #: Containers on the session network.
        self._attached: set[str] = set()

    def _get_lock(self) -> anyio.Lock:
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock

    async def ensure_session(self) -> str:
        """Create the session network once (labelled like every session object); return its name."""
        async with self._get_lock():
            if self.session_id is None:
                labels = self._engine.labels(LIFETIME_SESSION)
                self.session_id = await self._engine.call(self._create, self.session_name, labels, True)
        return self.session_name

    def _get_members_lock(self) -> anyio.Lock:
        if self._members_lock is None:
            self._members_lock = anyio.Lock()
        return self._members_lock

    @property
    def members(self) -> frozenset[str]:
        """The resources whose containers are (or will be) on the session network."""
        return frozenset(self._members)

    async def join(self, names: set[str] | frozenset[str]) -> None:
        """Put the containers of the resources *names* on the session network (created now if needed).

        Containers of those resources made earlier on the default bridge are connected now, under their
        aliases (the engine connects running containers too); those made later are created on it.
        """
        async with self._get_members_lock():
            new = set(names) - self._members
            if not new:
                return
            self._members |= new
            pending = [entry for name in sorted(new) for entry in self._off.pop(name, [])]
            if not pending:
                return
            await self.ensure_session()
            async with anyio.create_task_group() as tg:
                for container_id, aliases in pending:
                    tg.start_soon(self._connect, container_id, aliases)

    async def placement(self, resource_name: str, *, join: bool = False) -> str | None:
        """The session network's name when *resource_name*'s next container is to be created on it (the
        network is created then), ``None`` when it runs on the default bridge. *join*: it must be on it."""
        async with self._get_members_lock():
            if not (join or self.always or resource_name in self._members):
                return None
            self._members.add(resource_name)
            return await self.ensure_session()

    async def created(
        self, resource_name: str, container_id: str, aliases: tuple[str, ...], network: str | None
    ) -> None:
        """Record a container just created (on *network*, the session network's name, or off it: ``None``).

        One created off the session network while a :meth:`join` named its resource is connected now.
        """
        async with self._get_members_lock():
            if network is not None:
                self._attached.add(container_id)
            elif resource_name in self._members:
                await self.ensure_session()
                await self._connect(container_id, aliases)
            else:
                self._off.setdefault(resource_name, []).append((container_id, aliases))

    def forget(self, container_id: str) -> None:
        """The container is gone (or stays behind, off the session): stop tracking it."""
        self._attached.discard(container_id)
        for entries in self._off.values():
            entries[:] = [entry for entry in entries if entry[0] != container_id]

    def on_session(self, container_id: str) -> bool:
        """Whether the container is on the session network."""
        return container_id in self._attached

    async def _connect(self, container_id: str, aliases: tuple[str, ...]) -> None:
        api = self._engine.api()
        try:
            await self._engine.call(
                api.connect_container_to_network, container_id, self.session_name, aliases=list(aliases)
            )
        except NotFound:
            return  # the container went meanwhile (stopped and removed): nothing to reach
        except APIError as exc:
            if "already exists" not in str(exc):
                raise ContainerStartError(
                    f"Cannot connect container {container_id[:12]} to the network {self.session_name}: {explain(exc)}"
                ) from exc
        self._attached.add(container_id)

    async def ensure_persistent(self) -> str:
        """Create (or find) the app host's persistent network; return its name."""
        async with self._get_lock():
            if self._persistent_id is None:
                labels = self._engine.labels(LIFETIME_PERSISTENT)
                self._persistent_id = await self._engine.call(self._create, self.persistent_name, labels, False)
        return self.persistent_name

    async def host_gateway(self) -> str:
        """What ``host.docker.internal`` maps to in containers.

        Docker's ``host-gateway``; Podman's Docker API (4.x) does not understand that word, so there it is
        the session network's gateway address, the one Podman's own ``host.containers.internal`` points to
        (every container joins the session network there: :attr:`always`).
        """
        if self._host_gateway is None:
            if self.always:
                await self.ensure_session()
            self._host_gateway = await self._engine.call(self._find_host_gateway)
        return self._host_gateway

    async def host_gateway_address(self) -> str | None:
        """The IP address behind :meth:`host_gateway`: Docker's ``host-gateway`` is the default bridge's gateway
        (unless the daemon sets ``host-gateway-ip``, which its API does not tell)."""
        gateway = await self.host_gateway()
        if gateway != "host-gateway":
            return gateway
        return await self._engine.call(self._default_bridge_gateway)

    def _default_bridge_gateway(self) -> str | None:
        try:
            bridge = self._engine.api().inspect_network("bridge")
        except APIError:
            return None
        for config in (bridge.get("IPAM") or {}).get("Config") or []:
            if config.get("Gateway"):
                return str(config["Gateway"])
            try:
                subnet = ipaddress.ip_network(str(config.get("Subnet")))
            except ValueError:
                continue
            if subnet.version == 4 and subnet.num_addresses > 2:
                return str(subnet.network_address + 1)  # Docker's default: the first address
        return None

    def _find_host_gateway(self) -> str:
        api = self._engine.api()
        if self.session_id is None or not self.always:
            return "host-gateway"
        for config in (api.inspect_network(self.session_id).get("IPAM") or {}).get("Config") or []:
            if config.get("Gateway"):
                return str(config["Gateway"])
        return "host-gateway"

    async def leave_session(self, container_id: str, container_name: str) -> None:
        """Disconnect a container (that stays) from the session network."""
        attached = container_id in self._attached
        self.forget(container_id)
        if self.session_id is None or not attached:
            return
        try:
            api = self._engine.api()
            await self._engine.call(api.disconnect_container_from_network, container_id, self.session_id, force=True)
        except APIError as exc:
            _log.debug("disconnecting %s from the session network: %s", container_name, exc)

    async def remove_session(self) -> None:
        """Remove the session network, disconnecting whatever is still on it."""
        if self.session_id is None:
            return
        try:
            await self._engine.call(self._remove, self.session_id)
        except Exception as exc:
            _log.warning("removing network %s failed: %s", self.session_name, exc)
        self.session_id = None

    def _create(self, name: str, labels: dict[str, str], session: bool) -> str:
        api = self._engine.api()
        try:
            return str(api.create_network(name, driver="bridge", labels=labels, check_duplicate=True)["Id"])
        except Conflict:
            pass
        except APIError as exc:
            raise ContainerStartError(f"Cannot create the network {name}: {explain(exc)}") from exc
        existing = api.inspect_network(name)
        existing_labels = existing.get("Labels") or {}
        ours = existing_labels.get(LABEL_MANAGED) == "true" and (
            existing_labels.get(LABEL_SESSION) == self._engine.session_id
            if session
            else existing_labels.get(LABEL_APP_HOST_HASH) == self._engine.app_host_hash
        )
        if not ours:
            raise ContainerStartError(
                f"A network named {name} exists but was not created by this app host; remove it with "
                f"`docker network rm {name}`."
            )
        return str(existing["Id"])

    def _remove(self, network_id: str) -> None:
        api = self._engine.api()
        try:
            details = api.inspect_network(network_id)
        except NotFound:
            return
        for container_id in details.get("Containers") or {}:
            try:
                api.disconnect_container_from_network(container_id, network_id, force=True)
            except APIError as exc:
                _log.debug("disconnecting %s: %s", container_id, exc)
        try:
            api.remove_network(network_id)
        except NotFound:
            pass
