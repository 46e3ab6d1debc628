"""Event types. Each one is also a pluggy hook (``hook_name``), called with ``event=``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

if TYPE_CHECKING:
    from .._model._graph import DistributedApplicationModel
    from .._model._resources import IResource
    from .._model._snapshot import ResourceSnapshot

__all__ = [
    "AfterEndpointsAllocatedEvent",
    "AfterPublishEvent",
    "AfterResourcesCreatedEvent",
    "BeforePublishEvent",
    "BeforeResourceStartedEvent",
    "BeforeStartEvent",
    "ConnectionStringAvailableEvent",
    "Event",
    "InitializeResourceEvent",
    "ResourceEndpointsAllocatedEvent",
    "ResourceEvent",
    "ResourceReadyEvent",
    "ResourceSnapshotChangedEvent",
    "ResourceStoppedEvent",
]


@attrs.frozen
class Event:
    """Base of all events. ``app`` is the running :class:`~aspyre.DistributedApplication`."""

    hook_name: ClassVar[str] = ""

    app: Any = attrs.field(kw_only=True, default=None, repr=False)

    @property
    def model(self) -> DistributedApplicationModel:
        return self.app.model  # type: ignore[no-any-return]


@attrs.frozen
class ResourceEvent(Event):
    """An event about one resource; subscriptions may filter on it."""

    resource: IResource

    @property
    def logger(self) -> Any:
        """The resource's logger (its lines go to the resource's log)."""
        return self.app.resource_loggers.get_logger(self.resource)


# ------------------------------------------------------------------ app-level


@attrs.frozen
class BeforeStartEvent(Event):
    """Before anything starts, in run and publish mode. The last moment to change the model."""

    hook_name: ClassVar[str] = "aspyre_before_start"


@attrs.frozen
class AfterEndpointsAllocatedEvent(Event):
    """Run mode: every endpoint of every resource has its addresses."""

    hook_name: ClassVar[str] = "aspyre_after_endpoints_allocated"


@attrs.frozen
class AfterResourcesCreatedEvent(Event):
    """Run mode: every automatically started resource got past its waits and was started."""

    hook_name: ClassVar[str] = "aspyre_after_resources_created"


@attrs.frozen
class BeforePublishEvent(Event):
    """Publish mode: before the publisher runs."""

    hook_name: ClassVar[str] = "aspyre_before_publish"


@attrs.frozen
class AfterPublishEvent(Event):
    """Publish mode: after the publisher wrote its output."""

    hook_name: ClassVar[str] = "aspyre_after_publish"


# ------------------------------------------------------------------ per resource


@attrs.frozen
class InitializeResourceEvent(ResourceEvent):
    """Run mode, once per resource when the app starts (dispatched non-blocking, concurrently).

    Custom resources (neither container nor process) implement their lifecycle here.
    """

    hook_name: ClassVar[str] = "aspyre_initialize_resource"


@attrs.frozen
class ResourceEndpointsAllocatedEvent(ResourceEvent):
    """Run mode: this resource's endpoints have addresses."""

    hook_name: ClassVar[str] = "aspyre_resource_endpoints_allocated"


@attrs.frozen
class ConnectionStringAvailableEvent(ResourceEvent):
    """Run mode: the resource's connection string can be resolved (just before it starts)."""

    hook_name: ClassVar[str] = "aspyre_connection_string_available"


@attrs.frozen
class BeforeResourceStartedEvent(ResourceEvent):
    """Run mode: the resource is about to start (blocking: waits run here). Fired on every start."""

    hook_name: ClassVar[str] = "aspyre_before_resource_started"


@attrs.frozen
class ResourceReadyEvent(ResourceEvent):
    """Run mode: the resource is Running and every health check passed for the first time.

    Dependents that ``wait_for`` it start only after the handlers of this event finished.
    """

    hook_name: ClassVar[str] = "aspyre_resource_ready"


@attrs.frozen
class ResourceStoppedEvent(ResourceEvent):
    """Run mode: the resource reached a terminal state (Finished, Exited, FailedToStart)."""

    hook_name: ClassVar[str] = "aspyre_resource_stopped"

    snapshot: ResourceSnapshot | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class ResourceSnapshotChangedEvent(ResourceEvent):
    """Run mode: a resource's snapshot changed (state, health, URLs...). Fire and forget.

    Delivered to hooks only (subscribe to ``app.resource_notifications.watch()`` in code).
    """

    hook_name: ClassVar[str] = "aspyre_resource_snapshot_changed"

    snapshot: ResourceSnapshot = attrs.field(kw_only=True)
    previous: ResourceSnapshot | None = attrs.field(default=None, kw_only=True)
