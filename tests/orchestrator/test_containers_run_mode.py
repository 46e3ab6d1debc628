"""Run mode with real containers: name resolution proved by traffic, persistent reuse, orphan cleanup."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.docker]

PY = sys.executable
IMAGE = ("redis", "7")


def make_builder(tmp_path: Path, name: str = "apphost.py") -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / name)


def _by_label(client: Any, key: str, value: str) -> list[Any]:
    """The containers with that label. Other app hosts (other test runs on this engine) remove theirs at
    any moment: listing again when one goes between the listing and its inspection."""
    import docker.errors

    for _ in range(20):
        try:
            return list(client.containers.list(all=True, filters={"label": f"{key}={value}"}))
        except docker.errors.NotFound:
            continue
    raise AssertionError(f"containers labelled {key}={value} kept vanishing while listed")


@pytest.mark.anyio
async def test_container_to_container_and_host_to_container_traffic(tmp_path: Path, app_host: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_container("cache", *IMAGE).with_endpoint(target_port=6379, name="tcp", scheme="tcp")
    ep = cache.get_endpoint("tcp")
    probe = (
        b.add_container("probe", *IMAGE)
        .with_entrypoint("/bin/sh")
        .with_args("-c", 'redis-cli -h "$H" -p "$P" set via ok && redis-cli -h "$H" -p "$P" get via')
        .with_environment("H", ep.property(aspyre.EndpointProperty.HOST))
        .with_environment("P", ep.property(aspyre.EndpointProperty.PORT))
        .wait_for(cache)
    )
    host = (
        b.add_executable(
            "host",
            PY,
            "-c",
            "import os, redis; c = redis.Redis.from_url(os.environ['URL']); print(c.get('via').decode())",
        )
        .with_environment(
            "URL", aspyre.ReferenceExpression.format("redis://{}", ep.property(aspyre.EndpointProperty.HOST_AND_PORT))
        )
        .wait_for_completion(probe)
    )
    app = b.build()
    with anyio.fail_after(60):
        async with app:
            psnap = await app.resource_notifications.wait_for_resource(probe.resource, S.EXITED)
            hsnap = await app.resource_notifications.wait_for_resource(host.resource, S.FINISHED)
            host_env = {e.name: e.value for e in hsnap.environment_variables}
            probe_env = {e.name: e.value for e in psnap.environment_variables if not e.name.startswith("OTEL_")}
    # a container sees the other by resource name and target port; the host sees 127.0.0.1 and the host port
    assert probe_env == {"H": "cache", "P": "6379"}
    assert host_env["URL"] == f"redis://127.0.0.1:{ep.port}"
    assert psnap.exit_code == 0
    assert [line.content for line in app.resource_loggers.backlog("probe")] == ["OK", "ok"]
    assert hsnap.exit_code == 0
    assert [line.content for line in app.resource_loggers.backlog("host")] == ["ok"]


def _networks_of(client: Any, container_id: str) -> list[str]:
    return sorted(client.api.inspect_container(container_id)["NetworkSettings"]["Networks"])


@pytest.mark.anyio
async def test_the_session_network_is_made_only_when_a_container_reaches_another(
    tmp_path: Path, app_host: Path, docker_client: Any
) -> None:
    """No container reaches another: all on the default bridge, no network. Then a container whose environment
    callback names the (running) cache: the cache is connected to the session network, and reached by name."""
    import docker.errors

    b = make_builder(tmp_path)
    cache = b.add_container("cache", *IMAGE).with_endpoint(target_port=6379, name="tcp", scheme="tcp")
    b.add_container("alone", *IMAGE).with_endpoint(target_port=6379, name="tcp", scheme="tcp")
    host = cache.get_endpoint("tcp").property(aspyre.EndpointProperty.HOST)

    def environment(context: aspyre.annotations.EnvironmentCallbackContext) -> None:
        context.environment["H"] = host  # hidden from the model until the callback runs

    (
        b.add_container("late", *IMAGE)
        .with_entrypoint("/bin/sh")
        .with_args("-c", 'redis-cli -h "$H" -p 6379 ping')
        .with_environment(environment)
        .with_explicit_start()
    )
    app = b.build()
    with anyio.fail_after(90):
        async with app:
            notifications = app.resource_notifications
            csnap = await notifications.wait_for_resource("cache", S.RUNNING)
            asnap = await notifications.wait_for_resource("alone", S.RUNNING)
            cache_id, alone_id = str(csnap.property_value("container.id")), str(asnap.property_value("container.id"))
            network = f"{app._orch()._executor.runtime.session_network_name}"
            assert _networks_of(docker_client, cache_id) == ["bridge"]
            assert _networks_of(docker_client, alone_id) == ["bridge"]
            with pytest.raises(docker.errors.NotFound):
                docker_client.api.inspect_network(network)

            await app.start_resource("late")
            lsnap = await notifications.wait_for_resource("late", S.EXITED)
            assert lsnap.exit_code == 0, [line.content for line in app.resource_loggers.backlog("late")]
            assert [line.content for line in app.resource_loggers.backlog("late")] == ["PONG"]
            assert _networks_of(docker_client, cache_id) == sorted(["bridge", network])
            aliases = docker_client.api.inspect_container(cache_id)["NetworkSettings"]["Networks"][network]["Aliases"]
            assert "cache" in aliases
            assert _networks_of(docker_client, alone_id) == ["bridge"]  # still nothing reaches it
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_network(network)


def _run_persistent(tmp_path: Path, value: str) -> tuple[str, bool]:
    async def main() -> tuple[str, bool]:
        b = make_builder(tmp_path)
        (
            b.add_container("keeper", *IMAGE)
            .with_endpoint(target_port=6379, name="tcp")
            .with_lifetime(aspyre.ContainerLifetime.PERSISTENT)
            .with_environment("MARK", value)
        )
        app = b.build()
        with anyio.fail_after(60):
            async with app:
                snap = await app.resource_notifications.wait_for_resource("keeper", S.RUNNING)
                reused = any(
                    "Reusing persistent container" in line.content for line in app.resource_loggers.backlog("keeper")
                )
        return str(snap.property_value("container.id")), reused

    return anyio.run(main)


def test_persistent_container_is_reused_then_recreated_when_its_configuration_changes(
    tmp_path: Path, app_host: Path, docker_client: Any
) -> None:
    first, reused_first = _run_persistent(tmp_path, "a")
    # the app stopped, the persistent container did not
    assert docker_client.containers.get(first).status == "running"
    second, reused_second = _run_persistent(tmp_path, "a")
    third, reused_third = _run_persistent(tmp_path, "b")
    assert not reused_first
    assert (second, reused_second) == (first, True)
    assert third != first and not reused_third
    names = [c.name for c in _by_label(docker_client, "aspyre.app-host", str(tmp_path / "apphost.py"))]
    assert len(names) == 1 and names[0].startswith("keeper-")


def _running(client: Any, container_id: str) -> bool:
    return bool(client.api.inspect_container(container_id)["State"]["Running"])


async def _redis_ready(app: aspyre.DistributedApplication, name: str, runs: int = 1) -> None:
    """Until the server's run number *runs* logged that it accepts connections (it handles SIGTERM from then on)."""
    seen = 0
    async for line in app.resource_loggers.watch(name):
        seen += "Ready to accept connections" in line.content
        if seen >= runs:
            return


