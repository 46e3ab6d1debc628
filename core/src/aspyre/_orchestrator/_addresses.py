"""Ports and addresses: each endpoint gets a host port, and an address for each network it is reached from.

A caller on the host reaches every endpoint at ``127.0.0.1:<host port>``. A caller in a container asks
the container runtime: another container by :meth:`Addresses.container_address`, a process on the host
by :meth:`Addresses.host_gateway_name`.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Protocol

from .._model._endpoints import AllocatedEndpoint, EndpointAnnotation
from .._model._graph import DistributedApplicationModel
from .._model._resources import ContainerResource
from .._model._values import KnownNetworks

__all__ = ["Addresses", "EndpointAllocator", "HostPorts"]

#: ``(target port, protocol) -> host port`` of one container.
HostPorts = Mapping[tuple[int, str], int]


class Addresses(Protocol):
    """What allocation asks the container runtime: how a caller in a container reaches an address."""

    def host_gateway_name(self) -> str:
        """The host name a container reaches the host by."""
        ...

    def container_address(self, resource_name: str, target_port: int) -> tuple[str, int]:
        """How a container reaches another container's target port."""
        ...


def _free_port(taken: set[int]) -> int:
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in taken:
            taken.add(port)
            return port
    raise RuntimeError("could not find a free port on 127.0.0.1")


class EndpointAllocator:
    """Allocates every endpoint of an app once, before anything starts.

    Fixed ports are kept (except container host ports with *randomize_container_ports*, for tests);
    persistent containers keep the host ports they had; the rest get free ports on 127.0.0.1.
    """

    def __init__(self, addresses: Addresses, *, randomize_container_ports: bool = False) -> None:
        self._addresses = addresses
        self._randomize = randomize_container_ports
        self._taken: set[int] = set()

    def allocate(self, model: DistributedApplicationModel, keep: Mapping[str, HostPorts] | None = None) -> None:
        """Fill ``allocated`` of every endpoint; *keep*: host ports of persistent containers by resource name."""
        keep = keep or {}
        taken = self._taken
        for ports in keep.values():
            taken.update(ports.values())
        for r in model:
            for ep in r.annotations.all(EndpointAnnotation):
                if ep.port is not None and not (self._randomize and isinstance(r, ContainerResource)):
                    taken.add(ep.port)
        for r in model:
            for ep in r.annotations.all(EndpointAnnotation):
                ep.allocated.clear()
                if isinstance(r, ContainerResource):
                    self._container_endpoint(r, ep, keep.get(r.name, {}))
                else:
                    self._host_endpoint(ep)

    def _container_endpoint(self, r: ContainerResource, ep: EndpointAnnotation, previous: HostPorts) -> None:
        assert ep.target_port is not None
        kept = previous.get((ep.target_port, ep.protocol.value))
        if ep.port is not None and not self._randomize:
            host_port = ep.port
        elif kept is not None:
            host_port = kept
        else:
            host_port = _free_port(self._taken)
        ep.allocated[KnownNetworks.LOCALHOST] = AllocatedEndpoint(
            "127.0.0.1", host_port, ep.scheme, KnownNetworks.LOCALHOST, ep.target_port
        )
        host, port = self._addresses.container_address(r.name, ep.target_port)
        ep.allocated[KnownNetworks.CONTAINER] = AllocatedEndpoint(
            host, port, ep.scheme, KnownNetworks.CONTAINER, ep.target_port
        )

    def _host_endpoint(self, ep: EndpointAnnotation) -> None:
        port = ep.port or ep.target_port or _free_port(self._taken)
        ep.allocated[KnownNetworks.LOCALHOST] = AllocatedEndpoint(
            "127.0.0.1", port, ep.scheme, KnownNetworks.LOCALHOST, port
        )
        ep.allocated[KnownNetworks.CONTAINER] = AllocatedEndpoint(
            self._addresses.host_gateway_name(), port, ep.scheme, KnownNetworks.CONTAINER, port
        )
