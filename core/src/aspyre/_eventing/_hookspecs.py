"""The pluggy hook specifications of aspyre.

A distribution extends every app host it is installed next to by declaring an entry point in
the ``aspyre.hooks`` group that names a module or object carrying ``@aspyre.plugins.hookimpl``
functions::

    [project.entry-points."aspyre.hooks"]
    my-extension = "my_extension.hooks"

Contract for every hook below:

* pluggy calls hooks synchronously. aspyre's event bus makes the call and then **awaits every
  result that is awaitable**, so a hookimpl may be ``async def`` (or return an awaitable).
  Do not mark impls ``firstresult``/wrappers around async impls: pluggy cannot see inside
  coroutines.
* Results are otherwise ignored. An exception in a hook of a *blocking* event propagates
  exactly like one in a subscriber: for resource events the resource becomes ``FailedToStart``
  and the exception is written to its log.
* Hooks are called after the in-process subscribers of the same event (alongside them for the
  events dispatched concurrently: initialize-resource, resource-endpoints-allocated), in pluggy's
  order (last registered first, ``tryfirst``/``trylast`` respected).
* Hooks cost about a microsecond per call: they are for lifecycle events, never per log line.
* ``event.app`` is typed: :class:`aspyre.events.App`, the app as plugins see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ._events import BeforeStartEvent, ResourceReadyEvent
    from ._progress_events import (
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

PROJECT_NAME = "aspyre"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marks a function as an implementation of an aspyre hook: ``@aspyre.plugins.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "HookSpecs", "hookimpl", "hookspec"]


class HookSpecs:
    """Every aspyre hook. Implement the ones you need as module-level functions or methods."""

    @hookspec
    def aspyre_configure_builder(self, builder: Any) -> None:
        """A builder was created (``DistributedApplication.create_builder``).

        Called by: the builder, synchronously, once per builder, before the app host adds
        resources. Return value ignored; awaitables are not awaited (no event loop runs yet).
        Use it to subscribe to events or to add resources every app host should have.
        """

    @hookspec
    def aspyre_before_start(self, event: BeforeStartEvent) -> Any:
        """Before anything starts (run mode) or is published (publish mode). Blocking, awaited.

        The last moment to change the model: add annotations, environment, resources.
        """

    @hookspec
    def aspyre_after_endpoints_allocated(self, event: AfterEndpointsAllocatedEvent) -> Any:
        """Run mode: all endpoints have addresses. Blocking, awaited."""

    @hookspec
    def aspyre_after_resources_created(self, event: AfterResourcesCreatedEvent) -> Any:
        """Run mode: every automatically started resource was started. Blocking, awaited."""

    @hookspec
    def aspyre_before_publish(self, event: BeforePublishEvent) -> Any:
        """Publish mode: before the publisher writes. Blocking, awaited."""

    @hookspec
    def aspyre_after_publish(self, event: AfterPublishEvent) -> Any:
        """Publish mode: after the publisher wrote its output. Blocking, awaited."""

    @hookspec
    def aspyre_initialize_resource(self, event: InitializeResourceEvent) -> Any:
        """Run mode: once per resource at start. Non-blocking, concurrent: runs as a task.

        Custom resources run their whole lifecycle from here (see the talking clock), with
        ``event.eventing``, ``event.notifications``, ``event.logger`` and ``event.services``.
        """

    @hookspec
    def aspyre_resource_endpoints_allocated(self, event: ResourceEndpointsAllocatedEvent) -> Any:
        """Run mode: this resource's endpoints have addresses. Non-blocking, concurrent."""

    @hookspec
    def aspyre_connection_string_available(self, event: ConnectionStringAvailableEvent) -> Any:
        """Run mode: the resource's connection string can be resolved. Blocking, awaited."""

    @hookspec
    def aspyre_before_resource_started(self, event: BeforeResourceStartedEvent) -> Any:
        """Run mode: the resource is about to start; fired on every start. Blocking, awaited.

        Environment and arguments are computed after this returns, so changes made here count.
        """

    @hookspec
    def aspyre_resource_ready(self, event: ResourceReadyEvent) -> Any:
        """Run mode: Running and healthy for the first time. Blocking, awaited by the health monitor.

        Resources waiting with ``wait_for`` start only after every handler returned.
        """

    @hookspec
    def aspyre_resource_stopped(self, event: ResourceStoppedEvent) -> Any:
        """Run mode: the resource reached a terminal state. Blocking, awaited."""

    @hookspec
    def aspyre_resource_snapshot_changed(self, event: ResourceSnapshotChangedEvent) -> Any:
        """Run mode: a resource's snapshot changed (state, health, URLs...).

        Fire and forget: called for every change, in order, from a background task; awaitable
        results are awaited there and exceptions are logged, never raised into the app.
        """
