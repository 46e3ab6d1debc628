"""Resources: the base class, the capability protocols, and the built-in resource types."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

import attrs

from aspyre._public import present_top_level as _present_top_level

from .._errors import DistributedApplicationException
from ._annotations import Annotations, ContainerImageAnnotation
from ._endpoints import EndpointReference
from ._known import KnownResourceTypes
from ._names import name_key, validate_name
from ._protocols import CachedProtocolMeta, ConcreteResourceMeta
from ._values import ReferenceExpression

if TYPE_CHECKING:
    from pathlib import Path

    from _typeshed import StrPath

    from ._container_annotations import ContainerLifetime
    from ._value_context import ValueContext

__all__ = [
    "ContainerResource",
    "ExecutableResource",
    "GenerateParameterDefault",
    "IResource",
    "IResourceWithArgs",
    "IResourceWithConnectionString",
    "IResourceWithEndpoints",
    "IResourceWithEnvironment",
    "IResourceWithParent",
    "IResourceWithServiceDiscovery",
    "IResourceWithWaitSupport",
    "IResourceWithoutLifetime",
    "MissingParameterValueError",
    "ParameterResource",
    "Resource",
    "capability_names",
    "resource_type_name",
]


# --------------------------------------------------------------------------- capabilities
#
# Capabilities are Protocols. The "marker" ones (a resource either has the capability or
# not) carry one class-level flag so that ``isinstance`` can tell them apart at run time; a
# resource class declares a capability by inheriting the protocol, which also sets the flag.


@runtime_checkable
class IResource(Protocol, metaclass=CachedProtocolMeta):
    """Anything with a name and annotations is a resource."""

    # Attributes, not read-only properties: resources are attrs classes whose fields these are, and
    # a class that inherits Resource and a capability protocol must see the same kind of member in
    # both (pyright checks that).
    name: str
    annotations: Annotations


@runtime_checkable
class IResourceWithEnvironment(IResource, Protocol):
    """Receives environment variables (``with_environment``, ``with_reference``)."""

    supports_environment: ClassVar[bool] = True


@runtime_checkable
class IResourceWithArgs(IResource, Protocol):
    """Receives command-line arguments (``with_args``)."""

    supports_args: ClassVar[bool] = True


@runtime_checkable
class IResourceWithEndpoints(IResource, Protocol):
    """Has network endpoints (``with_endpoint``, ``get_endpoint``)."""

    supports_endpoints: ClassVar[bool] = True


@runtime_checkable
class IResourceWithServiceDiscovery(IResourceWithEndpoints, Protocol):
    """Can be passed to ``with_reference`` to hand its endpoints over as service-discovery variables."""

    supports_service_discovery: ClassVar[bool] = True


@runtime_checkable
class IResourceWithWaitSupport(IResource, Protocol):
    """Can wait for other resources (``wait_for``)."""

    supports_wait: ClassVar[bool] = True


@runtime_checkable
class IResourceWithoutLifetime(IResource, Protocol):
    """Inert data, no process: parameters and connection strings. Nothing is started or stopped for it,
    it has no start/stop commands, and waits on it are skipped unless it has health checks (then
    ``wait_for`` waits for them to pass: an external service behind a connection string)."""

    without_lifetime: ClassVar[bool] = True


@runtime_checkable
class IResourceWithParent(IResource, Protocol):
    """A child resource: starts after its parent, stops with it, inherits its health checks."""

    @property
    def parent(self) -> IResource: ...


@runtime_checkable
class IResourceWithConnectionString(IResource, Protocol):
    """Has a connection string that ``with_reference`` hands over as ``ConnectionStrings__{name}``.

    A resource class declares it by inheriting it and implementing :attr:`connection_string_expression`
    (as Aspire's ``ConnectionStringExpression``); :meth:`connection_properties` (none by default) and
    :meth:`get_connection_string` come with it.
    """

    @property
    def connection_string_expression(self) -> ReferenceExpression:
        """The connection string, as an expression of values (resolved in run mode, placeholders in manifests)."""
        ...

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        """``(PropertyName, value)`` pairs injected as ``{NAME}_{PROPERTYNAME}``; none unless overridden."""
        return ()

    async def get_connection_string(self, context: ValueContext | None = None) -> str | None:
        """The live connection string (run mode, once endpoints are allocated): Aspire's ``GetConnectionStringAsync``.

        Resolved as the app host sees it (``127.0.0.1:<host port>``) unless ``context`` says otherwise.
        """
        expression = self.connection_string_expression
        if not isinstance(expression, ReferenceExpression):
            raise TypeError(
                f"Resource {self.name!r} ({type(self).__name__}) declares a connection string but its "
                "connection_string_expression is not a ReferenceExpression"
            )
        if context is None:
            from ._value_context import ValueContext

            context = ValueContext(None)
        return await expression.get_value(context)


_CAPABILITIES: tuple[tuple[type, str], ...] = (
    (IResourceWithEnvironment, "environment"),
    (IResourceWithArgs, "args"),
    (IResourceWithEndpoints, "endpoints"),
    (IResourceWithServiceDiscovery, "service-discovery"),
    (IResourceWithWaitSupport, "wait-support"),
    (IResourceWithConnectionString, "connection-string"),
    (IResourceWithParent, "parent"),
    (IResourceWithoutLifetime, "without-lifetime"),
)


def capability_names(resource: object) -> list[str]:
    """The capabilities ``resource`` has, in words (for messages and ``aspyre describe``)."""
    return [label for proto, label in _CAPABILITIES if isinstance(resource, proto)]


def resource_type_name(resource: object) -> str:
    """The type shown in snapshots, ``aspyre describe`` and reports: the class's ``resource_type``.

    A resource that only satisfies :class:`IResource` (no :class:`Resource` base) is named by its class.
    """
    cls = type(resource)
    return str(getattr(cls, "resource_type", cls.__name__))


# --------------------------------------------------------------------------- base


#: The concrete class ``Path(...)`` makes on this platform, once a working directory was converted (pathlib is
#: imported then, not with the model: an app host's builder with containers only needs none).
_PATH_TYPE: type[Path] | None = None


def _as_path(value: StrPath) -> Path:
    """``Path(value)``, or ``value`` itself when it already is exactly what that would make (an immutable object)."""
    global _PATH_TYPE
    path_type = _PATH_TYPE
    if path_type is None:
        from pathlib import Path

        path_type = _PATH_TYPE = type(Path())
    if isinstance(value, path_type) and type(value) is path_type:
        return value
    return path_type(value)


def _validate_resource_name(_: object, __: object, value: str) -> None:
    validate_name("Resource", value)


@attrs.define(eq=False)
class Resource(metaclass=ConcreteResourceMeta):
    """Base class of resources: a validated name and an ordered list of annotations.

    Resources are data. Behaviour comes from annotations and event subscriptions; subclasses
    add typed fields and declare capabilities by inheriting the capability protocols.
    """

    #: The type shown in snapshots and ``aspyre describe``; subclasses override it.
    resource_type: ClassVar[str] = "Resource"

    name: str = attrs.field(validator=_validate_resource_name)
    annotations: Annotations = attrs.field(factory=Annotations, kw_only=True, repr=False)

    @property
    def key(self) -> str:
        """The case-insensitive identity of the name."""
        return name_key(self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _endpoint_reference(resource: IResource, name: str) -> EndpointReference:
    return EndpointReference(resource, name)


# --------------------------------------------------------------------------- containers & processes


@attrs.define(eq=False, repr=False)
class ContainerResource(
    Resource,
    IResourceWithEnvironment,
    IResourceWithArgs,
    IResourceWithEndpoints,
    IResourceWithWaitSupport,
):
    """A container started from an image."""

    resource_type: ClassVar[str] = KnownResourceTypes.CONTAINER

    entrypoint: str | None = attrs.field(default=None, kw_only=True)

    def get_endpoint(self, name: str) -> EndpointReference:
        """A reference to the endpoint called ``name`` (it may be declared later)."""
        return _endpoint_reference(self, name)

    @property
    def image(self) -> ContainerImageAnnotation | None:
        """The image (``None`` until ``with_image``)."""
        return self.annotations.last(ContainerImageAnnotation)

    @property
    def lifetime(self) -> ContainerLifetime:
        """``SESSION`` unless ``with_lifetime`` said otherwise."""
        from ._container_annotations import ContainerLifetime, ContainerLifetimeAnnotation
        ann = self.annotations.last(ContainerLifetimeAnnotation)
        return ContainerLifetime.SESSION if ann is None else ann.lifetime


@attrs.define(eq=False, repr=False)
class ExecutableResource(
    Resource,
    IResourceWithEnvironment,
    IResourceWithArgs,
    IResourceWithServiceDiscovery,
    IResourceWithWaitSupport,
):
    """A process started from a command, in a working directory.

    Unlike Aspire's, aspyre's executables support service discovery: ``with_reference(exe)``
    hands over all of its endpoints (a Python service is often started as a plain command).
    """

    resource_type: ClassVar[str] = KnownResourceTypes.EXECUTABLE

    command: str = attrs.field(kw_only=True)
    working_dir: Path = attrs.field(kw_only=True, converter=_as_path)

    def get_endpoint(self, name: str) -> EndpointReference:
        """A reference to the endpoint called ``name`` (it may be declared later)."""
        return _endpoint_reference(self, name)


# --------------------------------------------------------------------------- parameters


class MissingParameterValueError(DistributedApplicationException, LookupError):
    """A parameter was used but has no value."""


@attrs.frozen
class GenerateParameterDefault:
    """Generate a random value (Aspire's ``GenerateParameterDefault``)."""

    min_length: int = 22
    lower: bool = True
    upper: bool = True
    numeric: bool = True
    special: bool = True
    min_lower: int = 0
    min_upper: int = 0
    min_numeric: int = 0
    min_special: int = 0

    def generate(self) -> str:
        from ._secrets import generate_password

        return generate_password(self)


@attrs.define(eq=False, repr=False)
class ParameterResource(Resource, IResourceWithoutLifetime):
    """A value supplied from outside the app model: configuration, a default, or a generated secret.

    In run mode its value comes from, in order: the ``value`` given in code, the environment
    variable ``Parameters__{name}`` (or with ``-`` as ``_``), the app host's secrets store
    (generated values are saved there), the default. In publish mode it is ``{name.value}``.
    """

    resource_type: ClassVar[str] = KnownResourceTypes.PARAMETER

    secret: bool = attrs.field(default=False, kw_only=True)
    #: A constant value given in code.
    value_in_code: str | None = attrs.field(default=None, kw_only=True)
    #: A constant default (``str``) or a generator (:class:`GenerateParameterDefault`).
    default: str | GenerateParameterDefault | None = attrs.field(default=None, kw_only=True)
    #: Publish a constant value as the manifest default.
    publish_value_as_default: bool = attrs.field(default=False, kw_only=True)
    description: str | None = attrs.field(default=None, kw_only=True)
    #: The value once known, and where it came from (filled by the resolver or the app).
    _value: str | None = attrs.field(default=None, init=False)
    _value_source: str | None = attrs.field(default=None, init=False)
    #: Called on the first read of :attr:`value` to look the value up (set by the app builder,
    #: which knows the environment and the secrets store; the model itself does no I/O).
    _resolver: Callable[[ParameterResource], object] | None = attrs.field(default=None, init=False)

    @property
    def is_connection_string(self) -> bool:
        """Whether this is a connection string supplied from outside (``add_connection_string(name)``)."""
        return False

    @property
    def configuration_key(self) -> str:
        """The environment variable the value is read from: ``Parameters__{name}``."""
        return f"Parameters__{self.name}"

    @property
    def has_value(self) -> bool:
        """Whether the value is already known (it is looked up on first read)."""
        return self._value is not None

    @property
    def value_source(self) -> str | None:
        """Where the value came from (``"default"``, ``"environment variable ..."``...), once known."""
        return self._value_source

    def set_value(self, value: str, source: str) -> None:
        """Fix the value (``source`` says where it came from, for messages)."""
        self._value = value
        self._value_source = source

    def set_resolver(self, resolver: Callable[[ParameterResource], object] | None) -> None:
        """Install the function that looks the value up on first read (the app builder does this)."""
        object.__setattr__(self, "_resolver", resolver)  # no hook to run for it: not through attrs' __setattr__

    @property
    def has_resolver(self) -> bool:
        """Whether a resolver is installed."""
        return self._resolver is not None

    @property
    def resolver(self) -> Callable[[ParameterResource], object] | None:
        """The function that looks the value up on first read (``None`` until the app builder installs one)."""
        return self._resolver

    @property
    def value(self) -> str:
        """The live value (run mode); raises :class:`MissingParameterValueError` if there is none.

        On first read the resolver installed by the app builder looks it up (environment,
        secrets store, default, generated default).
        """
        if self._value is None and self._resolver is not None:
            self._resolver(self)
        if self._value is None:
            raise MissingParameterValueError(
                f"Parameter {self.name!r} has no value. Set the environment variable "
                f"{self.configuration_key} (or {self.configuration_key.replace('-', '_')}), give a value in "
                "code, or a default."
            )
        return self._value

    # value protocols
    @property
    def value_expression(self) -> str:
        """``{name.value}``."""
        return f"{{{self.name}.value}}"

    @property
    def references(self) -> Sequence[object]:
        """A parameter depends on nothing."""
        return ()

    async def get_value(self, context: ValueContext) -> str | None:
        """The live value (see :attr:`value`)."""
        return self.value


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
