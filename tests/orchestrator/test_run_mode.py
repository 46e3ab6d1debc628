"""Run mode with real processes: events, states, waits, health, explicit start, logs."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = pytest.mark.anyio

PY = sys.executable


def make_builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


def script(tmp_path: Path, name: str, code: str) -> str:
    p = tmp_path / name
    p.write_text(code)
    return str(p)


async def test_event_order_for_a_process(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("job", PY, "-c", "print('hello from job')")
    seen: list[tuple[str, str | None]] = []

    def record(event: aspyre.events.Event) -> None:
        seen.append((type(event).__name__, getattr(getattr(event, "resource", None), "name", None)))

    for et in (
        aspyre.events.BeforeStartEvent,
        aspyre.events.AfterEndpointsAllocatedEvent,
        aspyre.events.AfterResourcesCreatedEvent,
        aspyre.events.InitializeResourceEvent,
        aspyre.events.ResourceEndpointsAllocatedEvent,
        aspyre.events.BeforeResourceStartedEvent,
        aspyre.events.ResourceReadyEvent,
        aspyre.events.ResourceStoppedEvent,
    ):
        b.eventing.subscribe(et, record)
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource("job", S.FINISHED)
        with anyio.fail_after(10):
            while ("ResourceStoppedEvent", "job") not in seen:
                await anyio.sleep(0.01)
    names = [n for n, r in seen if r in (None, "job")]
    assert names[0] == "BeforeStartEvent"
    assert names[1] == "AfterEndpointsAllocatedEvent"
    order = [
        "InitializeResourceEvent",
        "BeforeResourceStartedEvent",
        "ResourceReadyEvent",
        "ResourceStoppedEvent",
    ]
    positions = [names.index(n) for n in order]
    assert positions == sorted(positions), names
    assert names.index("AfterResourcesCreatedEvent") > names.index("BeforeResourceStartedEvent")
    assert [line.content for line in app.resource_loggers.backlog("job")] == ["hello from job"]


async def test_resource_event_subscription_filters_on_resource(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    a = b.add_executable("a", PY, "-c", "pass")
    b.add_executable("b", PY, "-c", "pass")
    seen: list[str] = []
    a.on_before_resource_started(lambda e: seen.append(e.resource.name))
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource("a", S.FINISHED)
        await app.resource_notifications.wait_for_resource("b", S.FINISHED)
    assert seen == ["a"]


async def test_environment_and_endpoints_reach_the_process(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    pw = b.add_parameter("api-key", "s3cret", secret=True)
    api = b.add_executable("api", PY, "-c", "import time; time.sleep(60)").with_http_endpoint(env="PORT")
    out = tmp_path / "env.txt"
    code = (
        "import os, pathlib; keys = ['PORT', 'API_KEY', 'services__api__http__0', 'API_HTTP', 'HEALTH_URL'];"
        f"pathlib.Path({str(out)!r}).write_text('\\n'.join(f'{{k}}={{os.environ.get(k)}}' for k in keys))"
    )
    web = (
        b.add_executable("web", PY, "-c", code)
        .with_reference(api)
        .with_environment("API_KEY", pw)
        .with_environment("HEALTH_URL", aspyre.ReferenceExpression.format("{}/health", api.get_endpoint("http")))
        .with_environment("PORT", api.get_endpoint("http").property(aspyre.EndpointProperty.PORT))
    )
    app = b.build()
    async with app:
        snap = await app.resource_notifications.wait_for_resource(web.resource, S.FINISHED)
        assert snap.exit_code == 0
        url = app.get_endpoint("api")
        port = api.get_endpoint("http").port
    env = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert url == f"http://127.0.0.1:{port}"
    assert env == {
        "PORT": str(port),
        "API_KEY": "s3cret",
        "services__api__http__0": url,
        "API_HTTP": url,
        "HEALTH_URL": f"{url}/health",
    }
    # the secret is marked sensitive in the snapshot
    envs = {e.name: e for e in snap.environment_variables}
    assert envs["API_KEY"].is_sensitive and not envs["PORT"].is_sensitive


async def test_wait_for_completion_with_wrong_exit_code_fails_the_waiter(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    job = b.add_executable("job", PY, "-c", "import sys; sys.exit(3)")
    api = b.add_executable("api", PY, "-c", "print('should not run')").wait_for_completion(job)
    app = b.build()
    async with app:
        snap = await app.resource_notifications.wait_for_resource(api.resource, S.FAILED_TO_START)
        job_snap = app.resource_notifications.get_snapshot("job")
    assert job_snap is not None and job_snap.exit_code == 3
    assert snap.state_text == S.FAILED_TO_START
    lines = [line.content for line in app.resource_loggers.backlog("api")]
    assert any("exit code 3" in line and "expected 0" in line for line in lines), lines
    assert app.failed_resources == ["api"]


async def test_wait_for_completion_then_start(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    marker = tmp_path / "migrated"
    job = b.add_executable(
        "job", PY, "-c", f"import pathlib, time; time.sleep(0.3); pathlib.Path({str(marker)!r}).touch()"
    )
    api = b.add_executable(
        "api", PY, "-c", f"import pathlib, sys; sys.exit(0 if pathlib.Path({str(marker)!r}).exists() else 9)"
    )
    api.wait_for_completion(job)
    states: list[str] = []
    app = b.build()
    async with app:

        async def watch() -> None:
            async for u in app.resource_notifications.watch():
                if (
                    u.resource is api.resource
                    and u.snapshot.state_text
                    and (not states or states[-1] != u.snapshot.state_text)
                ):
                    states.append(u.snapshot.state_text)

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            snap = await app.resource_notifications.wait_for_resource(api.resource, S.FINISHED)
            tg.cancel_scope.cancel()
    assert snap.exit_code == 0
    assert S.WAITING in states
    assert states.index(S.WAITING) < states.index(S.RUNNING)


@pytest.mark.parametrize(
    "behavior", [aspyre.WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE, aspyre.WaitBehavior.WAIT_ON_RESOURCE_UNAVAILABLE]
)
async def test_failing_dependency(tmp_path: Path, behavior: aspyre.WaitBehavior) -> None:
    b = make_builder(tmp_path)
    dep = b.add_executable("dep", str(tmp_path / "does-not-exist"))
    api = b.add_executable("api", PY, "-c", "pass").wait_for(dep, behavior)
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource(dep.resource, S.FAILED_TO_START)
        if behavior is aspyre.WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE:
            await app.resource_notifications.wait_for_resource(api.resource, S.FAILED_TO_START)
            lines = [line.content for line in app.resource_loggers.backlog("api")]
            assert any("'dep' failed to start" in line for line in lines), lines
        else:
            await anyio.sleep(0.5)
            snap = app.resource_notifications.get_snapshot(api.resource)
            assert snap is not None and snap.state_text == S.WAITING
            # a user can force a waiting resource to start
            await app.start_resource("api")
            snap = await app.resource_notifications.wait_for_resource(api.resource, S.FINISHED)
            assert snap.exit_code == 0
    dep_lines = [line.content for line in app.resource_loggers.backlog("dep")]
    assert any("not found" in line for line in dep_lines), dep_lines


async def test_explicit_start(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("job", PY, "-c", "print('ran')").with_explicit_start()
    app = b.build()
    async with app:
        await anyio.sleep(0.3)
        snap = app.resource_notifications.get_snapshot("job")
        assert snap is not None and snap.state_text == S.NOT_STARTED
        assert app.resource_loggers.backlog("job") == []
        await app.start_resource("job")
        snap = await app.resource_notifications.wait_for_resource("job", S.FINISHED)
    assert snap.exit_code == 0
    assert [line.content for line in app.resource_loggers.backlog("job")] == ["ran"]


async def test_health_checks_gate_readiness_and_waiters(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    calls: list[int] = []

    def check(ctx: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        calls.append(1)
        if len(calls) < 3:
            return aspyre.HealthCheckResult.unhealthy(f"attempt {len(calls)}")
        return aspyre.HealthCheckResult.healthy("ok")

    server = b.add_executable("server", PY, "-c", "import time; time.sleep(60)").with_health_check("ready", check)
    ready_seen: list[int] = []
    server.on_resource_ready(lambda e: ready_seen.append(len(calls)))
    client = b.add_executable("client", PY, "-c", "pass").wait_for(server)
    app = b.build()
    async with app:
        snap = await app.resource_notifications.wait_for_resource_healthy("server")
        assert snap.health_status is aspyre.HealthStatus.HEALTHY
        assert [r.description for r in snap.health_reports] == ["ok"]
        csnap = await app.resource_notifications.wait_for_resource(client.resource, S.FINISHED)
    assert ready_seen == [3]
    assert csnap.exit_code == 0
    assert csnap.start_time_stamp is not None and snap.start_time_stamp is not None


async def test_failing_before_start_handler_fails_the_resource(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    job = b.add_executable("job", PY, "-c", "print('should not run')")

    async def boom(event: aspyre.events.BeforeResourceStartedEvent) -> None:
        raise ValueError("kaboom in a handler")

    job.on_before_resource_started(boom)
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource("job", S.FAILED_TO_START)
    lines = [line.content for line in app.resource_loggers.backlog("job")]
    assert any("kaboom in a handler" in line for line in lines), lines
    assert "should not run" not in lines


async def test_missing_parameter_fails_dependents_with_the_variable_name(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    key = b.add_parameter("api-key", secret=True)
    b.add_executable("job", PY, "-c", "pass").with_environment("KEY", key)
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource("job", S.FAILED_TO_START)
        psnap = app.resource_notifications.get_snapshot("api-key")
    assert psnap is not None and psnap.state_text == "Value missing"
    lines = [line.content for line in app.resource_loggers.backlog("job")]
    assert any("Parameters__api-key" in line for line in lines), lines


async def test_independent_resources_start_in_parallel(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    gate = tmp_path / "gate"
    code = f"import pathlib, time\nfor _ in range(300):\n    if pathlib.Path({str(gate)!r}).exists(): break\n    time.sleep(0.02)\n"
    b.add_executable("one", PY, "-c", code)
    b.add_executable("two", PY, "-c", code)
    app = b.build()
    async with app:
        # both are running at the same time, before either can finish
        await app.resource_notifications.wait_for_resource("one", S.RUNNING)
        await app.resource_notifications.wait_for_resource("two", S.RUNNING)
        gate.touch()
        a = await app.resource_notifications.wait_for_resource("one", S.FINISHED)
        c = await app.resource_notifications.wait_for_resource("two", S.FINISHED)
    assert a.exit_code == 0 and c.exit_code == 0


async def test_stop_is_graceful_and_kills_after_grace(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    graceful = script(
        tmp_path,
        "graceful.py",
        "import signal, sys, time\n"
        "def bye(*_):\n    print('got SIGTERM, exiting', flush=True); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\nprint('up', flush=True)\ntime.sleep(60)\n",
    )
    stubborn = script(
        tmp_path,
        "stubborn.py",
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('up', flush=True)\ntime.sleep(60)\n",
    )
    b.add_executable("graceful", PY, graceful)
    b.add_executable("stubborn", PY, stubborn)
    app = b.build()
    app.options.stop_grace_period = 0.5
    async with app:
        for name in ("graceful", "stubborn"):
            with anyio.fail_after(10):
                while not app.resource_loggers.backlog(name):
                    await anyio.sleep(0.02)
    g = app.resource_notifications.get_snapshot("graceful")
    s = app.resource_notifications.get_snapshot("stubborn")
    assert g is not None and g.state_text == S.FINISHED and g.exit_code == 0
    assert "got SIGTERM, exiting" in [line.content for line in app.resource_loggers.backlog("graceful")]
    assert s is not None and s.exit_code == -9


async def test_watch_replays_then_streams_to_every_subscriber(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("job", PY, "-c", "pass")
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource("job", S.FINISHED)
        got: list[list[str]] = [[], []]

        async def sub(i: int) -> None:
            async for u in app.resource_notifications.watch():
                got[i].append(f"{u.resource.name}:{u.snapshot.state_text}")
                if u.snapshot.state_text == "Custom":
                    return

        async with anyio.create_task_group() as tg:
            tg.start_soon(sub, 0)
            tg.start_soon(sub, 1)
            await anyio.sleep(0.05)
            app.resource_notifications.publish_update("job", lambda s: s.with_state("Custom", aspyre.StateStyle.INFO))
    assert got[0] == got[1] == ["job:Finished", "job:Custom"]


async def test_docker_unreachable_marks_containers_and_runs_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    b = make_builder(tmp_path)
    b.add_container("cache", "redis", "7").with_endpoint(target_port=6379, name="tcp")
    b.add_executable("job", PY, "-c", "print('still runs')")
    app = b.build()
    app.options.container_runtime_timeout = 2
    with anyio.fail_after(30):
        async with app:
            snap = await app.resource_notifications.wait_for_resource("cache", S.RUNTIME_UNHEALTHY)
            job = await app.resource_notifications.wait_for_resource("job", S.FINISHED)
    assert snap.state_text == S.RUNTIME_UNHEALTHY
    assert job.exit_code == 0
    lines = " ".join(line.content for line in app.resource_loggers.backlog("cache"))
    assert "Docker" in lines or "docker" in lines


async def test_a_child_process_starts_after_its_parent_and_stops_with_it(tmp_path: Path) -> None:
    import attrs

    @attrs.define(eq=False, repr=False)
    class Sidecar(aspyre.ExecutableResource, aspyre.IResourceWithParent):
        parent: aspyre.IResource = attrs.field(kw_only=True)

    b = make_builder(tmp_path)
    main = b.add_executable("main", PY, "-c", "import time; print('main up', flush=True); time.sleep(60)")
    side = Sidecar("side", command=PY, working_dir=tmp_path, parent=main.resource)
    b.add_resource(side).with_args("-c", "import time; print('side up', flush=True); time.sleep(60)")
    app = b.build()
    async with app:
        s = await app.resource_notifications.wait_for_resource("side", S.RUNNING)
        m = app.resource_notifications.get_snapshot("main")
        assert m is not None and m.start_time_stamp is not None and s.start_time_stamp is not None
        assert m.start_time_stamp <= s.start_time_stamp
        await app.stop_resource("main")
        stopped = await app.resource_notifications.wait_for_resource("side", S.FINISHED)
    assert stopped.state_text == S.FINISHED


async def test_a_composed_connection_string_resolves_once_its_resources_run(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    api = b.add_executable("api", PY, "-c", "import time; time.sleep(60)").with_http_endpoint(env="PORT")
    conn = b.add_connection_string(
        "api-conn", aspyre.ReferenceExpression.format("Endpoint={};Mode=test", api.get_endpoint("http"))
    )
    out = tmp_path / "conn.txt"
    b.add_executable(
        "client",
        PY,
        "-c",
        f"import os, pathlib; pathlib.Path({str(out)!r}).write_text(os.environ['ConnectionStrings__api-conn'])",
    ).with_reference(conn).wait_for(conn)
    app = b.build()
    async with app:
        snap = await app.resource_notifications.wait_for_resource("api-conn", S.RUNNING)
        await app.resource_notifications.wait_for_resource("client", S.FINISHED)
        url = app.get_endpoint("api")
    assert out.read_text() == f"Endpoint={url};Mode=test"
    assert snap.property_value("resource.connectionString") == f"Endpoint={url};Mode=test"
    assert connection_string_is_sensitive(snap)


def connection_string_is_sensitive(snap: aspyre.ResourceSnapshot) -> bool:
    """The connection string is marked sensitive in the snapshot."""
    return any(p.name == "resource.connectionString" and p.is_sensitive for p in snap.properties)
