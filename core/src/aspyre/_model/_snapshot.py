"""Immutable snapshots of a resource's live state (Aspire's ``CustomResourceSnapshot``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from aspyre._public import present as _present
from aspyre._public import present_top_level as _present_top_level

from ._annotations import ResourceAnnotation
from ._callback_contexts import HealthStatus
from ._known import CustomResourceKnownProperties, KnownProperties, KnownResourceStates, KnownResourceTypes, StateStyle

if TYPE_CHECKING:
    from ._resources import IResource

__all__ = [
    "CustomResourceKnownProperties",
    "EnvironmentVariableSnapshot",
    "HealthReportSnapshot",
    "KnownProperties",
    "KnownResourceStates",
    "KnownResourceTypes",
    "LogLine",
    "RelationshipSnapshot",
    "ReplicaSnapshot",
    "ResourcePropertySnapshot",
    "ResourceSnapshot",
    "ResourceSnapshotAnnotation",
    "ResourceSnapshotUpdate",
    "ResourceStateSnapshot",
    "health_failure",
    "StateStyle",
    "UrlSnapshot",
]


@attrs.frozen
class ResourceStateSnapshot:
    """A state's text (``KnownResourceStates`` or custom) and style."""

    text: str
    style: str | None = None


#: What ``repr``/``str`` show instead of a sensitive value.
MASK = "***"


def _shown(value: object, is_sensitive: bool) -> str:
    return MASK if is_sensitive and value is not None else repr(value)


@attrs.frozen(repr=False)
class ResourcePropertySnapshot:
    """A named property shown for the resource. A sensitive value is masked in ``repr`` and ``str``."""

    name: str
    value: object
    is_sensitive: bool = False

    def __repr__(self) -> str:
        return (
            f"ResourcePropertySnapshot(name={self.name!r}, value={_shown(self.value, self.is_sensitive)}, "
            f"is_sensitive={self.is_sensitive!r})"
        )


@attrs.frozen(repr=False)
class EnvironmentVariableSnapshot:
    """An environment variable the resource was started with. A sensitive value is masked in ``repr`` and ``str``."""

    name: str
    value: str | None
    is_from_spec: bool = True
    is_sensitive: bool = False

    def __repr__(self) -> str:
        return (
            f"EnvironmentVariableSnapshot(name={self.name!r}, value={_shown(self.value, self.is_sensitive)}, "
            f"is_from_spec={self.is_from_spec!r}, is_sensitive={self.is_sensitive!r})"
        )


@attrs.frozen
class UrlSnapshot:
    """A URL of the resource (internal ones are not shown to users)."""

    name: str | None
    url: str
    is_internal: bool = False
    display_text: str | None = None
    #: Higher comes first where URLs are listed (Aspire's ``DisplayOrder``).
    sort_order: int = 0


@attrs.frozen
class RelationshipSnapshot:
    """A relationship to another resource, by name."""

    resource_name: str
    type: str


@attrs.frozen
class HealthReportSnapshot:
    """The last result of one health check (``status`` ``None``: not run yet)."""

    name: str
    status: HealthStatus | None
    description: str | None = None
    exception_text: str | None = None
    last_run_at: dt.datetime | None = None


def _tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x)


@attrs.frozen
class ReplicaSnapshot:
    """One copy of a resource run with ``with_replicas(n)``: its own state, process and ports.

    ``instance_id`` is the replica's OpenTelemetry ``service.instance.id`` (``{resource}-{8 letters}``, as Aspire
    names replicas) and the ``replica`` of its log lines. ``target_ports`` maps each endpoint to the port this
    replica listens on (the endpoint's proxy spreads connections over the running replicas).
    """

    instance_id: str
    index: int
    state: ResourceStateSnapshot | None = None
    pid: int | None = None
    exit_code: int | None = None
    start_time_stamp: dt.datetime | None = None
    stop_time_stamp: dt.datetime | None = None
    target_ports: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_tuple)

    @property
    def state_text(self) -> str | None:
        """The state's text."""
        return None if self.state is None else self.state.text


