"""How resources depend on each other: references (what a resource is told about another), waits, an explicit start,
and the relationships shown between resources.

Imported by the builder methods that make them (``with_reference``, ``wait_for``, ``with_relationship``...) and by
run and publish mode: an app host's builder without those calls does not create these classes.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

from aspyre._public import present as _present
from aspyre._public import present_top_level as _present_top_level

from ._annotations import ResourceAnnotation

if TYPE_CHECKING:
    from ._resources import IResource

__all__ = [
    "ConnectionPropertyAnnotation",
    "ExplicitStartAnnotation",
    "ReferenceAnnotation",
    "ReferenceEnvironmentAnnotation",
    "ReferenceEnvironmentFlags",
    "ResourceRelationshipAnnotation",
    "WaitAnnotation",
    "WaitBehavior",
    "WaitType",
]


class ReferenceEnvironmentFlags(enum.Flag):
    """Which variables :meth:`with_reference` injects."""

    NONE = 0
    CONNECTION_STRING = enum.auto()
    CONNECTION_PROPERTIES = enum.auto()
    SERVICE_DISCOVERY = enum.auto()
    ENDPOINTS = enum.auto()
    ALL = CONNECTION_STRING | CONNECTION_PROPERTIES | SERVICE_DISCOVERY | ENDPOINTS


@attrs.frozen
class ReferenceEnvironmentAnnotation(ResourceAnnotation):
    """``with_reference_environment``: which variables ``with_reference`` injects on this resource."""

    flags: ReferenceEnvironmentFlags


@attrs.frozen
class ReferenceAnnotation(ResourceAnnotation):
    """``with_reference``: the destination receives the source's connection information.

    ``connection_name`` replaces the source's name in the connection-string variables
    (``ConnectionStrings__{connection_name}``, ``{CONNECTION_NAME}_{PROPERTY}``);
    ``service_name`` replaces it in the service-discovery variables
    (``services__{service_name}__...``, ``{service_name}_{ENDPOINT}``). ``endpoint_name`` is set
    when one endpoint was referenced (``with_reference(api.get_endpoint("http"))``).
    """

    source: IResource
    connection_name: str | None = None
    optional: bool = False
    endpoint_name: str | None = None
    #: Whether connection-string variables are wanted (False for endpoint-only references).
    use_connection_string: bool = True
    #: Whether service-discovery variables are wanted.
    use_service_discovery: bool = True
    service_name: str | None = None


@attrs.frozen
class ConnectionPropertyAnnotation(ResourceAnnotation):
    """An extra connection property (``{NAME}_{PROPERTY}`` on referencing resources)."""

    name: str
    value: object


class WaitType(enum.Enum):
    """What a wait waits for: healthy (``wait_for``), started (``wait_for_start``), finished (``wait_for_completion``)."""

    WAIT_UNTIL_HEALTHY = "healthy"
    WAIT_UNTIL_STARTED = "started"
    WAIT_FOR_COMPLETION = "completion"


class WaitBehavior(enum.Enum):
    """What a waiter does when the resource it waits for fails or stops."""

    #: Keep waiting (the dependency may be restarted).
    WAIT_ON_RESOURCE_UNAVAILABLE = "wait"
    #: Give up: the waiter becomes FailedToStart with a reason naming the dependency.
    STOP_ON_RESOURCE_UNAVAILABLE = "stop"


@attrs.frozen
class WaitAnnotation(ResourceAnnotation):
    """The resource starts only once ``resource`` reached ``wait_type`` (with ``exit_code`` for completion)."""

    resource: IResource
    wait_type: WaitType
    exit_code: int = 0
    behavior: WaitBehavior | None = None


@attrs.frozen
class ExplicitStartAnnotation(ResourceAnnotation):
    """Do not start the resource automatically; ``app.start_resource(name)`` starts it."""


@attrs.frozen
class ResourceRelationshipAnnotation(ResourceAnnotation):
    """A named edge to another resource, for display (``Parent`` relationships also count as parents)."""

    resource: IResource
    type: str


# aspyre.annotations and aspyre import these on first use (their _LAZY): they report it however they are reached.
_present(globals(), "aspyre.annotations", names=[n for n in __all__ if n not in ("ReferenceEnvironmentFlags", "WaitBehavior")])
_present_top_level(globals())
