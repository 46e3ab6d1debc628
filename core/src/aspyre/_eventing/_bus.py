"""The eventing bus: subscriptions, dispatch behaviours, and pluggy hooks awaited like handlers."""

from __future__ import annotations

import enum
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import anyio
import anyio.abc
import attrs
import pluggy

from ._events import Event, ResourceEvent

__all__ = ["DistributedApplicationEventing", "EventDispatchBehavior", "EventSubscription"]

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None] | None]

_log = logging.getLogger("aspyre.eventing")


class EventDispatchBehavior(enum.Enum):
    """How :meth:`DistributedApplicationEventing.publish` runs the handlers of an event."""

    #: One after the other; ``publish`` returns when all finished; the first error propagates.
    BLOCKING_SEQUENTIAL = "blocking-sequential"
    #: All at once; ``publish`` returns when all finished; errors propagate (as a group if several).
    BLOCKING_CONCURRENT = "blocking-concurrent"
    #: One after the other, in a background task; errors are logged.
    NON_BLOCKING_SEQUENTIAL = "non-blocking-sequential"
    #: All at once, in background tasks; errors are logged.
    NON_BLOCKING_CONCURRENT = "non-blocking-concurrent"


@attrs.frozen(eq=False)
class EventSubscription:
    """A handle returned by :meth:`DistributedApplicationEventing.subscribe` (pass it to ``unsubscribe``)."""

    event_type: type[Event]
    handler: Callable[[Any], Awaitable[None] | None]
    resource: Any = None


async def _maybe_await(result: object) -> None:
    if inspect.isawaitable(result):
        await result


def _close_awaitables(results: list[object]) -> None:
    for r in results:
        if inspect.iscoroutine(r):
            r.close()