@pytest.mark.anyio
async def test_the_stop_command_stops_a_persistent_container_and_start_starts_it_again(
    tmp_path: Path, app_host: Path, docker_client: Any
) -> None:
    def keeper_app() -> aspyre.DistributedApplication:
        b = make_builder(tmp_path)
        (
            b.add_container("keeper", *IMAGE)
            .with_endpoint(target_port=6379, name="tcp")
            .with_lifetime(aspyre.ContainerLifetime.PERSISTENT)
        )
        return b.build()

    app = keeper_app()
    app.options.stop_grace_period = 5
    watch = app.resource_notifications
    with anyio.fail_after(90):
        async with app:
            first = await watch.wait_for_resource("keeper", S.RUNNING)
            container_id = str(first.property_value("container.id"))
            url = app.get_endpoint("keeper", "tcp")
            await _redis_ready(app, "keeper")

            await app.execute_command("keeper", "stop")
            stopped = watch.get_snapshot("keeper")
            assert stopped is not None and stopped.state_text == S.EXITED
            assert not _running(docker_client, container_id)  # really stopped, not only detached
            assert stopped.exit_code == 0
            started_at = docker_client.api.inspect_container(container_id)["State"]["StartedAt"]

            await app.start_resource("keeper")
            again = await watch.wait_for_resource("keeper", S.RUNNING)
            assert again.property_value("container.id") == container_id  # kept and started again
            assert _running(docker_client, container_id)
            assert app.get_endpoint("keeper", "tcp") == url
            log = [line.content for line in app.resource_loggers.backlog("keeper")]
            assert any(
                f"Starting again persistent container {again.property_value('container.name')}" in x for x in log
            )

            await _redis_ready(app, "keeper", runs=2)
            restarted_at = docker_client.api.inspect_container(container_id)["State"]["StartedAt"]
            assert restarted_at != started_at
            await app.execute_command("keeper", "restart")
            await watch.wait_for_resource("keeper", S.RUNNING)
            # the restart really restarted it (a new run of the same container), not only re-attached
            state = docker_client.api.inspect_container(container_id)["State"]
            assert state["Running"] and state["StartedAt"] != restarted_at
    # the app's own shutdown leaves it running
    assert _running(docker_client, container_id)

    # stopped while no app host runs: the next run starts the same container again, on the same port
    docker_client.api.stop(container_id, timeout=5)
    app = keeper_app()
    with anyio.fail_after(60):
        async with app:
            snap = await app.resource_notifications.wait_for_resource("keeper", S.RUNNING)
            assert snap.property_value("container.id") == container_id
            assert app.get_endpoint("keeper", "tcp") == url
            log = [line.content for line in app.resource_loggers.backlog("keeper")]
            assert any("Starting again persistent container" in x for x in log), log


