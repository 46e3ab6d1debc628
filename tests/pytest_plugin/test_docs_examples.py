"""The examples of docs/testing.md, as written there (the first one is test_demo_app_host.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aspyre.pytest_plugin import AspyreAppFactory
from aspyre.testing import PluginTester


def use_test_settings(builder):  # type: ignore[no-untyped-def]
    api = next(r for r in builder.resources if r.name == "api")
    builder.create_resource_builder(api).with_environment("FEATURE_X", "on")
    builder.add_executable("seed", sys.executable, "-c", "print('seeded')")


@pytest.mark.docker
@pytest.mark.anyio
async def test_with_feature_x(aspyre_app_factory: AspyreAppFactory) -> None:
    app = await aspyre_app_factory("examples/apphost.py", configure=use_test_settings)
    await app.resource_notifications.wait_for_resource("seed", "Finished")
    assert [line.content for line in app.resource_loggers.backlog("seed")] == ["seeded"]
    api = await app.resource_notifications.wait_for_resource("api", "Running")
    assert ("FEATURE_X", "on") in {(e.name, e.value) for e in api.environment_variables}


@pytest.mark.docker
@pytest.mark.anyio
async def test_built_then_started(aspyre_app_factory: AspyreAppFactory) -> None:
    app = await aspyre_app_factory("examples/apphost.py", start=False)
    app.options.stop_grace_period = 2
    await aspyre_app_factory.start(app)
    await app.resource_notifications.wait_for_resource_healthy("api")


@pytest.mark.anyio
async def test_a_small_model(aspyre_app_factory: AspyreAppFactory) -> None:
    builder = aspyre_app_factory.create_builder()
    builder.add_executable("hello", sys.executable, "-c", "print('hello')")
    app = await aspyre_app_factory(builder)
    snapshot = await app.resource_notifications.wait_for_resource("hello", "Finished")
    assert snapshot.exit_code == 0


@pytest.mark.anyio
async def test_manifest_and_snapshots(aspyre_app_factory: AspyreAppFactory, tmp_path: Path) -> None:
    (tmp_path / "apphost.py").write_text(
        "import sys, aspyre\n"
        "builder = aspyre.DistributedApplication.create_builder()\n"
        "builder.add_executable('job', sys.executable, '-c', 'pass')\n"
        "builder.build().run()\n"
    )
    manifest = await aspyre_app_factory.manifest(tmp_path / "apphost.py")
    assert manifest["resources"]["job"]["type"] == "executable.v0"
    app = await aspyre_app_factory(tmp_path / "apphost.py")
    await app.resource_notifications.wait_for_resource("job", "Finished")
    assert aspyre_app_factory.snapshots(app)["job"].exit_code == 0


def add_greeting(builder, name):  # type: ignore[no-untyped-def]
    return builder.add_parameter(name, "hello")


def test_a_builder_method(aspyre_plugins: PluginTester) -> None:
    aspyre_plugins.register("aspyre-greeting", builder_methods={"add_greeting": add_greeting})
    builder = aspyre_plugins.create_builder()
    assert builder.add_greeting("greeting").resource.value == "hello"
    assert aspyre_plugins.check() == []


@pytest.mark.anyio
async def test_restart(aspyre_app_factory: AspyreAppFactory) -> None:
    builder = aspyre_app_factory.create_builder()
    builder.add_executable("svc", sys.executable, "-c", "import time; time.sleep(600)")
    app = await aspyre_app_factory(builder)
    await app.resource_notifications.wait_for_resource_healthy("svc")
    await app.execute_command("svc", "restart")  # returns with the new run Starting
    await app.resource_notifications.wait_for_resource_healthy("svc")
