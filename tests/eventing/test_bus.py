"""The eventing bus on its own: dispatch behaviours, subscriptions, hooks.

Real anyio task groups and a real pluggy plugin manager; handlers record what happened.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar

import anyio
import anyio.lowlevel
import attrs
import pluggy
import pytest

import aspyre
from aspyre.events import DistributedApplicationEventing, EventDispatchBehavior

pytestmark = pytest.mark.anyio

B = EventDispatchBehavior
#: Generous: only reached when a test is broken (a rendezvous that never happens).
DEADLINE = 20


@attrs.frozen
class Ping(aspyre.events.Event):
    hook_name: ClassVar[str] = "aspyre_test_ping"


@attrs.frozen
class Pong(Ping):
    """A subclass: subscribers of Ping get it too."""


@attrs.frozen
class Touched(aspyre.events.ResourceEvent):
    hook_name: ClassVar[str] = "aspyre_test_touched"


@attrs.frozen
class Silent(aspyre.events.Event):
    """No hook."""


class Specs:
    @aspyre.plugins.hookspec
    def aspyre_test_ping(self, event: Ping) -> Any:
        """Test hook."""

    @aspyre.plugins.hookspec
    def aspyre_test_touched(self, event: Touched) -> Any:
        """Test hook."""


def plugin_manager(*plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("aspyre")
    pm.add_hookspecs(Specs)
    for plugin in plugins:
        pm.register(plugin)
    return pm


class Recorder:
    """Handlers that append their name to one list, sync or async."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def sync(self, name: str) -> Callable[[aspyre.events.Event], None]:
        def handler(event: aspyre.events.Event) -> None:
            self.calls.append(name)

        return handler

    def async_(self, name: str) -> Callable[[aspyre.events.Event], Awaitable[None]]:
        async def handler(event: aspyre.events.Event) -> None:
            await anyio.lowlevel.checkpoint()  # a real suspension: the order must survive it
            self.calls.append(name)

        return handler

    def failing(self, name: str, exc: Exception) -> Callable[[aspyre.events.Event], None]:
        def handler(event: aspyre.events.Event) -> None:
            self.calls.append(name)
            raise exc

        return handler

    def hooks(self, name: str = "hook") -> object:
        recorder = self

        class Hooks:
            @aspyre.plugins.hookimpl
            def aspyre_test_ping(self, event: Ping) -> Coroutine[Any, Any, None]:
                async def later() -> None:
                    await anyio.lowlevel.checkpoint()
                    recorder.calls.append(name)

                return later()

        return Hooks()


def rendezvous(count: int) -> Callable[[], Awaitable[None]]:
    """An awaitable barrier: returns once ``count`` callers are inside at the same time."""
    arrived = 0
    everyone = anyio.Event()

    async def meet() -> None:
        nonlocal arrived
        arrived += 1
        if arrived == count:
            everyone.set()
        with anyio.fail_after(DEADLINE):
            await everyone.wait()

    return meet


# -- blocking, sequential (the default) ---------------------------------------------------------------


async def test_blocking_sequential_calls_subscribers_in_order_then_the_hooks() -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing(plugin_manager(rec.hooks()))
    bus.subscribe(Ping, rec.async_("first"))
    bus.subscribe(Ping, rec.sync("second"))
    bus.subscribe(Ping, rec.async_("third"))
    await bus.publish(Ping())
    assert rec.calls == ["first", "second", "third", "hook"]


async def test_blocking_sequential_stops_at_the_first_error() -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing(plugin_manager(rec.hooks()))
    bus.subscribe(Ping, rec.sync("ok"))
    bus.subscribe(Ping, rec.failing("bad", ValueError("boom")))
    bus.subscribe(Ping, rec.sync("after"))
    with pytest.raises(ValueError, match="boom"):
        await bus.publish(Ping(), B.BLOCKING_SEQUENTIAL)
    assert rec.calls == ["ok", "bad"]  # neither the next subscriber nor the hook ran


# -- blocking, concurrent --------------------------------------------------------------------------------


async def test_blocking_concurrent_runs_every_handler_at_once_and_waits_for_all() -> None:
    meet = rendezvous(3)  # two subscribers and the hook must be running at the same time
    done: list[str] = []

    def handler(name: str) -> Callable[[Ping], Awaitable[None]]:
        async def h(event: Ping) -> None:
            await meet()
            await anyio.sleep(0.01)
            done.append(name)

        return h

    class Hooks:
        @aspyre.plugins.hookimpl
        def aspyre_test_ping(self, event: Ping) -> Awaitable[None]:
            return handler("hook")(event)

    bus = DistributedApplicationEventing(plugin_manager(Hooks()))
    bus.subscribe(Ping, handler("a"))
    bus.subscribe(Ping, handler("b"))
    await bus.publish(Ping(), B.BLOCKING_CONCURRENT)
    assert sorted(done) == ["a", "b", "hook"]  # all finished before publish returned


