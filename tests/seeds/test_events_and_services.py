"""Events: the page's ``OnInitializeResource`` handler reads ``Eventing``, ``Notifications``, ``Logger`` and
``Services`` from its event; aspyre's event carries the same, typed (``aspyre.events.App``). ``Services`` is a
small typed registry shared by the builder, the app, events and commands."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre.events import ExecuteCommandContext, InitializeResourceEvent, ServiceRegistry

from .helpers import run_builder, wait_state

pytestmark = pytest.mark.anyio


class Clock:
    """A service an integration shares."""

    def now(self) -> str:
        return "12:00"


class SpecialClock(Clock):
    pass


def test_the_registry_is_typed_by_class() -> None:
    services = ServiceRegistry()
    clock = services.add(Clock())
    assert services.get(Clock) is clock and services.find(Clock) is clock
    assert Clock in services and list(services) == [Clock]
    assert services.find(SpecialClock) is None
    with pytest.raises(LookupError, match=r"No SpecialClock service is registered \(registered: Clock\)"):
        services.get(SpecialClock)
    assert services.get(SpecialClock, clock) is clock
    with pytest.raises(ValueError, match="already registered"):
        services.add(Clock())
    special = services.add(SpecialClock(), as_type=Clock, replace=True)
    assert services.get(Clock) is special
    with pytest.raises(TypeError, match="is not an instance of SpecialClock"):
        services.add(Clock(), as_type=SpecialClock)


async def test_the_initialize_event_carries_eventing_notifications_logger_and_services(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    builder.services.add(Clock())
    seen: dict[str, object] = {}
    done = anyio.Event()

    async def on_initialize(event: InitializeResourceEvent) -> None:
        # The page's handler, in Python: everything it needs comes from the event.
        log, eventing, notifications, services = event.logger, event.eventing, event.notifications, event.services
        await eventing.publish(aspyre.events.BeforeResourceStartedEvent(event.resource, app=event.app))
        log.info("Starting at %s...", services.get(Clock).now())
        notifications.publish_update(event.resource, lambda s: s.with_state(aspyre.KnownResourceStates.RUNNING))
        seen.update(
            eventing=eventing, notifications=notifications, services=services, app=event.app, logger=log
        )
        done.set()

    before_started: list[str] = []
    thing = builder.add_resource(aspyre.Resource("thing")).on_initialize_resource(on_initialize)
    thing.on_before_resource_started(lambda event: before_started.append(event.resource.name))
    app = builder.build()
    async with app:
        with anyio.fail_after(10):
            await done.wait()
        await wait_state(app, "thing", aspyre.KnownResourceStates.RUNNING)
        lines = [line.content for line in app.resource_loggers.backlog("thing")]
        assert seen["logger"] is app.resource_loggers.get_logger("thing")
    assert seen["eventing"] is app.eventing is builder.eventing
    assert seen["notifications"] is app.resource_notifications
    assert seen["services"] is app.services is builder.services
    assert seen["app"] is app
    assert before_started == ["thing"]
    assert "Starting at 12:00..." in lines


def test_the_app_registers_what_plugins_ask_for(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    app = builder.build()
    services = app.services
    assert services.get(aspyre.DistributedApplicationBuilder) is builder
    assert services.get(aspyre.DistributedApplication) is app
    assert services.get(aspyre.model.DistributedApplicationModel) is app.model
    assert services.get(aspyre.events.DistributedApplicationEventing) is app.eventing
    assert services.get(aspyre.ExecutionContext) is app.execution_context


async def test_commands_get_a_typed_context(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    builder.services.add(Clock())
    got: list[ExecuteCommandContext] = []

    def ring(context: ExecuteCommandContext) -> str:
        got.append(context)
        context.logger.info("ring")
        return context.services.get(Clock).now()

    builder.add_resource(aspyre.Resource("bell")).with_command("ring", "Ring", ring)
    app = builder.build()
    async with app:
        assert await app.execute_command("bell", "ring") == "12:00"
        assert [line.content for line in app.resource_loggers.backlog("bell")] == ["ring"]
    (context,) = got
    assert context.app is app and context.resource_name == "bell"
