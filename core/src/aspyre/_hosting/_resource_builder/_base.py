"""What every concern of the resource builder shares: the resource, its app builder, annotations,
relationships, and the capability checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from aspyre._model._annotations import KnownRelationshipTypes, MutationBehavior
from aspyre._model._on_first_use import relationship_annotation
from aspyre._model._resources import IResource, IResourceWithArgs, IResourceWithEndpoints, IResourceWithEnvironment
from aspyre._model._values import references_of

from ._shared import SharedValues

if TYPE_CHECKING:
    from aspyre._hosting._builder import DistributedApplicationBuilder

__all__ = [
    "WITH_ARGS",
    "WITH_ENDPOINTS",
    "WITH_ENVIRONMENT",
    "R_co",
    "ResourceBuilderBase",
    "a_noun",
    "check_type",
    "invalid",
    "require",
    "require_type",
    "unwrap",
]

#: The resource type of a builder. Covariant: a ``ResourceBuilder[RedisResource]`` is a
#: ``ResourceBuilder[ContainerResource]``, so it gets the container methods and keeps its type.
R_co = TypeVar("R_co", bound=IResource, covariant=True)


class ResourceBuilderBase(Generic[R_co]):
    """The state of a resource builder and the methods every concern uses.

    Each concern (environment, endpoints, lifecycle, health, containers, executables) is a
    subclass of this one; :class:`~aspyre.ResourceBuilder` combines them. Methods that only apply
    to some resource types annotate ``self`` with a builder of those types, so type checkers
    reject them elsewhere; they still check the resource at run time for untyped callers.
    """

    __slots__ = ("_app_builder", "_resource")

    #: Lets values code recognise a builder without asking the instance (whose unknown
    #: attributes are looked up among the installed extension methods).
    __aspyre_resource_builder__ = True

    def __init__(self, app_builder: DistributedApplicationBuilder, resource: R_co) -> None:
        self._app_builder = app_builder
        self._resource = resource

    @property
    def resource(self) -> R_co:
        """The resource this builder configures."""
        return self._resource

    @property
    def application_builder(self) -> DistributedApplicationBuilder:
        """The app builder the resource belongs to."""
        return self._app_builder

    @property
    def name(self) -> str:
        """The resource's name."""
        return self._resource.name

    def with_annotation(self, annotation: object, behavior: MutationBehavior = MutationBehavior.APPEND) -> Self:
        """Attach an annotation (``REPLACE`` drops existing ones of the same type)."""
        self._resource.annotations.add(annotation, behavior)
        return self

    def _relate(self, other: IResource, kind: str) -> None:
        relationship = relationship_annotation()
        annotations = self._resource.annotations
        for rel in annotations._items:  # read in place (``all`` would copy them first)
            if isinstance(rel, relationship) and rel.resource is other and rel.type == kind:
                return
        shared: SharedValues | None = getattr(self._app_builder, "_shared", None)
        annotations.add(relationship(other, kind) if shared is None else shared.relationship(other, kind))

    def _relate_values(self, *values: object) -> None:
        """A ``Reference`` relationship to every resource a value uses (as Aspire does)."""
        for v in values:
            if type(v) is not str:
                self._relate_value(v)

    def _relate_value(self, v: object) -> None:
        """:meth:`_relate_values` of one value (not a ``str``): the value itself, then what it refers to, in order."""
        res = self._resource
        known = _RESOURCE_TYPES
        answer = known.get(type(v))
        if answer is None:
            answer = _is_resource(v)
        if answer and v is not res:
            self._relate(v, KnownRelationshipTypes.REFERENCE)  # type: ignore[arg-type]
        for obj in references_of(v):
            answer = known.get(type(obj))
            if answer is None:
                answer = _is_resource(obj)
            if answer and obj is not res:
                self._relate(obj, KnownRelationshipTypes.REFERENCE)  # type: ignore[arg-type]


#: Whether instances of a type are resources (the protocol's answer, per type).
_RESOURCE_TYPES: dict[type, bool] = {str: False}


def _is_resource(obj: object) -> bool:
    answer = isinstance(obj, IResource)
    if obj.__class__ is type(obj):  # not a proxy that claims another class: the answer holds for its type
        _RESOURCE_TYPES[type(obj)] = answer
    return answer


def unwrap(obj: object) -> Any:
    """The resource of a builder; anything else as it is."""
    if isinstance(obj, ResourceBuilderBase):
        return obj.resource
    return obj


def a_noun(noun: str) -> str:
    """``noun`` with its indefinite article (``an ExecutableResource``, ``a ContainerResource``)."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


#: The resource types known to have a capability, per capability (asked by every builder method).
_CAPABLE: dict[type, set[type]] = {}
#: The sets of the capabilities the most used methods ask for: ``type(resource) in`` one of them, and the method
#: need not call :func:`require`.
WITH_ENVIRONMENT = _CAPABLE.setdefault(IResourceWithEnvironment, set())
WITH_ENDPOINTS = _CAPABLE.setdefault(IResourceWithEndpoints, set())
WITH_ARGS = _CAPABLE.setdefault(IResourceWithArgs, set())


def require(resource: IResource, capability: type, label: str, method: str) -> None:
    """Raise ``TypeError`` unless ``resource`` has the capability ``method`` needs."""
    capable = _CAPABLE.get(capability)
    if capable is not None and type(resource) in capable:
        return
    if isinstance(resource, capability):
        if resource.__class__ is type(resource):  # the answer holds for its type
            _CAPABLE.setdefault(capability, set()).add(type(resource))
    else:
        raise TypeError(
            f"{method}() needs a resource with the {label} capability ({capability.__name__}); "
            f"resource {resource.name!r} is {a_noun(type(resource).__name__)}, which does not have it."
        )


def require_type(resource: IResource, kinds: tuple[type, ...], description: str, method: str) -> None:
    """Raise ``TypeError`` unless ``resource`` is one of ``kinds`` (``description`` names them for people)."""
    if not isinstance(resource, kinds):
        ending = "which is not one" if len(kinds) == 1 else "which is neither"
        raise TypeError(
            f"{method}() needs {description}; resource {resource.name!r} is {a_noun(type(resource).__name__)}, "
            f"{ending}."
        )


def invalid(resource: IResource, method: str, problem: str, kind: type[Exception] = ValueError) -> Exception:
    """The error a builder method raises for a bad argument: it names the method, the resource and the fix."""
    return kind(f"{method}() on resource {resource.name!r}: {problem}")


def check_type(
    resource: IResource,
    method: str,
    param: str,
    value: object,
    expected: type | tuple[type, ...],
    what: str,
    *,
    hint: str = "",
    show_value: bool = True,
) -> None:
    """Raise :class:`TypeError` naming the resource unless ``value`` is an instance of ``expected``.

    ``bool`` does not count as ``int`` unless ``bool`` is expected itself. ``what`` describes the expected
    value for people (``"an int between 1 and 65535"``); ``show_value=False`` keeps the value (an
    environment variable's, say, which may be a secret) out of the message.
    """
    if type(value) is expected:  # the common case: exactly the type asked for
        return
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
        return
    shown = ""
    if show_value:
        text = repr(value)
        shown = f" ({text if len(text) <= 60 else text[:57] + '...'})"
    ending = f"; {hint}" if hint else ""
    raise invalid(resource, method, f"{param} must be {what}, not {type(value).__name__}{shown}{ending}", TypeError)
