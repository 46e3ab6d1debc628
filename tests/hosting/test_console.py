"""Plain console output: the one formatter behind ``python apphost.py`` and ``aspyre run --plain``."""

from __future__ import annotations

import io
from pathlib import Path

import aspyre
from aspyre._hosting._console import PlainConsole
from aspyre._orchestrator._logs import LogLine


def make_console(tmp_path: Path) -> tuple[PlainConsole, io.StringIO, aspyre.DistributedApplication]:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    builder.add_executable("api", "true")
    builder.add_executable("migrate", "true")
    app = builder.build()
    out = io.StringIO()
    return PlainConsole(app, out), out, app


def snapshot(state: str | None, **changes: object) -> aspyre.ResourceSnapshot:
    snap = aspyre.ResourceSnapshot("Executable", **changes)  # type: ignore[arg-type]
    return snap if state is None else snap.with_state(state)


def test_state_lines_health_exit_codes_and_urls(tmp_path: Path) -> None:
    console, out, app = make_console(tmp_path)
    api, migrate = app.get_resource("api"), app.get_resource("migrate")
    urls = (
        aspyre.model.UrlSnapshot("http", "http://127.0.0.1:5000"),
        aspyre.model.UrlSnapshot("internal", "http://api:8000", is_internal=True),
        aspyre.model.UrlSnapshot("https", "https://127.0.0.1:5001"),
    )
    console.on_snapshot(api, snapshot("Starting", urls=urls))  # URLs only once Running
    console.on_snapshot(api, snapshot("Running", urls=urls))
    console.on_snapshot(api, snapshot("Running", urls=urls, version=7))  # nothing shown changed: no line
    unhealthy = aspyre.model.HealthReportSnapshot("ready", aspyre.HealthStatus.UNHEALTHY)
    console.on_snapshot(api, snapshot("Running", urls=urls, health_reports=(unhealthy,)))
    console.on_snapshot(migrate, snapshot("Finished", exit_code=0))
    console.on_log(migrate, LogLine(1, "migrated"))
    assert out.getvalue().splitlines() == [
        "api     : Starting",
        "api     : Running (Healthy)  http://127.0.0.1:5000, https://127.0.0.1:5001",
        "api     : Running (Unhealthy)  http://127.0.0.1:5000, https://127.0.0.1:5001",
        "migrate : Finished (exit code 0)",
        "migrate | migrated",
    ]


def test_hidden_resources_and_resources_without_a_state_print_nothing(tmp_path: Path) -> None:
    console, out, app = make_console(tmp_path)
    console.on_snapshot(app.get_resource("api"), snapshot(None))
    console.on_snapshot(app.get_resource("api"), snapshot("Running", is_hidden=True))
    assert out.getvalue() == ""