async def test_blocking_concurrent_one_error_propagates_as_itself() -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing()
    bus.subscribe(Ping, rec.sync("ok"))
    bus.subscribe(Ping, rec.failing("bad", KeyError("missing")))
    with pytest.raises(KeyError, match="missing"):
        await bus.publish(Ping(), B.BLOCKING_CONCURRENT)


async def test_blocking_concurrent_several_errors_propagate_as_a_group() -> None:
    go = anyio.Event()

    async def first(event: Ping) -> None:
        with anyio.CancelScope(shield=True):  # still raises once the second one failed
            with anyio.fail_after(DEADLINE):
                await go.wait()
            raise ValueError("first")

    def second(event: Ping) -> None:
        go.set()
        raise LookupError("second")

    bus = DistributedApplicationEventing()
    bus.subscribe(Ping, first)
    bus.subscribe(Ping, second)
    with pytest.raises(ExceptionGroup) as info:
        await bus.publish(Ping(), B.BLOCKING_CONCURRENT)
    assert sorted(type(e).__name__ for e in info.value.exceptions) == ["LookupError", "ValueError"]


# -- non-blocking, in the bound task group ------------------------------------------------------------------


async def test_non_blocking_sequential_runs_later_in_order_in_the_bound_task_group() -> None:
    rec = Recorder()
    gate = anyio.Event()

    async def wait_for_gate(event: Ping) -> None:
        await gate.wait()
        rec.calls.append("gated")

    bus = DistributedApplicationEventing(plugin_manager(rec.hooks()))
    bus.subscribe(Ping, wait_for_gate)
    bus.subscribe(Ping, rec.async_("next"))
    async with anyio.create_task_group() as tg:
        bus.bind_task_group(tg)
        with anyio.fail_after(DEADLINE):
            await bus.publish(Ping(), B.NON_BLOCKING_SEQUENTIAL)
        assert rec.calls == []  # publish returned before any handler finished
        gate.set()
    assert rec.calls == ["gated", "next", "hook"]


async def test_non_blocking_concurrent_runs_later_all_at_once() -> None:
    meet = rendezvous(2)
    done: list[str] = []

    def handler(name: str) -> Callable[[Ping], Awaitable[None]]:
        async def h(event: Ping) -> None:
            await meet()
            done.append(name)

        return h

    bus = DistributedApplicationEventing()
    bus.subscribe(Ping, handler("a"))
    bus.subscribe(Ping, handler("b"))
    async with anyio.create_task_group() as tg:
        bus.bind_task_group(tg)
        await bus.publish(Ping(), B.NON_BLOCKING_CONCURRENT)
        assert done == []
    assert sorted(done) == ["a", "b"]


@pytest.mark.parametrize("behavior", [B.NON_BLOCKING_SEQUENTIAL, B.NON_BLOCKING_CONCURRENT])
async def test_non_blocking_errors_go_to_the_error_handler_and_the_others_still_run(
    behavior: EventDispatchBehavior,
) -> None:
    rec = Recorder()
    errors: list[tuple[aspyre.events.Event, BaseException]] = []
    bus = DistributedApplicationEventing(plugin_manager(rec.hooks()))
    bus.on_background_error(lambda event, exc: errors.append((event, exc)))
    bus.subscribe(Ping, rec.failing("bad", ValueError("boom")))
    bus.subscribe(Ping, rec.sync("ok"))
    event = Ping()
    async with anyio.create_task_group() as tg:
        bus.bind_task_group(tg)
        await bus.publish(event, behavior)  # does not raise
    assert sorted(rec.calls) == ["bad", "hook", "ok"]
    assert len(errors) == 1
    assert errors[0][0] is event
    assert isinstance(errors[0][1], ValueError)


