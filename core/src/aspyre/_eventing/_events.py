"""Event types. Each one is also a pluggy hook (``hook_name``), called with ``event=``.

Here the base classes and the events integrations most often subscribe to while they add resources (the model
is complete, a resource is ready); the others, which report how a run or a publish progresses, are in
:mod:`aspyre._eventing._progress_events`, imported where they are published or subscribed to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

import attrs

if TYPE_CHECKING:
    import logging

    from .._model._graph import DistributedApplicationModel
    from .._model._resources import IResource
    from ._app import App
    from ._services import ServiceRegistry

__all__ = [
    "BeforeStartEvent",
    "Event",
    "ResourceEvent",
    "ResourceReadyEvent",
]


#: The ``app`` of an event made without one (a bare bus, a unit test): typed as the app, since every
#: event aspyre publishes carries its app.
_NO_APP = cast("App", None)


@attrs.frozen
class Event:
    """Base of all events. ``app`` is the app they are about (:class:`~aspyre.events.App`, which
    :class:`~aspyre.DistributedApplication` is).

    aspyre sets it on every event it publishes; an event you publish yourself takes the app you
    have: ``BeforeResourceStartedEvent(resource, app=event.app)``.
    """

    hook_name: ClassVar[str] = ""

    app: App = attrs.field(kw_only=True, default=_NO_APP, repr=False)

    @property
    def model(self) -> DistributedApplicationModel:
        """The app's model."""
        return self.app.model

    @property
    def services(self) -> ServiceRegistry:
        """The app's services (Aspire's ``event.Services``): shared objects by class."""
        return self.app.services


@attrs.frozen
class ResourceEvent(Event):
    """An event about one resource; subscriptions may filter on it."""

    resource: IResource

    @property
    def logger(self) -> logging.Logger:
        """The resource's logger: its records become lines of the resource's log (run mode)."""
        return self.app.resource_loggers.get_logger(self.resource)


# ------------------------------------------------------------------ app-level


@attrs.frozen
class BeforeStartEvent(Event):
    """Before anything starts, in run and publish mode. The last moment to change the model."""

    hook_name: ClassVar[str] = "aspyre_before_start"


# ------------------------------------------------------------------ per resource


@attrs.frozen
class ResourceReadyEvent(ResourceEvent):
    """Run mode: the resource is Running and every health check passed for the first time.

    Dependents that ``wait_for`` it start only after the handlers of this event finished.
    """

    hook_name: ClassVar[str] = "aspyre_resource_ready"
