"""States and well-known properties: Aspire's ``Unknown``/``Hidden`` states and its snapshot property names,
set by the built-in resources and the talking clock, so consoles and dashboards show every resource alike."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import aspyre
from aspyre import KnownResourceStates as S
from aspyre.model import CustomResourceKnownProperties, KnownProperties

from .helpers import run_builder, wait_state

pytestmark = pytest.mark.anyio


def test_the_state_constants_are_aspires() -> None:
    assert (S.UNKNOWN, S.HIDDEN, S.BUILDING) == ("Unknown", "Hidden", "Building")
    assert (S.NOT_STARTED, S.WAITING, S.RUNTIME_UNHEALTHY, S.FAILED_TO_START) == (
        "NotStarted",
        "Waiting",
        "RuntimeUnhealthy",
        "FailedToStart",
    )


def test_no_state_shows_as_unknown_and_hidden_hides() -> None:
    snapshot = aspyre.ResourceSnapshot("Custom")
    assert snapshot.state_text is None and snapshot.display_state == "Unknown"
    assert snapshot.is_visible
    assert not snapshot.with_state(S.HIDDEN).is_visible  # the state (Aspire's older way)
    assert not snapshot.evolve(is_hidden=True).is_visible  # the flag (Aspire's IsHidden)
    assert snapshot.with_state("Tick").display_state == "Tick"  # a custom state shows as it is


def test_the_console_prints_custom_states_and_skips_hidden_ones(tmp_path: Path) -> None:
    from aspyre._hosting._console import PlainConsole

    builder = run_builder(tmp_path)
    shown = builder.add_resource(aspyre.Resource("shown")).resource
    hidden = builder.add_resource(aspyre.Resource("helper")).resource
    out = io.StringIO()
    console = PlainConsole(builder.build(), stream=out)
    console.on_snapshot(shown, aspyre.ResourceSnapshot("Custom").with_state("Tick", aspyre.StateStyle.SUCCESS))
    console.on_snapshot(hidden, aspyre.ResourceSnapshot("Custom").with_state(S.HIDDEN))
    console.on_snapshot(hidden, aspyre.ResourceSnapshot("Custom", is_hidden=True).with_state(S.RUNNING))
    assert out.getvalue().splitlines() == ["shown  : Tick"]


def test_the_property_names_are_aspires() -> None:
    assert CustomResourceKnownProperties.SOURCE == KnownProperties.Resource.SOURCE == "resource.source"
    assert CustomResourceKnownProperties.CONNECTION_STRING == "resource.connectionString"
    assert (KnownProperties.Container.IMAGE, KnownProperties.Container.PORTS) == ("container.image", "container.ports")
    assert KnownProperties.Resource.EXIT_CODE == "resource.exitCode"
    assert (KnownProperties.Executable.PATH, KnownProperties.Executable.PID) == ("executable.path", "executable.pid")


async def test_built_in_resources_set_the_well_known_properties(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import time\ntime.sleep(30)\n")
    builder = run_builder(tmp_path)
    builder.add_executable("tool", sys.executable, "-c", "import time; time.sleep(30)")
    builder.add_python_app("web", "main.py", interpreter=sys.executable)
    app = builder.build()
    async with app:
        tool = await wait_state(app, "tool", S.RUNNING)
        web = await wait_state(app, "web", S.RUNNING)
    assert tool.property_value(KnownProperties.Resource.SOURCE) == sys.executable
    assert tool.property_value(KnownProperties.Executable.PATH) == sys.executable
    assert isinstance(tool.property_value(KnownProperties.Executable.PID), int)
    assert web.property_value(KnownProperties.Resource.SOURCE) == str(tmp_path / "main.py")


def test_containers_show_their_image_and_ports_as_source(tmp_path: Path) -> None:
    from aspyre._orchestrator._snapshots import initial_snapshot

    builder = run_builder(tmp_path)
    cache = builder.add_container("cache", "redis:7.0").with_endpoint(target_port=6379, name="tcp")
    cache.with_http_endpoint(target_port=8001)
    snapshot = initial_snapshot(cache.resource)
    assert snapshot.property_value(KnownProperties.Resource.SOURCE) == "redis:7.0"
    assert snapshot.property_value(KnownProperties.Container.IMAGE) == "redis:7.0"
    assert snapshot.property_value(KnownProperties.Container.PORTS) == [6379, 8001]


async def test_the_talking_clock_uses_the_source_property(tmp_path: Path) -> None:
    import aspyre_talking_clock

    assert aspyre_talking_clock.SOURCE_PROPERTY == CustomResourceKnownProperties.SOURCE
    builder = run_builder(tmp_path)
    builder.add_talking_clock("clock", interval=0.05)
    app = builder.build()
    async with app:
        clock = await wait_state(app, "clock", "Tick", "Tock")
        hand = app.resource_notifications.get_snapshot("clock-tick-hand")
    assert clock.property_value(CustomResourceKnownProperties.SOURCE) == "Talking Clock"
    assert hand is not None and hand.property_value(CustomResourceKnownProperties.SOURCE) == "Talking Clock"


async def test_a_custom_resource_without_a_state_shows_unknown_in_run_mode(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    builder.add_resource(aspyre.Resource("plain"))
    app = builder.build()
    async with app:
        snapshot = app.resource_notifications.get_snapshot("plain")
    assert snapshot is not None and snapshot.state is None and snapshot.display_state == S.UNKNOWN