async def test_non_blocking_errors_are_logged_without_an_error_handler(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing()
    bus.subscribe(Ping, rec.failing("bad", ValueError("boom")))
    with caplog.at_level(logging.ERROR, logger="aspyre.eventing"):
        async with anyio.create_task_group() as tg:
            bus.bind_task_group(tg)
            await bus.publish(Ping(), B.NON_BLOCKING_CONCURRENT)
    [record] = [r for r in caplog.records if r.name == "aspyre.eventing"]
    assert record.getMessage() == "handler of Ping failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)


@pytest.mark.parametrize("behavior", [B.NON_BLOCKING_SEQUENTIAL, B.NON_BLOCKING_CONCURRENT])
async def test_without_a_task_group_non_blocking_handlers_run_before_publish_returns_and_errors_are_not_raised(
    behavior: EventDispatchBehavior,
) -> None:
    rec = Recorder()
    errors: list[BaseException] = []
    bus = DistributedApplicationEventing(plugin_manager(rec.hooks()))
    bus.on_background_error(lambda event, exc: errors.append(exc))
    bus.subscribe(Ping, rec.async_("first"))
    bus.subscribe(Ping, rec.failing("bad", ValueError("boom")))
    await bus.publish(Ping(), behavior)
    assert sorted(rec.calls) == ["bad", "first", "hook"]
    if behavior is B.NON_BLOCKING_SEQUENTIAL:
        assert rec.calls == ["first", "bad", "hook"]
    assert [str(e) for e in errors] == ["boom"]


async def test_unbinding_the_task_group_runs_non_blocking_handlers_inline_again() -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing()
    bus.subscribe(Ping, rec.async_("h"))
    async with anyio.create_task_group() as tg:
        bus.bind_task_group(tg)
        bus.bind_task_group(None)
        await bus.publish(Ping(), B.NON_BLOCKING_SEQUENTIAL)
        assert rec.calls == ["h"]  # ran before publish returned, not in tg


async def test_cancelling_the_bound_task_group_cancels_background_handlers_without_reporting_them() -> None:
    started = anyio.Event()
    cleaned_up: list[bool] = []
    errors: list[BaseException] = []

    async def forever(event: Ping) -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            cleaned_up.append(True)

    bus = DistributedApplicationEventing()
    bus.on_background_error(lambda event, exc: errors.append(exc))
    bus.subscribe(Ping, forever)
    with anyio.fail_after(DEADLINE):
        async with anyio.create_task_group() as tg:
            bus.bind_task_group(tg)
            await bus.publish(Ping(), B.NON_BLOCKING_CONCURRENT)
            await started.wait()
            tg.cancel_scope.cancel()
    assert cleaned_up == [True]
    assert errors == []


# -- subscriptions ---------------------------------------------------------------------------------------------


async def test_unsubscribe_stops_one_handler() -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing()
    keep = bus.subscribe(Ping, rec.sync("keep"))
    drop = bus.subscribe(Ping, rec.sync("drop"))
    await bus.publish(Ping())
    bus.unsubscribe(drop)
    await bus.publish(Ping())
    assert rec.calls == ["keep", "drop", "keep"]
    bus.unsubscribe(drop)  # twice: ignored
    assert bus.subscriptions_for(Ping()) == [keep]


async def test_a_handler_that_unsubscribes_itself_runs_once() -> None:
    bus = DistributedApplicationEventing()
    calls: list[int] = []

    def once(event: Ping) -> None:
        calls.append(1)
        bus.unsubscribe(subscription)

    subscription = bus.subscribe(Ping, once)
    await bus.publish(Ping())
    await bus.publish(Ping())
    assert calls == [1]


async def test_subscribers_of_a_type_get_its_subclasses() -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing()
    bus.subscribe(aspyre.events.Event, rec.sync("any"))
    bus.subscribe(Ping, rec.sync("ping"))
    bus.subscribe(Pong, rec.sync("pong"))
    await bus.publish(Pong())
    await bus.publish(Ping())
    await bus.publish(Silent())
    assert rec.calls == ["any", "ping", "pong", "any", "ping", "any"]


async def test_resource_subscriptions_see_only_their_resource(tmp_path: Any) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    api = builder.add_executable("api", "true")
    web = builder.add_executable("web", "true")
    rec = Recorder()
    bus = DistributedApplicationEventing()
    bus.subscribe(Touched, rec.sync("api (builder)"), resource=api)  # a resource builder...
    bus.subscribe(Touched, rec.sync("web (resource)"), resource=web.resource)  # ...or the resource
    bus.subscribe(Touched, rec.sync("every"))
    await bus.publish(Touched(api.resource))
    await bus.publish(Touched(web.resource))
    assert rec.calls == ["api (builder)", "every", "web (resource)", "every"]
    # the same name is not the same resource
    other = aspyre.ContainerResource("api")
    rec.calls.clear()
    await bus.publish(Touched(other))
    assert rec.calls == ["every"]


def test_subscribe_rejects_what_cannot_work() -> None:
    bus = DistributedApplicationEventing()
    with pytest.raises(TypeError, match="needs an event type"):
        bus.subscribe(str, print)  # type: ignore[type-var]
    with pytest.raises(TypeError, match="needs a callable handler"):
        bus.subscribe(Ping, "not callable")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Ping is not about a resource"):
        bus.subscribe(Ping, print, resource=aspyre.ContainerResource("api"))


# -- hooks -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("behavior", [B.BLOCKING_SEQUENTIAL, B.NON_BLOCKING_SEQUENTIAL])
async def test_sequential_dispatch_delivers_the_hook_after_every_subscriber(behavior: EventDispatchBehavior) -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing(plugin_manager(rec.hooks("hook")))
    bus.subscribe(Ping, rec.async_("a"))
    bus.subscribe(Ping, rec.async_("b"))
    async with anyio.create_task_group() as tg:
        bus.bind_task_group(tg)
        await bus.publish(Ping(), behavior)
    assert rec.calls == ["a", "b", "hook"]


async def test_hook_implementations_are_called_last_registered_first_then_their_awaitables_awaited() -> None:
    calls: list[str] = []

    class Sync:
        @aspyre.plugins.hookimpl
        def aspyre_test_ping(self, event: Ping) -> None:
            calls.append("sync called")

    class Async:
        @aspyre.plugins.hookimpl
        def aspyre_test_ping(self, event: Ping) -> Awaitable[None]:
            calls.append("async called")

            async def body() -> None:
                calls.append("async awaited")

            return body()

    class AsyncDef:
        @aspyre.plugins.hookimpl
        async def aspyre_test_ping(self, event: Ping) -> None:
            calls.append("async def awaited")

    bus = DistributedApplicationEventing(plugin_manager(Sync(), Async(), AsyncDef()))
    await bus.publish(Ping())
    # pluggy calls every implementation synchronously (last registered first); the bus then awaits
    # what they returned, in the same order.
    assert calls == ["async called", "sync called", "async def awaited", "async awaited"]


async def test_a_failing_hook_propagates_and_the_rest_are_closed_not_awaited() -> None:
    returned: list[Coroutine[Any, Any, None]] = []

    async def fail() -> None:
        raise RuntimeError("hook failed")

    async def never() -> None:  # pragma: no cover - closed before it runs
        raise AssertionError("awaited after an earlier hook failed")

    class Later:
        @aspyre.plugins.hookimpl
        def aspyre_test_ping(self, event: Ping) -> Coroutine[Any, Any, None]:
            returned.append(never())
            return returned[-1]

    class First:
        @aspyre.plugins.hookimpl
        def aspyre_test_ping(self, event: Ping) -> Coroutine[Any, Any, None]:
            returned.append(fail())
            return returned[-1]

    bus = DistributedApplicationEventing(plugin_manager(Later(), First()))  # First is called first
    with pytest.raises(RuntimeError, match="hook failed"):
        await bus.publish(Ping())
    assert [inspect.getcoroutinestate(c) for c in returned] == [inspect.CORO_CLOSED, inspect.CORO_CLOSED]
    assert returned[1].cr_code.co_name == "never"


async def test_hooks_only_skips_the_subscribers() -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing(plugin_manager(rec.hooks()))
    bus.subscribe(Ping, rec.sync("subscriber"))
    await bus.publish_hooks_only(Ping())
    assert rec.calls == ["hook"]


async def test_events_without_a_hook_or_a_plugin_manager_reach_the_subscribers_only() -> None:
    rec = Recorder()
    with_pm = DistributedApplicationEventing(plugin_manager(rec.hooks()))
    with_pm.subscribe(Silent, rec.sync("silent"))
    await with_pm.publish(Silent())
    without_pm = DistributedApplicationEventing()
    without_pm.subscribe(Ping, rec.sync("ping"))
    for behavior in B:
        await without_pm.publish(Ping(), behavior)
    await without_pm.publish_hooks_only(Ping())
    assert rec.calls == ["silent"] + ["ping"] * len(B)


async def test_the_plugin_manager_can_be_attached_later() -> None:
    rec = Recorder()
    bus = DistributedApplicationEventing()
    await bus.publish(Ping())
    pm = plugin_manager(rec.hooks())
    bus.plugin_manager = pm
    assert bus.plugin_manager is pm
    await bus.publish(Ping())
    assert rec.calls == ["hook"]