class DistributedApplicationEventing:
    """Subscribe to events and publish them.

    Handlers take the event and may be sync or ``async``. Subscribe for every event of a type,
    or for one resource's events (``resource=``)::

        eventing.subscribe(aspyre.events.ResourceReadyEvent, on_ready, resource=cache.resource)

    When a plugin manager is attached, every published event is also delivered to the pluggy
    hook named by ``event.hook_name``, after the subscribers; whatever the hook
    implementations return that is awaitable is awaited.
    """

    def __init__(self, plugin_manager: pluggy.PluginManager | None = None) -> None:
        self._subscriptions: list[EventSubscription] = []
        self._plugin_manager = plugin_manager
        self._task_group: anyio.abc.TaskGroup | None = None
        self._error_handler: Callable[[Event, BaseException], None] | None = None

    # -- wiring (done by the app) ----------------------------------------------------------------
    @property
    def plugin_manager(self) -> pluggy.PluginManager | None:
        return self._plugin_manager

    @plugin_manager.setter
    def plugin_manager(self, pm: pluggy.PluginManager | None) -> None:
        self._plugin_manager = pm

    def bind_task_group(self, tg: anyio.abc.TaskGroup | None) -> None:
        """Where non-blocking dispatch runs its tasks (without one, it falls back to blocking)."""
        self._task_group = tg

    def on_background_error(self, handler: Callable[[Event, BaseException], None] | None) -> None:
        """Who hears about errors of non-blocking handlers (default: the ``aspyre.eventing`` logger)."""
        self._error_handler = handler

    # -- subscriptions ---------------------------------------------------------------------------
    def subscribe(
        self,
        event_type: type[E],
        handler: Callable[[E], Awaitable[None] | None],
        *,
        resource: Any = None,
    ) -> EventSubscription:
        """Call ``handler(event)`` for every published ``event_type`` (and subclasses).

        With ``resource`` (a resource or a resource builder), only for events about that resource.
        """
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise TypeError(f"subscribe() needs an event type, got {event_type!r}")
        if not callable(handler):
            raise TypeError(f"subscribe() needs a callable handler, got {handler!r}")
        if resource is not None:
            resource = getattr(resource, "resource", resource)
            if not issubclass(event_type, ResourceEvent):
                raise TypeError(f"{event_type.__name__} is not about a resource: subscribe without resource=")
        sub = EventSubscription(event_type, handler, resource)
        self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, subscription: EventSubscription) -> None:
        self._subscriptions = [s for s in self._subscriptions if s is not subscription]

    def subscriptions_for(self, event: Event) -> list[EventSubscription]:
        if not self._subscriptions:
            return []
        out = []
        for s in self._subscriptions:
            if not isinstance(event, s.event_type):
                continue
            if s.resource is not None and getattr(event, "resource", None) is not s.resource:
                continue
            out.append(s)
        return out

    # -- publishing ------------------------------------------------------------------------------
    def _handlers(self, event: Event) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        calls: list[Callable[[], Coroutine[Any, Any, None]]] = []
        for sub in self.subscriptions_for(event):
            handler = sub.handler

            async def call(handler: Callable[[Any], Any] = handler) -> None:
                await _maybe_await(handler(event))

            calls.append(call)
        pm = self._plugin_manager
        if pm is not None and event.hook_name:
            caller = getattr(pm.hook, event.hook_name, None)
            if caller is not None and caller.get_hookimpls():

                async def call_hooks(caller: Any = caller) -> None:
                    results: list[object] = list(caller(event=event))
                    try:
                        while results:
                            await _maybe_await(results.pop(0))
                    finally:
                        _close_awaitables(results)

                calls.append(call_hooks)
        return calls

    async def publish(
        self,
        event: Event,
        behavior: EventDispatchBehavior = EventDispatchBehavior.BLOCKING_SEQUENTIAL,
    ) -> None:
        """Deliver ``event`` to its subscribers and hooks, as ``behavior`` says."""
        if behavior is EventDispatchBehavior.BLOCKING_SEQUENTIAL:
            # The common path, without closures: subscribers in order, then the hooks.
            for sub in self.subscriptions_for(event):
                result = sub.handler(event)
                if inspect.isawaitable(result):
                    await result
            await self.publish_hooks_only(event)
            return
        calls = self._handlers(event)
        if not calls:
            return
        tg = self._task_group
        if tg is None and behavior in (
            EventDispatchBehavior.NON_BLOCKING_SEQUENTIAL,
            EventDispatchBehavior.NON_BLOCKING_CONCURRENT,
        ):
            behavior = (
                EventDispatchBehavior.BLOCKING_SEQUENTIAL
                if behavior is EventDispatchBehavior.NON_BLOCKING_SEQUENTIAL
                else EventDispatchBehavior.BLOCKING_CONCURRENT
            )
        if behavior is EventDispatchBehavior.BLOCKING_SEQUENTIAL:
            for call in calls:
                await call()
        elif behavior is EventDispatchBehavior.BLOCKING_CONCURRENT:
            async with anyio.create_task_group() as group:
                for call in calls:
                    group.start_soon(call)
        elif behavior is EventDispatchBehavior.NON_BLOCKING_SEQUENTIAL:
            assert tg is not None

            async def run_all() -> None:
                for call in calls:
                    await self._guarded(event, call)

            tg.start_soon(run_all)
        else:
            assert tg is not None
            for call in calls:
                tg.start_soon(self._guarded, event, call)

    async def publish_hooks_only(self, event: Event) -> None:
        """Deliver ``event`` to the pluggy hooks only (awaiting awaitable results)."""
        pm = self._plugin_manager
        if pm is None or not event.hook_name:
            return
        caller = getattr(pm.hook, event.hook_name, None)
        if caller is None or not caller.get_hookimpls():
            return
        results: list[object] = caller(event=event)
        try:
            while results:
                await _maybe_await(results.pop(0))
        finally:
            _close_awaitables(results)

    async def _guarded(self, event: Event, call: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            await call()
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:
            if self._error_handler is not None:
                self._error_handler(event, exc)
            else:
                _log.exception("handler of %s failed", type(event).__name__)
