"""The app as plugins see it (``aspyre.events.App``): every ``app`` a plugin gets is typed, and a built
``DistributedApplication`` is one. mypy and pyright must accept this file with the types stated below."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, assert_type

import aspyre
from aspyre.events import (
    App,
    DistributedApplicationEventing,
    ExecuteCommandContext,
    InitializeResourceEvent,
    ResourceLoggers,
    ResourceNotifications,
    ResourceReadyEvent,
    ServiceRegistry,
)
from aspyre.model import DistributedApplicationModel, LogLine, ResourceSnapshotUpdate


def plugin_code(app: App) -> list[str]:
    assert_type(app.model, DistributedApplicationModel)
    assert_type(app.eventing, DistributedApplicationEventing)
    assert_type(app.execution_context, aspyre.ExecutionContext)
    assert_type(app.services, ServiceRegistry)
    assert_type(app.app_host_path, Path)
    return [r.name for r in app.model]


async def run_mode_plugin_code(app: App) -> None:
    assert_type(app.resource_notifications, ResourceNotifications)
    assert_type(app.resource_loggers, ResourceLoggers)
    assert_type(app.resource_notifications.get_snapshot("x"), aspyre.ResourceSnapshot | None)
    assert_type(app.resource_loggers.get_logger("x"), logging.Logger)
    assert_type(await app.get_connection_string("cache"), str | None)
    assert_type(app.get_endpoint("api", "http"), str)
    assert_type(await app.execute_command("clock", "start"), Any)


async def on_initialize(event: InitializeResourceEvent) -> None:
    # What Aspire's OnInitializeResource handler reads from its event, typed.
    assert_type(event.app, App)
    assert_type(event.eventing, DistributedApplicationEventing)
    assert_type(event.notifications, ResourceNotifications)
    assert_type(event.logger, logging.Logger)
    assert_type(event.services, ServiceRegistry)
    assert_type(event.app.resource_notifications.get_snapshot("x"), aspyre.ResourceSnapshot | None)
    assert_type(await event.notifications.wait_for_resource_healthy(event.resource), aspyre.ResourceSnapshot)
    async for update in event.notifications.watch():
        assert_type(update, ResourceSnapshotUpdate)
    async for line in event.app.resource_loggers.watch(event.resource):
        assert_type(line, LogLine)
    await event.eventing.publish(aspyre.events.BeforeResourceStartedEvent(event.resource, app=event.app))


def on_ready(event: ResourceReadyEvent) -> None:
    assert_type(event.app, App)
    assert_type(event.model, DistributedApplicationModel)


async def command(context: ExecuteCommandContext) -> None:
    assert_type(context.app, App)
    assert_type(context.resource, aspyre.IResource)
    assert_type(context.logger, logging.Logger)


class Clock:
    """A service an integration shares."""


def build(app_host: Path) -> list[str]:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=app_host)
    builder.add_parameter("p", "v").on_initialize_resource(on_initialize)
    builder.services.add(Clock())
    assert_type(builder.services.get(Clock), Clock)
    app = builder.build()
    as_app: App = app  # a DistributedApplication is an App
    assert_type(as_app.services.find(Clock), Clock | None)
    return plugin_code(app)
