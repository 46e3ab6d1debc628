"""Events and the eventing bus: subscribe to the app's lifecycle (``builder.eventing.subscribe(...)``).

Every event is also delivered to the pluggy hook named by its ``hook_name`` (see :mod:`aspyre.plugins`).
``event.app`` is typed as :class:`App`, the app as plugins see it (its model, eventing bus,
:class:`ResourceNotifications`, :class:`ResourceLoggers`, :class:`ServiceRegistry`...);
:class:`~aspyre.DistributedApplication` is one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING

from ._eventing._bus import DistributedApplicationEventing, EventDispatchBehavior, EventSubscription
from ._eventing._events import (
    BeforeStartEvent,
    Event,
    ResourceEvent,
    ResourceReadyEvent,
)
from ._eventing._services import ServiceRegistry
from ._public import lazy_exports as _lazy_exports
from ._public import present as _present

if _TYPE_CHECKING:
    from ._eventing._app import App, ExecuteCommandContext, ResourceLoggers, ResourceNotifications
    from ._eventing._progress_events import (
        AfterEndpointsAllocatedEvent,
        AfterPublishEvent,
        AfterResourcesCreatedEvent,
        BeforePublishEvent,
        BeforeResourceStartedEvent,
        ConnectionStringAvailableEvent,
        InitializeResourceEvent,
        ResourceEndpointsAllocatedEvent,
        ResourceSnapshotChangedEvent,
        ResourceStoppedEvent,
    )

__all__ = [
    "AfterEndpointsAllocatedEvent",
    "AfterPublishEvent",
    "AfterResourcesCreatedEvent",
    "App",
    "BeforePublishEvent",
    "BeforeResourceStartedEvent",
    "BeforeStartEvent",
    "ConnectionStringAvailableEvent",
    "DistributedApplicationEventing",
    "Event",
    "EventDispatchBehavior",
    "EventSubscription",
    "ExecuteCommandContext",
    "InitializeResourceEvent",
    "ResourceEndpointsAllocatedEvent",
    "ResourceEvent",
    "ResourceLoggers",
    "ResourceNotifications",
    "ResourceReadyEvent",
    "ResourceSnapshotChangedEvent",
    "ResourceStoppedEvent",
    "ServiceRegistry",
]

#: Names an app host's builder does not need, imported on first use (the events that report how a run or a publish
#: progresses, the app as plugins see it at run time).
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        [
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
        ],
        "._eventing._progress_events",
    ),
    **dict.fromkeys(["App", "ExecuteCommandContext", "ResourceLoggers", "ResourceNotifications"], "._eventing._app"),
}

_present(globals(), __name__)
__getattr__, __dir__ = _lazy_exports(__name__, _LAZY)
