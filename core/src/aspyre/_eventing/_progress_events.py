"""The events that report how a run or a publish progresses: endpoints allocated, resources created, a resource
initialized, its connection string available, about to start or stopped, its snapshot changed; before and after
publishing.

Run and publish mode publish them; :mod:`aspyre.events` and the builder methods that subscribe to them import this
module on first use, so an app host's builder that does not subscribe to them does not create these classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import attrs

from aspyre._public import present as _present

from ._events import Event, ResourceEvent

if TYPE_CHECKING:
    from .._model._snapshot import ResourceSnapshot
    from ._app import ResourceNotifications
    from ._bus import DistributedApplicationEventing

__all__ = [
    "AfterEndpointsAllocatedEvent",
    "AfterPublishEvent",
    "AfterResourcesCreatedEvent",
    "BeforePublishEvent",
    "BeforeResourceStartedEvent",
    "ConnectionStringAvailableEvent",
    "InitializeResourceEvent",
    "ResourceEndpointsAllocatedEvent",
    "ResourceSnapshotChangedEvent",
    "ResourceStoppedEvent",
]


# ------------------------------------------------------------------ app-level


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

    Custom resources (neither container nor process) implement their lifecycle here, with what
    Aspire's event carries: :attr:`eventing` (publish ``BeforeResourceStartedEvent``...),
    :attr:`notifications` (publish state updates), :attr:`logger` (the resource's log) and
    :attr:`services`.
    """

    hook_name: ClassVar[str] = "aspyre_initialize_resource"

    @property
    def eventing(self) -> DistributedApplicationEventing:
        """The app's eventing bus (Aspire's ``Eventing``)."""
        return self.app.eventing

    @property
    def notifications(self) -> ResourceNotifications:
        """The app's resource notification service (Aspire's ``Notifications``)."""
        return self.app.resource_notifications


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



# aspyre.events imports these on first use (its _LAZY): they report it however they are reached.
_present(globals(), "aspyre.events")
