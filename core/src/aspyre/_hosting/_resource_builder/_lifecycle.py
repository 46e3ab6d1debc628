"""Waits and lifecycle: start order, event subscriptions, commands, relationships, the initial state
and manifest publishing callbacks (Aspire's wait, command, relationship and publishing extensions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Self

from aspyre._eventing._events import Event, ResourceReadyEvent
from aspyre._model._annotations import (
    KnownRelationshipTypes,
    ManifestPublishingCallbackAnnotation,
    MutationBehavior,
)
from aspyre._model._parents import lifecycle_parent, parents_of
from aspyre._model._resources import IResource, IResourceWithWaitSupport

from ._base import R_co, ResourceBuilderBase, check_type, invalid, require, unwrap

if TYPE_CHECKING:
    from aspyre._eventing._progress_events import (
        BeforeResourceStartedEvent,
        ConnectionStringAvailableEvent,
        InitializeResourceEvent,
        ResourceEndpointsAllocatedEvent,
        ResourceStoppedEvent,
    )
    from aspyre._model._dependencies import WaitBehavior, WaitType
    from aspyre._model._snapshot import ResourceSnapshot

__all__ = ["LifecycleMethods"]


class LifecycleMethods(ResourceBuilderBase[R_co]):
    """``wait_for*``, ``with_explicit_start``, ``on_*`` events, ``with_command``, relationships,
    ``with_initial_state``, ``exclude_from_manifest`` and publishing callbacks."""

    __slots__ = ()

    # -- waits ----------------------------------------------------------------------------------------
    def _wait(
        self,
        dependency: object,
        wait_type: WaitType,
        exit_code: int,
        behavior: WaitBehavior | None,
        method: str,
        *,
        relationship: bool = True,
    ) -> Self:
        from aspyre._model._connection_strings import ConnectionStringResource
        from aspyre._model._dependencies import WaitAnnotation, WaitBehavior, WaitType
        res = self._resource
        require(res, IResourceWithWaitSupport, "wait-support", method)
        check_type(res, method, "exit_code", exit_code, int, "an int")
        if behavior is not None and not isinstance(behavior, WaitBehavior):
            choices = " or ".join(f"WaitBehavior.{b.name}" for b in WaitBehavior)
            raise invalid(res, method, f"behavior must be {choices} (or None), not {behavior!r}", TypeError)
        dep = unwrap(dependency)
        if not isinstance(dep, IResource):
            raise TypeError(f"{method}() takes a resource or a resource builder, not {dep!r}")
        if dep is res:
            raise ValueError(f"The {res.name!r} resource cannot wait for itself.")
        if dep is lifecycle_parent(res):
            raise ValueError(
                f"The {res.name!r} resource cannot wait for its parent {dep.name!r}: a child already starts after "
                "its parent."
            )
        if wait_type is not WaitType.WAIT_FOR_COMPLETION:
            # As in Aspire: waiting for a child also waits for its parent (which may hold the
            # health checks), and waiting for a composed connection string (data without a lifetime)
            # waits for the resources its expression uses, the same way; no relationship is recorded
            # for these implicit waits.
            implicit: list[IResource] = []
            dep_parent = lifecycle_parent(dep)
            if dep_parent is not None:
                implicit.append(dep_parent)
            if isinstance(dep, ConnectionStringResource):
                for v in dep.expression.value_providers:
                    # A resource, or what a value refers to (an endpoint's resource, a connection string's).
                    used = [v] if isinstance(v, IResource) else list(getattr(v, "references", ()))
                    implicit.extend(u for u in used if isinstance(u, IResource) and all(u is not i for i in implicit))
            for other in implicit:
                if other is not res and other is not lifecycle_parent(res):
                    self._wait(other, wait_type, exit_code, behavior, method, relationship=False)
        if relationship:
            self._relate(dep, KnownRelationshipTypes.WAIT_FOR)
        return self.with_annotation(WaitAnnotation(dep, wait_type, exit_code, behavior))

    def wait_for(self, dependency: object, behavior: WaitBehavior | None = None) -> Self:
        """Start only once ``dependency`` is Running, healthy, and its resource-ready handlers finished."""
        from aspyre._model._dependencies import WaitType
        return self._wait(dependency, WaitType.WAIT_UNTIL_HEALTHY, 0, behavior, "wait_for")

    def wait_for_start(self, dependency: object, behavior: WaitBehavior | None = None) -> Self:
        """Start only once ``dependency`` is Running."""
        from aspyre._model._dependencies import WaitType
        return self._wait(dependency, WaitType.WAIT_UNTIL_STARTED, 0, behavior, "wait_for_start")

    def wait_for_completion(self, dependency: object, exit_code: int = 0) -> Self:
        """Start only once ``dependency`` finished with ``exit_code`` (else fail to start)."""
        from aspyre._model._dependencies import WaitType
        return self._wait(dependency, WaitType.WAIT_FOR_COMPLETION, exit_code, None, "wait_for_completion")

    def with_explicit_start(self) -> Self:
        """Do not start automatically: the resource stays NotStarted until ``app.start_resource(name)``."""
        from aspyre._model._dependencies import ExplicitStartAnnotation
        return self.with_annotation(ExplicitStartAnnotation(), MutationBehavior.REPLACE)

    # -- relationships, commands, publishing -----------------------------------------------------
    def with_relationship(self, resource: object, type: str) -> Self:
        """A named relationship to another resource (shown by ``aspyre describe``)."""
        other = unwrap(resource)
        if not isinstance(other, IResource):
            raise TypeError(f"with_relationship() takes a resource, not {other!r}")
        check_type(self._resource, "with_relationship", "type", type, str, "a str (the relationship's name)")
        self._relate(other, type)
        return self

    def with_parent_relationship(self, parent: object) -> Self:
        """Show this resource under ``parent`` (visual only: no lifecycle coupling).

        A resource has at most one parent: declaring a different one raises ``ValueError``.
        """
        p = unwrap(parent)
        if not isinstance(p, IResource):
            raise TypeError(f"with_parent_relationship() takes a resource, not {p!r}")
        if p is self._resource:
            raise ValueError(f"Resource {p.name!r} cannot be its own parent")
        others = [q for q in parents_of(self._resource) if q is not p]
        if others:
            raise ValueError(
                f"Resource {self._resource.name!r} already has the parent {others[0].name!r}; a resource can have "
                f"only one parent, so {p.name!r} cannot be another."
            )
        return self.with_relationship(p, KnownRelationshipTypes.PARENT)

    def exclude_from_manifest(self) -> Self:
        """Leave this resource out of published manifests."""
        return self.with_annotation(ManifestPublishingCallbackAnnotation.ignore(), MutationBehavior.REPLACE)

    def with_manifest_publishing_callback(self, callback: Callable[[Any], Awaitable[None] | None]) -> Self:
        """Write this resource's manifest entry with ``callback(context)``."""
        if not callable(callback):
            raise invalid(self._resource, "with_manifest_publishing_callback", "callback must be callable", TypeError)
        return self.with_annotation(ManifestPublishingCallbackAnnotation(callback), MutationBehavior.REPLACE)

    def with_command(
        self,
        name: str,
        display_name: str,
        execute: Callable[..., Any],
        *,
        description: str | None = None,
        update_state: Callable[[ResourceSnapshot], str] | None = None,
        confirmation_message: str | None = None,
        is_highlighted: bool = False,
    ) -> Self:
        """A named command runnable with ``app.execute_command(resource, name)`` (replaces one of the same name).

        ``update_state(snapshot)`` says whether the command is ``"enabled"``, ``"disabled"`` or
        ``"hidden"`` right now (default: enabled). A dashboard asks the person to confirm
        ``confirmation_message`` before running it, and shows a highlighted command as a button of
        its own rather than in a menu.
        """
        res = self._resource
        check_type(res, "with_command", "name", name, str, "a str")
        check_type(res, "with_command", "display_name", display_name, str, "a str")
        if not name:
            raise invalid(res, "with_command", "the command's name is empty")
        if not callable(execute):
            raise invalid(res, "with_command", f"execute for command {name!r} must be callable (a function of the context)", TypeError)
        if update_state is not None and not callable(update_state):
            raise invalid(res, "with_command", f"update_state for command {name!r} must be callable or None", TypeError)
        from aspyre._model._commands import ResourceCommandAnnotation

        for existing in self._resource.annotations.all(ResourceCommandAnnotation):
            if existing.name == name:
                self._resource.annotations.remove(existing)
        return self.with_annotation(
            ResourceCommandAnnotation(
                name,
                display_name,
                execute,
                description,
                update_state,
                confirmation_message=confirmation_message,
                is_highlighted=is_highlighted,
            )
        )

    def with_initial_state(self, snapshot: ResourceSnapshot) -> Self:
        """The snapshot the resource shows before its first update."""
        from aspyre._model._snapshot import ResourceSnapshot, ResourceSnapshotAnnotation

        check_type(self._resource, "with_initial_state", "snapshot", snapshot, ResourceSnapshot, "a ResourceSnapshot")
        return self.with_annotation(ResourceSnapshotAnnotation(snapshot), MutationBehavior.REPLACE)

    # -- events ---------------------------------------------------------------------------------------
    def _on(self, event_type: type[Event], handler: Callable[..., Any]) -> Self:
        if not callable(handler):
            method = "on_" + "".join("_" + c.lower() if c.isupper() else c for c in event_type.__name__)[1:]
            method = method.removesuffix("_event")
            raise invalid(self._resource, method, f"the handler must be callable (a function of the event), not {handler!r}", TypeError)
        self._app_builder.eventing.subscribe(event_type, handler, resource=self._resource)
        return self

    def on_initialize_resource(self, handler: Callable[[InitializeResourceEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`InitializeResourceEvent`."""
        from aspyre._eventing._progress_events import InitializeResourceEvent
        return self._on(InitializeResourceEvent, handler)

    def on_resource_endpoints_allocated(self, handler: Callable[[ResourceEndpointsAllocatedEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`ResourceEndpointsAllocatedEvent`."""
        from aspyre._eventing._progress_events import ResourceEndpointsAllocatedEvent
        return self._on(ResourceEndpointsAllocatedEvent, handler)

    def on_connection_string_available(self, handler: Callable[[ConnectionStringAvailableEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`ConnectionStringAvailableEvent`."""
        from aspyre._eventing._progress_events import ConnectionStringAvailableEvent
        return self._on(ConnectionStringAvailableEvent, handler)

    def on_before_resource_started(self, handler: Callable[[BeforeResourceStartedEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`BeforeResourceStartedEvent`."""
        from aspyre._eventing._progress_events import BeforeResourceStartedEvent
        return self._on(BeforeResourceStartedEvent, handler)

    def on_resource_ready(self, handler: Callable[[ResourceReadyEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`ResourceReadyEvent`."""
        return self._on(ResourceReadyEvent, handler)

    def on_resource_stopped(self, handler: Callable[[ResourceStoppedEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`ResourceStoppedEvent`."""
        from aspyre._eventing._progress_events import ResourceStoppedEvent
        return self._on(ResourceStoppedEvent, handler)

