"""Ports and addresses: each endpoint gets a host port, and an address for each network it is reached from.

A caller on the host reaches every endpoint at ``127.0.0.1:<host port>``. A caller in a container asks
the container runtime: another container by :meth:`Addresses.container_address`, a process on the host
by :meth:`Addresses.host_gateway_name`.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Protocol

import attrs

from .._model._endpoint_runtime import AllocatedEndpoint, ProxySupportAnnotation, ReplicaAnnotation
from .._model._endpoints import EndpointAnnotation, EndpointProtocol
from .._model._graph import DistributedApplicationModel
from .._model._resources import ContainerResource, ExecutableResource, IResource
from .._model._values import KnownNetworks
from ._proxy import bind_listener

__all__ = ["Addresses", "EndpointAllocator", "HostPorts", "ProxiedEndpoint", "is_proxied", "replica_count"]

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


def replica_count(r: IResource) -> int:
    """How many copies of *r* run (``with_replicas``; 1 by default)."""
    ann = r.annotations.last(ReplicaAnnotation)
    return 1 if ann is None else ann.replicas


def is_proxied(r: IResource, ep: EndpointAnnotation) -> bool:
    """Whether *ep* goes through aspyre's endpoint proxy.

    TCP endpoints of processes are, unless ``is_proxied=False``, ``with_endpoint_proxy_support(False)``, or the
    endpoint fixes one port for both sides (``port`` alone, or ``port == target_port``): then the process
    listens on that port itself. Containers keep Docker's own port publishing unless
    ``with_endpoint_proxy_support(True)``.
    """
    if ep.protocol is not EndpointProtocol.TCP or not ep.is_proxied:
        return False
    support = r.annotations.last(ProxySupportAnnotation)
    if isinstance(r, ContainerResource):
        return support is not None and support.enabled
    if not isinstance(r, ExecutableResource) or (support is not None and not support.enabled):
        return False
    return not (ep.port is not None and ep.port == ep.target_port)


@attrs.define(eq=False)
class ProxiedEndpoint:
    """An endpoint that gets a proxy: its listening socket, and the port each replica listens on (processes)."""

    resource: IResource
    endpoint: EndpointAnnotation
    listener: socket.socket
    #: One port per replica (processes); empty for a container (its host port is known once it runs).
    target_ports: tuple[int, ...] = ()


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

    Fixed ports are kept (except, with *randomize_ports* for tests, container host ports and the public ports of
    proxied endpoints); persistent containers keep the host ports they had; the rest get free ports on
    127.0.0.1. A proxied endpoint's public port is bound here (its listening socket goes to the proxy), and
    each replica of a process gets a port of its own to listen on.
    """

    def __init__(self, addresses: Addresses, *, randomize_ports: bool = False) -> None:
        self._addresses = addresses
        self._randomize = randomize_ports
        self._taken: set[int] = set()

    def _fixed(self, r: IResource, ep: EndpointAnnotation) -> bool:
        """Whether the endpoint's ``port`` is used as given."""
        if ep.port is None:
            return False
        return not (self._randomize and (isinstance(r, ContainerResource) or is_proxied(r, ep)))

    def allocate(
        self, model: DistributedApplicationModel, keep: Mapping[str, HostPorts] | None = None
    ) -> list[ProxiedEndpoint]:
        """Fill ``allocated`` of every endpoint; *keep*: host ports of persistent containers by resource name.

        Returns the proxied endpoints, each with its bound (listening) socket: the caller serves or closes them.
        """
        keep = keep or {}
        taken = self._taken
        for ports in keep.values():
            taken.update(ports.values())
        for r in model:
            for ep in r.annotations.all(EndpointAnnotation):
                if self._fixed(r, ep):
                    taken.add(ep.port)  # type: ignore[arg-type]
                if ep.target_port is not None and not isinstance(r, ContainerResource):
                    taken.add(ep.target_port)
        proxies: list[ProxiedEndpoint] = []
        try:
            for r in model:
                for ep in r.annotations.all(EndpointAnnotation):
                    ep.allocated.clear()
                    if is_proxied(r, ep):
                        proxies.append(self._proxied_endpoint(r, ep))
                    elif isinstance(r, ContainerResource):
                        self._container_endpoint(r, ep, keep.get(r.name, {}))
                    else:
                        self._host_endpoint(ep)
        except BaseException:
            for p in proxies:
                p.listener.close()
            raise
        return proxies

    def _proxied_endpoint(self, r: IResource, ep: EndpointAnnotation) -> ProxiedEndpoint:
        what = f"endpoint {ep.name!r} of resource {r.name!r}"
        listener = bind_listener("127.0.0.1", (ep.port or 0) if self._fixed(r, ep) else 0, what)
        port = int(listener.getsockname()[1])
        self._taken.add(port)
        if isinstance(r, ContainerResource):
            assert ep.target_port is not None
            targets: tuple[int, ...] = ()
            ep.allocated[KnownNetworks.LOCALHOST] = AllocatedEndpoint(
                "127.0.0.1", port, ep.scheme, KnownNetworks.LOCALHOST, ep.target_port
            )
            host, container_port = self._addresses.container_address(r.name, ep.target_port)
            ep.allocated[KnownNetworks.CONTAINER] = AllocatedEndpoint(
                host, container_port, ep.scheme, KnownNetworks.CONTAINER, ep.target_port
            )
            return ProxiedEndpoint(r, ep, listener, targets)
        if ep.target_port is not None:
            targets = (ep.target_port,)
        else:
            targets = tuple(_free_port(self._taken) for _ in range(replica_count(r)))
        ep.allocated[KnownNetworks.LOCALHOST] = AllocatedEndpoint(
            "127.0.0.1", port, ep.scheme, KnownNetworks.LOCALHOST, targets[0]
        )
        # The proxy listens on the loopback interface only: containers reach the (first) replica directly.
        ep.allocated[KnownNetworks.CONTAINER] = AllocatedEndpoint(
            self._addresses.host_gateway_name(), targets[0], ep.scheme, KnownNetworks.CONTAINER, targets[0]
        )
        return ProxiedEndpoint(r, ep, listener, targets)

    def _container_endpoint(self, r: ContainerResource, ep: EndpointAnnotation, previous: HostPorts) -> None:
        assert ep.target_port is not None
        kept = previous.get((ep.target_port, ep.protocol.value))
        if ep.port is not None and self._fixed(r, ep):
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