@pytest.mark.anyio
async def test_a_forced_stop_kills_session_containers_and_leaves_persistent_ones_running(
    tmp_path: Path, app_host: Path, docker_client: Any
) -> None:
    b = make_builder(tmp_path)
    b.add_container("keeper", *IMAGE).with_lifetime(aspyre.ContainerLifetime.PERSISTENT)
    # sh as pid 1 ignores SIGTERM: only the forced stop ends it before the (long) grace period
    b.add_container("stubborn", *IMAGE).with_entrypoint("/bin/sh").with_args("-c", "echo up; while :; do sleep 1; done")
    app = b.build()
    app.options.stop_grace_period = 60
    watch = app.resource_notifications
    with anyio.fail_after(90):
        async with app:
            keeper = await watch.wait_for_resource("keeper", S.RUNNING)
            stubborn = await watch.wait_for_resource("stubborn", S.RUNNING)
            app._orch().request_stop(force=True)  # what a second Ctrl-C does
            killed = await watch.wait_for_resource("stubborn", S.EXITED)
    assert killed.exit_code == 137
    assert _running(docker_client, str(keeper.property_value("container.id")))
    assert all(
        c.id != stubborn.property_value("container.id") for c in _by_label(docker_client, "aspyre.resource", "stubborn")
    )


#: Both app hosts run as if on a machine of the test's own (its host name in the owner labels): the sweep of
#: any other app host starting meanwhile on this engine (another test run) leaves their objects alone, so the
#: dead one's are still there after the kill, and the next app host here is the one that removes them.
APPHOST = """
import socket
socket.gethostname = lambda: {machine!r}
import aspyre
builder = aspyre.DistributedApplication.create_builder()
cache = builder.add_container("{name}", "redis", "7").with_endpoint(target_port=6379, name="tcp").with_volume("/data")
cache.with_container_network_alias("{name}-kv")  # an alias: on the session network, so the run makes one
builder.build().run()
"""


def _start_app_host(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PY, str(path)], cwd=path.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


async def _sweep_as_an_app_host_of_this_machine(app_host: Path) -> list[str]:
    from aspyre._orchestrator._docker import ContainerRuntime

    runtime = ContainerRuntime(session_id=uuid.uuid4().hex, app_host_path=app_host)
    try:
        return await runtime.sweep_orphans()
    finally:
        await runtime.close()


