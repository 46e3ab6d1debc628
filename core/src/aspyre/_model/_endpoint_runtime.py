"""How endpoints are served and reached at run time: through aspyre's proxy or not, with replicas, at the addresses
run mode allocates, and the values read from those addresses (one property of an endpoint).

Imported by the builder methods that set those options, by ``EndpointReference.property`` and by run and publish
mode: an app host's builder that only declares endpoints does not create these classes.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from aspyre._public import present as _present

from ._endpoints import EndpointProperty, EndpointReference
from ._values import KnownNetworks

if TYPE_CHECKING:
    from ._value_context import ValueContext

__all__ = ["AllocatedEndpoint", "EndpointReferenceExpression", "ProxySupportAnnotation", "ReplicaAnnotation"]


@attrs.frozen
class AllocatedEndpoint:
    """Where an endpoint can be reached from one network."""

    address: str
    port: int
    scheme: str
    network: str = KnownNetworks.LOCALHOST
    #: The port the workload listens on, when the orchestrator chose it.
    target_port: int | None = None

    @property
    def url(self) -> str:
        """``scheme://address:port``."""
        return f"{self.scheme}://{self.address}:{self.port}"

    @property
    def host_and_port(self) -> str:
        """``address:port``."""
        return f"{self.address}:{self.port}"


@attrs.frozen
class ProxySupportAnnotation:
    """``with_endpoint_proxy_support``: whether the endpoints of a resource go through aspyre's proxy.

    Processes are proxied unless this says ``False`` (or the endpoint says ``is_proxied=False``); containers
    keep Docker's own port publishing unless this says ``True``.
    """

    enabled: bool


@attrs.frozen
class ReplicaAnnotation:
    """``with_replicas``: run ``replicas`` copies of a process behind each of its (proxied) endpoints."""

    replicas: int


_PROPERTY_EXPRESSIONS = {
    EndpointProperty.URL: "url",
    EndpointProperty.HOST: "host",
    EndpointProperty.IPV4_HOST: "host",
    EndpointProperty.PORT: "port",
    EndpointProperty.SCHEME: "scheme",
    EndpointProperty.TARGET_PORT: "targetPort",
    EndpointProperty.TLS_ENABLED: "tlsEnabled",
}
#: The same, by the member's ``id`` (members live as long as their class; an enum member hashes in Python code).
_PROPERTY_NAMES = {id(member): name for member, name in _PROPERTY_EXPRESSIONS.items()}


@attrs.frozen(eq=False)
class EndpointReferenceExpression:
    """One property of an endpoint, as a value (``ep.property(EndpointProperty.PORT)``)."""

    endpoint: EndpointReference
    property: EndpointProperty

    @builtins.property
    def value_expression(self) -> str:
        """``{resource.bindings.endpoint.<property>}``; ``HOST_AND_PORT`` is ``{..host}:{..port}``."""
        base = f"{{{self.endpoint.resource.name}.bindings.{self.endpoint.endpoint_name}"
        if self.property is EndpointProperty.HOST_AND_PORT:
            return f"{base}.host}}:{base}.port}}"
        return f"{base}.{_PROPERTY_NAMES[id(self.property)]}}}"

    @builtins.property
    def references(self) -> Sequence[object]:
        """The resource that owns the endpoint."""
        return (self.endpoint.resource,)

    async def get_value(self, context: ValueContext) -> str | None:
        """The live property; :class:`EndpointNotAllocatedError` before allocation.

        ``SCHEME`` and ``TLS_ENABLED`` are known from the declaration and never raise;
        ``TARGET_PORT`` too when it was declared.
        """
        ep = self.endpoint
        ann = ep.annotation
        prop = self.property
        if prop is EndpointProperty.SCHEME:
            return ann.scheme
        if prop is EndpointProperty.TLS_ENABLED:
            return "true" if ann.tls_enabled else "false"
        network = ep.network or context.network
        if prop is EndpointProperty.TARGET_PORT:
            tp = ep.target_port
            if tp is None:
                ep.allocated_for(network, execution_context=context.execution_context)  # raises the clear error
                tp = ep.target_port
            return None if tp is None else str(tp)
        alloc = ep.allocated_for(network, execution_context=context.execution_context)
        if prop is EndpointProperty.URL:
            return alloc.url
        if prop is EndpointProperty.HOST:
            return alloc.address
        if prop is EndpointProperty.IPV4_HOST:
            return "127.0.0.1" if alloc.address == "localhost" else alloc.address
        if prop is EndpointProperty.PORT:
            return str(alloc.port)
        if prop is EndpointProperty.HOST_AND_PORT:
            return alloc.host_and_port
        raise AssertionError(prop)  # pragma: no cover

    def __repr__(self) -> str:
        return f"EndpointReferenceExpression({self.value_expression!r})"

    def __eq__(self, other: object) -> bool:
        """The same property of equal endpoint references."""
        if not isinstance(other, EndpointReferenceExpression):
            return NotImplemented
        return self.property is other.property and self.endpoint == other.endpoint

    def __hash__(self) -> int:
        return hash((self.endpoint, self.property))


# aspyre.model and aspyre.annotations import these on first use (their _LAZY): they report it however they are reached.
_present(globals(), "aspyre.model", names=["AllocatedEndpoint", "EndpointReferenceExpression"])
_present(globals(), "aspyre.annotations", names=["ProxySupportAnnotation", "ReplicaAnnotation"])