@attrs.frozen
class ResourceSnapshot:
    """What a resource looks like right now. Never mutated: ``publish_update`` makes a new one.

    ``health_status`` is computed as Aspire does: ``None`` unless the state is Running; Running
    with no reports is Healthy; otherwise the worst report, a pending report counting as Unhealthy.
    """

    resource_type: str
    state: ResourceStateSnapshot | None = None
    creation_time_stamp: dt.datetime | None = None
    start_time_stamp: dt.datetime | None = None
    stop_time_stamp: dt.datetime | None = None
    exit_code: int | None = None
    health_reports: tuple[HealthReportSnapshot, ...] = attrs.field(default=(), converter=_tuple)
    environment_variables: tuple[EnvironmentVariableSnapshot, ...] = attrs.field(default=(), converter=_tuple)
    urls: tuple[UrlSnapshot, ...] = attrs.field(default=(), converter=_tuple)
    properties: tuple[ResourcePropertySnapshot, ...] = attrs.field(default=(), converter=_tuple)
    relationships: tuple[RelationshipSnapshot, ...] = attrs.field(default=(), converter=_tuple)
    is_hidden: bool = False
    version: int = 0
    #: The dashboard icon (a Fluent UI icon name, ``with_icon_name``) and its variant (``Filled``, ``Regular``).
    icon_name: str | None = None
    icon_variant: str | None = None
    #: The replicas of a resource run with ``with_replicas(n)`` (empty otherwise); the state above summarises them.
    replicas: tuple[ReplicaSnapshot, ...] = attrs.field(default=(), converter=_tuple)

    @property
    def state_text(self) -> str | None:
        """The state's text (``None`` before the resource published one)."""
        return None if self.state is None else self.state.text

    @property
    def display_state(self) -> str:
        """The state as consoles and dashboards show it: its text, ``Unknown`` when there is none."""
        return self.state_text or KnownResourceStates.UNKNOWN

    @property
    def is_visible(self) -> bool:
        """Whether consoles and dashboards show the resource: not ``is_hidden`` and not in the ``Hidden`` state."""
        return not self.is_hidden and self.state_text != KnownResourceStates.HIDDEN

    @property
    def health_status(self) -> HealthStatus | None:
        if self.state_text != KnownResourceStates.RUNNING:
            return None
        if not self.health_reports:
            return HealthStatus.HEALTHY
        worst = HealthStatus.HEALTHY
        for r in self.health_reports:
            status = r.status or HealthStatus.UNHEALTHY
            if status.rank < worst.rank:
                worst = status
        return worst

    def property_value(self, name: str, default: object = None) -> object:
        for p in self.properties:
            if p.name == name:
                return p.value
        return default

    def with_state(self, text: str, style: str | None = None) -> ResourceSnapshot:
        return attrs.evolve(self, state=ResourceStateSnapshot(text, style))

    def with_property(self, name: str, value: object, *, is_sensitive: bool = False) -> ResourceSnapshot:
        props = [p for p in self.properties if p.name != name]
        props.append(ResourcePropertySnapshot(name, value, is_sensitive))
        return attrs.evolve(self, properties=tuple(props))

    def evolve(self, **changes: Any) -> ResourceSnapshot:
        return attrs.evolve(self, **changes)


SnapshotUpdate = Callable[[ResourceSnapshot], ResourceSnapshot]


@attrs.frozen
class ResourceSnapshotUpdate:
    """One change seen by ``app.resource_notifications.watch()``: the resource and its new snapshot."""

    resource: IResource
    snapshot: ResourceSnapshot

    @property
    def resource_name(self) -> str:
        """The resource's name."""
        return self.resource.name


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@attrs.frozen
class LogLine:
    """One line of a resource's log (``app.resource_loggers.watch(resource)``)."""

    line_number: int
    content: str
    is_error: bool = False
    timestamp: dt.datetime = attrs.field(factory=_utcnow)
    #: The replica that wrote it (its ``instance_id``), for a resource run with ``with_replicas(n)``.
    replica: str | None = None


def health_failure(snapshot: ResourceSnapshot) -> str | None:
    """Why the resource is not healthy, as ``check: reason`` (the first failing check that says why), or ``None``."""
    for report in snapshot.health_reports:
        if report.status in (HealthStatus.UNHEALTHY, HealthStatus.DEGRADED) and report.description:
            return f"{report.name}: {report.description}"
    return None


@attrs.frozen
class ResourceSnapshotAnnotation(ResourceAnnotation):
    """The snapshot shown before the resource's first update (``with_initial_state``): an annotation, kept with the
    snapshots it holds."""

    initial_snapshot: ResourceSnapshot


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
# aspyre.model imports these on first use (its _LAZY): they report it however they are reached.
_present(
    globals(),
    "aspyre.model",
    names=[
        "EnvironmentVariableSnapshot",
        "HealthReportSnapshot",
        "LogLine",
        "RelationshipSnapshot",
        "ReplicaSnapshot",
        "ResourcePropertySnapshot",
        "ResourceSnapshotUpdate",
        "ResourceStateSnapshot",
        "UrlSnapshot",
    ],
)
# aspyre.annotations imports this one on first use (its _LAZY).
_present(globals(), "aspyre.annotations", names=["ResourceSnapshotAnnotation"])