def _wait_for(predicate: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_sigkilled_app_host_leaks_nothing_beyond_the_next_start(
    tmp_path: Path, app_host: Path, docker_client: Any
) -> None:
    machine = f"{socket.gethostname()}-test-{uuid.uuid4().hex[:12]}"
    first = tmp_path / "apphost.py"
    first.write_text(APPHOST.format(name="victim", machine=machine))
    proc = _start_app_host(first)
    try:
        _wait_for(
            lambda: any(
                c.status == "running"
                for c in _by_label(docker_client, "aspyre.resource", "victim")
                if c.labels.get("aspyre.app-host") == str(first)
            ),
            "the first app host's container",
        )
        victims = [c for c in _by_label(docker_client, "aspyre.app-host", str(first))]
        session = victims[0].labels["aspyre.session-id"]
        assert victims[0].labels["aspyre.owner-pid"] == str(proc.pid)
        assert victims[0].labels["aspyre.owner-host"] == machine
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # what any app host starting meanwhile on this machine does (another test run): not its machine's objects
    anyio.run(_sweep_as_an_app_host_of_this_machine, app_host)
    # killed hard: its container, network and anonymous volume are still there
    leftovers = _by_label(docker_client, "aspyre.session-id", session)
    assert leftovers, "the SIGKILLed app host left nothing behind, so this test proves nothing"
    volumes = [m["Name"] for m in leftovers[0].attrs["Mounts"] if m["Type"] == "volume"]
    assert volumes
    assert docker_client.networks.list(filters={"label": f"aspyre.session-id={session}"})

    # the next app host (a different one: any app host sweeps dead sessions) cleans it up at start
    second = tmp_path / "other" / "apphost.py"
    second.parent.mkdir()
    second.write_text(APPHOST.format(name="survivor", machine=machine))
    proc2 = _start_app_host(second)
    try:
        _wait_for(
            lambda: any(c.status == "running" for c in _by_label(docker_client, "aspyre.app-host", str(second))),
            "the second app host's container",
        )
        # (swept in the background while the second app host starts)
        _wait_for(lambda: _by_label(docker_client, "aspyre.session-id", session) == [], "the dead container to go")
        _wait_for(
            lambda: docker_client.networks.list(filters={"label": f"aspyre.session-id={session}"}) == [],
            "the dead network to go",
        )
        _wait_for(
            lambda: not (set(volumes) & {v.name for v in docker_client.volumes.list()}), "the dead volume to go"
        )
        proc2.send_signal(signal.SIGTERM)
        out, _ = proc2.communicate(timeout=60)
        assert proc2.returncode == 0, out
    finally:
        if proc2.poll() is None:
            proc2.kill()
            proc2.wait()
        for c in _by_label(docker_client, "aspyre.app-host", str(second)):
            c.remove(force=True, v=True)
    # a clean stop leaves nothing either
    assert _by_label(docker_client, "aspyre.app-host", str(second)) == []


@pytest.mark.anyio
async def test_stopping_a_persistent_container_while_it_starts_stops_it(
    tmp_path: Path, app_host: Path, docker_client: Any
) -> None:
    """The Stop command, coming while the Start command's run has not followed the container yet."""

    def keeper_app() -> aspyre.DistributedApplication:
        b = make_builder(tmp_path)
        (
            b.add_container("keeper", *IMAGE)
            .with_lifetime(aspyre.ContainerLifetime.PERSISTENT)
            .with_explicit_start()
        )
        app = b.build()
        app.options.stop_grace_period = 5
        return app

    app = keeper_app()
    with anyio.fail_after(90):
        async with app:
            await app.start_resource("keeper")
            snap = await app.resource_notifications.wait_for_resource("keeper", S.RUNNING)
            container_id = str(snap.property_value("container.id"))
            await _redis_ready(app, "keeper")
        assert _running(docker_client, container_id)  # left running by the app's stop

        app = keeper_app()
        async with app:
            await app.start_resource("keeper")  # returns at Starting: nothing is followed yet
            await app.stop_resource("keeper")
            snap = app.resource_notifications.get_snapshot("keeper")
            assert snap is not None and snap.state_text == S.EXITED
            assert not _running(docker_client, container_id)  # the snapshot tells the truth
