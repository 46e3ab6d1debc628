"""Endpoints: the annotation that declares one, its allocated addresses, and references to it."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from aspyre._public import present_top_level as _present_top_level

from .._errors import DistributedApplicationException
from ._names import name_key, validate_name
from ._on_first_use import endpoint_reference_expression
from ._values import KnownNetworks

if TYPE_CHECKING:
    from ._endpoint_runtime import AllocatedEndpoint, EndpointReferenceExpression
    from ._execution import ExecutionContext
    from ._resources import IResource
    from ._value_context import ValueContext

__all__ = [
    "EndpointAnnotation",
    "EndpointNotAllocatedError",
    "EndpointProperty",
    "EndpointReference",
    "EndpointProtocol",
]


class EndpointProtocol(enum.Enum):
    """Transport protocol of an endpoint (Aspire's ``ProtocolType``): TCP or UDP."""

    TCP = "tcp"
    UDP = "udp"


class EndpointNotAllocatedError(DistributedApplicationException, RuntimeError):
    """A live endpoint value was read before the endpoint had an address."""


#: ``protocol.value`` by the member's ``id`` (an enum member's ``value`` is a Python-level property; members live as
#: long as their class).
_PROTOCOL_VALUES: dict[int, str] = {id(p): p.value for p in EndpointProtocol}


def _protocol_value(protocol: EndpointProtocol) -> str:
    """``protocol.value``, looked up."""
    value = _PROTOCOL_VALUES.get(id(protocol))
    return protocol.value if value is None else value


def _default_transport(scheme: str, protocol: EndpointProtocol) -> str:
    return "http" if scheme in ("http", "https") else _protocol_value(protocol)


def _check_port(name: str, what: str, p: object) -> None:
    if not (isinstance(p, int) and 0 < p < 65536):
        raise ValueError(f"Endpoint {name!r}: {what} must be an int between 1 and 65535, got {p!r}")


def _validate_endpoint_name(_: object, __: object, value: str) -> None:
    validate_name("Endpoint", value)


@attrs.define(eq=False)
class EndpointAnnotation:
    """A network endpoint of a resource.

    ``port`` is the port on the host (``None``: chosen at run time); ``target_port`` the port
    the workload listens on (for processes without one, chosen at run time and handed over
    through ``env``). ``scheme`` defaults to the protocol's name, ``name`` to the scheme and
    ``transport`` to ``http`` for http/https schemes, else the protocol.
    """

    name: str = attrs.field(validator=_validate_endpoint_name)
    scheme: str = "tcp"
    protocol: EndpointProtocol = EndpointProtocol.TCP
    transport: str = ""
    port: int | None = None
    target_port: int | None = None
    is_external: bool = False
    is_proxied: bool = True
    tls_enabled: bool = False
    #: Name of an environment variable that receives the target port.
    env: str | None = None
    #: Addresses per network, filled by the orchestrator in run mode.
    allocated: dict[str, AllocatedEndpoint] = attrs.field(factory=dict, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.transport:
            self.transport = _default_transport(self.scheme, self.protocol)
        if self.port is not None:
            _check_port(self.name, "port", self.port)
        if self.target_port is not None:
            _check_port(self.name, "target_port", self.target_port)

    def allocation(self, network: str = KnownNetworks.LOCALHOST) -> AllocatedEndpoint | None:
        """The address on ``network``, or ``None`` before allocation."""
        return self.allocated.get(network)

    @property
    def is_allocated(self) -> bool:
        """Whether the endpoint has an address on the host's network."""
        return KnownNetworks.LOCALHOST in self.allocated


class EndpointProperty(enum.Enum):
    """A part of an endpoint's address, usable as a value."""

    URL = "url"
    HOST = "host"
    IPV4_HOST = "ipv4host"
    PORT = "port"
    SCHEME = "scheme"
    TARGET_PORT = "targetPort"
    HOST_AND_PORT = "hostAndPort"
    TLS_ENABLED = "tlsEnabled"


@attrs.frozen(eq=False)
class EndpointReference:
    """A reference to a named endpoint of a resource.

    Used as a value it resolves to the endpoint's URL, as seen from the resource that uses it
    (a container sees other containers by name on the container network, host processes see
    ``127.0.0.1:port``). The live properties (``url``, ``host``, ``port``...) read the address
    from the host's point of view, or from ``network`` when given, and raise
    :class:`EndpointNotAllocatedError` before the endpoint has one.
    """

    resource: IResource
    endpoint_name: str
    network: str | None = None

    # -- the annotation -------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        """Whether the resource has an endpoint of this name (names compare case-insensitively)."""
        return self._find() is not None

    def _find(self) -> EndpointAnnotation | None:
        key = name_key(self.endpoint_name)
        for a in self.resource.annotations.all(EndpointAnnotation):
            if name_key(a.name) == key:
                return a
        return None

    @property
    def annotation(self) -> EndpointAnnotation:
        """The endpoint's annotation; :class:`LookupError` naming the resource's endpoints if there is none."""
        a = self._find()
        if a is None:
            names = [e.name for e in self.resource.annotations.all(EndpointAnnotation)]
            raise LookupError(
                f"Resource {self.resource.name!r} has no endpoint named {self.endpoint_name!r} "
                f"(its endpoints: {', '.join(names) if names else 'none'}). Add one with with_endpoint(name=...)."
            )
        return a

    @property
    def scheme(self) -> str:
        """The endpoint's URI scheme (``http``, ``tcp``...)."""
        return self.annotation.scheme

    @property
    def tls_enabled(self) -> bool:
        """Whether the endpoint uses TLS; ``False`` while the endpoint does not exist (as in Aspire)."""
        a = self._find()
        return a is not None and a.tls_enabled

    # -- live values ----------------------------------------------------------------------------
    def allocated_for(
        self, network: str | None = None, *, execution_context: ExecutionContext | None = None
    ) -> AllocatedEndpoint:
        """The address on ``network`` (default: the reference's network, else the host's).

        Raises :class:`EndpointNotAllocatedError` before the orchestrator allocated one; its message
        says why from ``execution_context`` when the caller knows the mode (as a :class:`ValueContext` does).
        """
        ann = self.annotation
        net = network or self.network or KnownNetworks.LOCALHOST
        alloc = ann.allocated.get(net)
        if alloc is None:
            placeholder = f"{{{self.resource.name}.bindings.{ann.name}.url}}"
            if execution_context is not None and execution_context.is_publish_mode:
                raise EndpointNotAllocatedError(
                    f"Endpoint {ann.name!r} of resource {self.resource.name!r} has no live address in publish mode: "
                    "use the endpoint as a value (with_environment, ReferenceExpression) so the manifest gets "
                    f"the placeholder {placeholder}."
                )
            raise EndpointNotAllocatedError(
                f"Endpoint {ann.name!r} of resource {self.resource.name!r} has not been allocated yet "
                f"(network {net!r}). Live endpoint values exist in run mode once the app has started (after the "
                "after-endpoints-allocated event), never in publish mode; to use the endpoint in configuration, "
                "pass it as a value (with_environment, ReferenceExpression): it is resolved when needed, and "
                f"the manifest gets the placeholder {placeholder}."
            )
        return alloc

    @property
    def is_allocated(self) -> bool:
        """Whether the endpoint exists and has an address (on the reference's network, else the host's)."""
        ann = self._find()
        return ann is not None and (self.network or KnownNetworks.LOCALHOST) in ann.allocated

    @property
    def url(self) -> str:
        """Live ``scheme://host:port``; :class:`EndpointNotAllocatedError` before allocation."""
        return self.allocated_for().url

    @property
    def host(self) -> str:
        """Live host; :class:`EndpointNotAllocatedError` before allocation."""
        return self.allocated_for().address

    @property
    def port(self) -> int:
        """Live port; :class:`EndpointNotAllocatedError` before allocation."""
        return self.allocated_for().port

    @property
    def target_port(self) -> int | None:
        """The port the workload listens on: declared, else chosen by the orchestrator, else ``None``."""
        ann = self.annotation
        if ann.target_port is not None:
            return ann.target_port
        for alloc in ann.allocated.values():
            if alloc.target_port is not None:
                return alloc.target_port
        return None

    # -- value protocols ------------------------------------------------------------------------
    @property
    def value_expression(self) -> str:
        """``{resource.bindings.endpoint.url}``."""
        return f"{{{self.resource.name}.bindings.{self.endpoint_name}.url}}"

    @property
    def references(self) -> Sequence[object]:
        """The resource that owns the endpoint."""
        return (self.resource,)

    async def get_value(self, context: ValueContext) -> str | None:
        """The live URL, as seen from ``context.network`` (or the reference's network)."""
        return await self.property(EndpointProperty.URL).get_value(context)

    def __repr__(self) -> str:
        return f"EndpointReference({self.resource.name!r}, {self.endpoint_name!r})"

    def __eq__(self, other: object) -> bool:
        """References to the same endpoint (same resource object, name ignoring case, network) are equal."""
        if not isinstance(other, EndpointReference):
            return NotImplemented
        return (
            self.resource is other.resource
            and name_key(self.endpoint_name) == name_key(other.endpoint_name)
            and self.network == other.network
        )

    def __hash__(self) -> int:
        return hash((id(self.resource), name_key(self.endpoint_name), self.network))

    # Defined last: inside the class body the name shadows the ``property`` builtin.
    def property(self, prop: EndpointProperty) -> EndpointReferenceExpression:
        """A value for one part of the endpoint's address."""
        return endpoint_reference_expression()(self, prop if type(prop) is EndpointProperty else EndpointProperty(prop))


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
