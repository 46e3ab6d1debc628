"""The dashboard as a plugin: when it starts, where it listens, how it is switched off, and its live fan-out."""

from __future__ import annotations

import datetime as dt
import socket
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import aspyre
import aspyre_dashboard
from aspyre_dashboard._hub import LogHub
from aspyre_dashboard._options import (
    DashboardConfigError,
    DashboardOptions,
    bind_socket,
    parse_url,
    stable_port,
)

from .helpers import SHOWCASE, AppHost, dashboard_env

# -- options -----------------------------------------------------------------------------------------------


def test_default_options_are_loopback_with_a_token() -> None:
    options = DashboardOptions.from_environment({})
    assert options == DashboardOptions(host="127.0.0.1", port=None, unsecured=False)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:18888", ("127.0.0.1", 18888)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("http://localhost", ("localhost", None)),
        ("http://[::1]:9000/", ("::1", 9000)),
        ("http://0.0.0.0:18888", ("0.0.0.0", 18888)),
    ],
)
def test_the_url_setting(url: str, expected: tuple[str, int | None]) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1:1", "plain http"),
        ("http://127.0.0.1:1/dash", "without a path"),
        ("http://127.0.0.1:99999", "(?i)port"),
        ("http://:80", "no host"),
    ],
)
def test_bad_url_settings_say_what_to_write(url: str, message: str) -> None:
    with pytest.raises(DashboardConfigError, match=message) as info:
        DashboardOptions.from_environment({"ASPYRE_DASHBOARD_URL": url})
    assert "ASPYRE_DASHBOARD_URL" in str(info.value)


def test_unsecured_is_refused_off_loopback_and_allowed_on_it() -> None:
    env = {"ASPYRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS": "true", "ASPYRE_DASHBOARD_URL": "http://0.0.0.0:0"}
    with pytest.raises(DashboardConfigError, match="without a token"):
        DashboardOptions.from_environment(env)
    env["ASPYRE_DASHBOARD_URL"] = "http://localhost:0"
    assert DashboardOptions.from_environment(env).unsecured
    with pytest.raises(DashboardConfigError, match="true or false"):
        DashboardOptions.from_environment({"ASPYRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS": "maybe"})


def test_the_port_is_stable_per_app_host_and_falls_back_when_busy(tmp_path: Path) -> None:
    one, other = tmp_path / "a" / "apphost.py", tmp_path / "b" / "apphost.py"
    assert stable_port(one) == stable_port(Path(str(one).upper().lower()))
    assert stable_port(one) != stable_port(other)
    assert 15000 <= stable_port(one) < 20000
    first = bind_socket(DashboardOptions(), one)
    try:
        assert first.getsockname()[1] == stable_port(one)
        second = bind_socket(DashboardOptions(), one)  # busy: any free port
        try:
            assert second.getsockname()[1] not in (0, stable_port(one))
        finally:
            second.close()
        taken = first.getsockname()[1]
        with pytest.raises(DashboardConfigError, match=f"cannot listen on 127.0.0.1:{taken}"):
            bind_socket(DashboardOptions(port=taken), one)  # asked for: an error naming it
    finally:
        first.close()
    # A port one of the app's resources asked for is left to it.
    other_sock = bind_socket(DashboardOptions(), other, avoid={stable_port(other)})
    try:
        assert other_sock.getsockname()[1] != stable_port(other)
    finally:
        other_sock.close()


# -- the live fan-out ----------------------------------------------------------------------------------------


class _Line:
    def __init__(self, n: int, text: str) -> None:
        self.line_number = n
        self.content = text
        self.is_error = False
        self.timestamp = dt.datetime.now(dt.UTC)


class _Res:
    def __init__(self, name: str) -> None:
        self.name = name


def test_the_log_ring_reads_what_is_new_and_skips_ahead_for_a_slow_reader() -> None:
    hub = LogHub(capacity=100)
    hub.on_line(_Res("a"), _Line(1, "nobody reads"))  # no reader: not even kept (the backlogs have it)
    assert hub.seq == 0
    hub.readers = 1
    woken: list[str] = []
    hub.wake_on_next_line(lambda: woken.append("w"))
    a, b = _Res("a"), _Res("b")
    for i in range(1, 11):
        hub.on_line(a, _Line(i, f"a{i}"))
        hub.on_line(b, _Line(i, f"b{i}"))
    assert woken == ["w"]  # woken once, at the first line
    lines, cursor = hub.read(0, None, 1000)
    assert [e.text for e in lines][:4] == ["a1", "b1", "a2", "b2"]
    assert cursor == 20
    only_b, _ = hub.read(10, "b", 1000)
    assert [e.text for e in only_b] == ["b6", "b7", "b8", "b9", "b10"]
    assert hub.read(20, None, 1000) == ([], 20)
    for i in range(11, 300):  # the ring keeps 100: a reader at 20 lost lines
        hub.on_line(a, _Line(i, f"a{i}"))
    lines, cursor = hub.read(20, None, 50)  # and gets only the newest 50
    assert [e.line_number for e in lines] == list(range(250, 300))
    assert cursor == hub.seq


