"""The session's bridge network (removed at close) and the app host's persistent network (kept)."""

from __future__ import annotations

import hashlib
import ipaddress
import logging

import anyio

from ._engine import DockerEngine
from ._errors import ContainerStartError, explain
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

    Every container of the session joins the session network, reachable under its resource name and
    aliases. Persistent containers live on the persistent network, so their published ports keep
    working while no app host runs, and join the session network while one does.
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
        self._host_gateway: str | None = None

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

    async def ensure_persistent(self) -> str:
        """Create (or find) the app host's persistent network; return its name."""
        async with self._get_lock():
            if self._persistent_id is None:
                labels = self._engine.labels(LIFETIME_PERSISTENT)
                self._persistent_id = await self._engine.call(self._create, self.persistent_name, labels, False)
        return self.persistent_name

    async def host_gateway(self) -> str:
        """What ``host.docker.internal`` maps to in containers (call after :meth:`ensure_session`).

        Docker's ``host-gateway``; Podman's Docker API (4.x) does not understand that word, so there it is
        the session network's gateway address, the one Podman's own ``host.containers.internal`` points to.
        """
        if self._host_gateway is None:
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
        import docker.errors

        try:
            bridge = self._engine.api().inspect_network("bridge")
        except docker.errors.APIError:
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
        components = api.version().get("Components") or []
        if self.session_id is None or not any("podman" in str(c.get("Name", "")).lower() for c in components):
            return "host-gateway"
        for config in (api.inspect_network(self.session_id).get("IPAM") or {}).get("Config") or []:
            if config.get("Gateway"):
                return str(config["Gateway"])
        return "host-gateway"

    async def leave_session(self, container_id: str, container_name: str) -> None:
        """Disconnect a container (that stays) from the session network."""
        import docker.errors

        if self.session_id is None:
            return
        try:
            api = self._engine.api()
            await self._engine.call(api.disconnect_container_from_network, container_id, self.session_id, force=True)
        except docker.errors.APIError as exc:
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
        import docker.errors

        api = self._engine.api()
        try:
            return str(api.create_network(name, driver="bridge", labels=labels, check_duplicate=True)["Id"])
        except docker.errors.APIError as exc:
            if exc.status_code != 409:
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
        import docker.errors

        api = self._engine.api()
        try:
            details = api.inspect_network(network_id)
        except docker.errors.NotFound:
            return
        for container_id in details.get("Containers") or {}:
            try:
                api.disconnect_container_from_network(container_id, network_id, force=True)
            except docker.errors.APIError as exc:
                _log.debug("disconnecting %s: %s", container_id, exc)
        try:
            api.remove_network(network_id)
        except docker.errors.NotFound:
            pass
