"""The eventing bus: subscriptions, dispatch behaviours, and pluggy hooks awaited like handlers."""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy
from pluggy import HookCaller

from ._events import Event, ResourceEvent
from ._naming import add_handler_note, hook_error

if TYPE_CHECKING:
    import anyio.abc

__all__ = ["DistributedApplicationEventing", "EventDispatchBehavior", "EventSubscription"]

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None] | None]
#: A subscriber or a hook, ready to be called (started in a task or awaited).
_Call = Callable[[], Coroutine[Any, Any, None]]

# anyio and logging are imported where events are published (run and publish mode): a builder only subscribes.


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


async def _call_hooks(caller: HookCaller, event: Event) -> None:
    """Call a hook's implementations, then await, in order, whatever they returned that is awaitable.

    pluggy calls the implementations synchronously (last registered first) and returns their results;
    when awaiting one fails, the coroutines not awaited yet are closed (no "never awaited" warning).
    An implementation's error is raised as a :class:`~aspyre.plugins.PluginHookError` naming its plugin.
    """
    results: list[object] = []
    try:
        results = list(caller(event=event))
        while results:
            await _maybe_await(results.pop(0))
    except Exception as exc:
        named = hook_error(caller, exc)
        if named is None:
            raise
        raise named from exc
    finally:
        for r in results:
            if inspect.iscoroutine(r):
                r.close()


class DistributedApplicationEventing:
    """Subscribe to events and publish them.

    Handlers take the event and may be sync or ``async``. Subscribe for every event of a type,
    or for one resource's events (``resource=``)::

        eventing.subscribe(aspyre.events.ResourceReadyEvent, on_ready, resource=cache.resource)

    When a plugin manager is attached, every published event is also delivered to the pluggy
    hook named by ``event.hook_name``: after the subscribers when they run one after the other,
    alongside them when they run concurrently. Whatever the hook implementations return that is
    awaitable is awaited.
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
        """Where non-blocking dispatch runs its tasks.

        Without one, non-blocking handlers run before ``publish`` returns; their errors are still
        reported to :meth:`on_background_error` (or logged), never raised to the publisher.
        """
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
        """Stop calling the subscription's handler (from the next ``publish``); unknown ones are ignored."""
        self._subscriptions = [s for s in self._subscriptions if s is not subscription]

    def subscriptions_for(self, event: Event) -> list[EventSubscription]:
        """The subscriptions ``event`` is delivered to, in the order they were made."""
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
    def _hook_caller(self, event: Event) -> HookCaller | None:
        """The hook of ``event`` when a plugin implements it, else ``None``."""
        pm = self._plugin_manager
        if pm is None or not event.hook_name:
            return None
        caller: HookCaller | None = getattr(pm.hook, event.hook_name, None)
        if caller is None or not caller.get_hookimpls():
            return None
        return caller

    def _handlers(self, event: Event) -> list[_Call]:
        """The subscribers of ``event``, then its hook, as calls without arguments."""
        calls: list[_Call] = []
        for sub in self.subscriptions_for(event):
            handler = sub.handler

            async def call(handler: Callable[[Any], Any] = handler) -> None:
                try:
                    await _maybe_await(handler(event))
                except Exception as exc:
                    add_handler_note(exc, type(event).__name__, handler)
                    raise

            calls.append(call)
        caller = self._hook_caller(event)
        if caller is not None:
            calls.append(functools.partial(_call_hooks, caller, event))
        return calls

    async def publish(
        self,
        event: Event,
        behavior: EventDispatchBehavior = EventDispatchBehavior.BLOCKING_SEQUENTIAL,
    ) -> None:
        """Deliver ``event`` to its subscribers and hooks, as ``behavior`` says.

        The non-blocking behaviours need a task group (:meth:`bind_task_group`; the running app
        binds one): without it they run before ``publish`` returns, their errors still logged.
        """
        if behavior is EventDispatchBehavior.BLOCKING_SEQUENTIAL:
            # The common path, without closures: subscribers in order, then the hooks.
            for sub in self.subscriptions_for(event):
                try:
                    result = sub.handler(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception as exc:
                    add_handler_note(exc, type(event).__name__, sub.handler)
                    raise
            await self.publish_hooks_only(event)
            return
        calls = self._handlers(event)
        if not calls:
            return
        tg = self._task_group
        if behavior is EventDispatchBehavior.BLOCKING_CONCURRENT:
            await _run_concurrently(calls)
        elif behavior is EventDispatchBehavior.NON_BLOCKING_SEQUENTIAL:

            async def run_all() -> None:
                for call in calls:
                    await self._guarded(event, call)

            if tg is None:
                await run_all()
            else:
                tg.start_soon(run_all)
        else:
            guarded = [functools.partial(self._guarded, event, call) for call in calls]
            if tg is None:
                await _run_concurrently(guarded)
            else:
                for call in guarded:
                    tg.start_soon(call)

    async def publish_hooks_only(self, event: Event) -> None:
        """Deliver ``event`` to the pluggy hooks only (awaiting awaitable results)."""
        caller = self._hook_caller(event)
        if caller is not None:
            await _call_hooks(caller, event)

    async def _guarded(self, event: Event, call: _Call) -> None:
        import anyio

        try:
            await call()
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:
            if self._error_handler is not None:
                self._error_handler(event, exc)
            else:
                import logging

                logging.getLogger("aspyre.eventing").exception("handler of %s failed", type(event).__name__)


async def _run_concurrently(calls: Sequence[_Call]) -> None:
    """Run ``calls`` at once and wait for all: one error propagates as itself, several as a group."""
    import anyio

    try:
        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(call)
    except BaseExceptionGroup as errors:
        if len(errors.exceptions) == 1 and isinstance(errors.exceptions[0], Exception):
            raise errors.exceptions[0] from None
        raise