# -- switching it off, and the pytest plugin ------------------------------------------------------------


@pytest.mark.anyio
async def test_an_app_started_in_process_serves_its_dashboard(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    builder.add_executable("job", sys.executable, "-c", "print('hello from job')")
    app = builder.build()
    async with app:
        dashboard = aspyre_dashboard.get_dashboard(app)
        assert dashboard is not None
        assert app.announcements == (f"Dashboard: {dashboard.login_url}",)
        assert "login?t=" not in repr(dashboard)
        async with httpx.AsyncClient(base_url=dashboard.url, trust_env=False) as client:
            assert (await client.get(dashboard.login_url)).status_code == 303
            with anyio.fail_after(60):
                while True:
                    names = {r["name"]: r["state"] for r in (await client.get("/api/resources")).json()}
                    if names.get("job") == "Finished":
                        break
                    await anyio.sleep(0.05)
            text = (await client.get("/api/logs/download?resource=job")).text
            assert "hello from job" in text
    async with httpx.AsyncClient(trust_env=False) as after:
        with pytest.raises(httpx.ConnectError):  # stopped with the app
            await after.get(dashboard.url + "/api/info")


@pytest.mark.anyio
async def test_the_pytest_factory_leaves_the_dashboard_off_unless_asked(aspyre_app_factory: Any) -> None:
    def one_job(builder: aspyre.DistributedApplicationBuilder) -> None:
        builder.add_executable("job", sys.executable, "-c", "pass")

    builder = aspyre_app_factory.create_builder()
    one_job(builder)
    app = await aspyre_app_factory(builder)
    assert aspyre_dashboard.get_dashboard(app) is None
    assert app.announcements == ()
    asked = aspyre_app_factory.create_builder()
    one_job(asked)
    app = await aspyre_app_factory(asked, disable_plugins=())
    assert aspyre_dashboard.get_dashboard(app) is not None


def test_the_no_dashboard_flag_switches_it_off_for_one_run(tmp_path: Path) -> None:
    host = AppHost(SHOWCASE, "--no-dashboard")
    try:
        host.wait_for_line(r"^ticker\s+: Running")
    finally:
        host.stop()
    assert not any(line.startswith("Dashboard:") for line in host.lines), host.output()


def test_the_environment_switches_it_off_too() -> None:
    host = AppHost(SHOWCASE, env=dashboard_env(ASPYRE_DISABLE_PLUGINS="dashboard"))
    try:
        host.wait_for_line(r"^ticker\s+: Running")
    finally:
        host.stop()
    assert not any(line.startswith("Dashboard:") for line in host.lines), host.output()


def test_publish_mode_serves_nothing(tmp_path: Path) -> None:
    host = AppHost(SHOWCASE, "--publisher", "manifest", "--output-path", str(tmp_path))
    assert host.proc.wait(timeout=120) == 0
    host.stop()
    assert (tmp_path / "aspire-manifest.json").exists()
    assert not any(line.startswith("Dashboard:") for line in host.lines), host.output()


def test_the_dashboard_stops_with_the_app_and_frees_its_port() -> None:
    host = AppHost(SHOWCASE)
    try:
        host.wait_for_dashboard()
        port = int(host.url.rsplit(":", 1)[1])
    finally:
        assert host.stop() == 0
    with socket.socket() as s:  # the port is free again (no listener left behind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


@pytest.mark.anyio
async def test_a_before_start_event_published_outside_a_run_starts_nothing(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    app = builder.build()
    await app.eventing.publish(aspyre.events.BeforeStartEvent(app=app))
    assert aspyre_dashboard.get_dashboard(app) is None
    assert app.announcements == ()


# -- commands while a resource is on its way ---------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("state", ["Installing", "Building", "Starting"])
async def test_restart_is_disabled_while_a_resource_installs_builds_or_starts(tmp_path: Path, state: str) -> None:
    from aspyre_dashboard._views import ResourceViews

    builder = aspyre.DistributedApplication.create_builder(["--no-dashboard"], app_host_path=tmp_path / "apphost.py")
    job = builder.add_executable("job", sys.executable, "-c", "pass").with_explicit_start().resource
    app = builder.build()
    async with app:
        views = ResourceViews(app)
        assert views.command_state(job, "start") == "enabled"  # NotStarted
        app.resource_notifications.publish_update(job, lambda s: s.with_state(state))
        assert views.command_state(job, "restart") == "disabled"
        assert views.command_state(job, "stop") == "enabled"
