"""Events and the eventing bus: subscribe to the app's lifecycle (``builder.eventing.subscribe(...)``).

Every event is also delivered to the pluggy hook named by its ``hook_name`` (see :mod:`aspyre.plugins`).
"""

from __future__ import annotations

from ._eventing._bus import DistributedApplicationEventing, EventDispatchBehavior, EventSubscription
from ._eventing._events import (
    AfterEndpointsAllocatedEvent,
    AfterPublishEvent,
    AfterResourcesCreatedEvent,
    BeforePublishEvent,
    BeforeResourceStartedEvent,
    BeforeStartEvent,
    ConnectionStringAvailableEvent,
    Event,
    InitializeResourceEvent,
    ResourceEndpointsAllocatedEvent,
    ResourceEvent,
    ResourceReadyEvent,
    ResourceSnapshotChangedEvent,
    ResourceStoppedEvent,
)
from ._public import present as _present

__all__ = [
    "AfterEndpointsAllocatedEvent",
    "AfterPublishEvent",
    "AfterResourcesCreatedEvent",
    "BeforePublishEvent",
    "BeforeResourceStartedEvent",
    "BeforeStartEvent",
    "ConnectionStringAvailableEvent",
    "DistributedApplicationEventing",
    "Event",
    "EventDispatchBehavior",
    "EventSubscription",
    "InitializeResourceEvent",
    "ResourceEndpointsAllocatedEvent",
    "ResourceEvent",
    "ResourceReadyEvent",
    "ResourceSnapshotChangedEvent",
    "ResourceStoppedEvent",
]

_present(globals(), __name__)
