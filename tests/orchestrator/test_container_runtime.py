"""The run-mode container runtime against a real Docker engine (no mocks).

Every test uses its own app host path; the ``app_host`` fixture removes whatever is still labelled with
it afterwards, so a failing test leaks nothing either.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest
import redis

from aspyre import ContainerImagePullPolicy, ContainerLifetime
from aspyre._model._runargs import parse_runtime_args
from aspyre._orchestrator._docker import (
    ContainerExitUnknown,
    ContainerImageUnavailable,
    ContainerRuntime,
    ContainerRuntimeUnavailable,
)
from aspyre._orchestrator._docker._owner import (
    LABEL_OWNER_HOST,
    LABEL_OWNER_PID,
    LABEL_OWNER_START_TIME,
    owner_alive,
    process_start_time,
)
from aspyre._orchestrator._output import MAX_LINE
from aspyre._orchestrator._specs import ContainerSpec, MountSpec, PortSpec

REDIS = "docker.io/library/redis:7"
#: /bin/sh stays pid 1 and ignores SIGTERM (no handler): only SIGKILL stops it.
SH_IGNORING_TERM = ("/bin/sh", ("-c", "echo up; while :; do sleep 1; done"))
#: /bin/sh with a TERM handler: exits 42 on SIGTERM.
SH_TRAPPING_TERM = ("/bin/sh", ("-c", "trap 'echo got-term; exit 42' TERM; echo up; while :; do sleep 0.1; done"))


# ------------------------------------------------------------------------------------------ fixtures


def _runtime(app_host: Path, **kwargs: Any) -> ContainerRuntime:
    return ContainerRuntime(session_id=uuid.uuid4().hex, app_host_path=app_host, **kwargs)


class Lines:
    """Collects on_log output and lets a test wait for a line."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bool]] = []
        self.threads: set[int] = set()
        self._changed = anyio.Event()

    def __call__(self, line: str, is_stderr: bool) -> None:
        self.threads.add(threading.get_ident())
        self.items.append((line, is_stderr))
        self._changed.set()
        self._changed = anyio.Event()

    def text(self) -> str:
        return "\n".join(line for line, _ in self.items)

    async def wait_for(self, fragment: str) -> None:
        with anyio.fail_after(30):
            while not any(fragment in line for line, _ in self.items):
                await self._changed.wait()


def _monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("aspyre-container-") and t.is_alive()]


def _ping(port: int) -> bool:
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False
    finally:
        client.close()


async def _wait_for_redis(port: int) -> redis.Redis:
    for _ in range(600):
        if await anyio.to_thread.run_sync(_ping, port):
            break
        await anyio.sleep(0.05)
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, decode_responses=True)


# ------------------------------------------------------------------------------- session containers


@pytest.mark.docker
@pytest.mark.anyio
async def test_redis_on_a_published_loopback_port_with_logs(app_host: Path, docker_client: Any) -> None:
    import docker.errors

    runtime = _runtime(app_host)
    await runtime.connect()
    lines = Lines()
    handle = await runtime.start_container(ContainerSpec("cache", REDIS, ports=(PortSpec(6379),)), lines)
    try:
        assert not handle.reused
        assert not handle.persistent
        assert handle.name.startswith("cache-")
        assert len(handle.name) == len("cache-") + 8
        port = handle.host_ports[(6379, "tcp")]
        client = await _wait_for_redis(port)
        client.set("greeting", "hello")
        assert client.get("greeting") == "hello"
        client.close()
        await lines.wait_for("Ready to accept connections")
        assert lines.threads == {threading.get_ident()}, "on_log must be called on the event loop thread"

        attrs = docker_client.api.inspect_container(handle.id)
        bindings = attrs["HostConfig"]["PortBindings"]["6379/tcp"]
        assert [b["HostIp"] for b in bindings] == ["127.0.0.1"]
        labels = attrs["Config"]["Labels"]
        assert labels["aspyre.session-id"] == runtime.session_id
        assert labels["aspyre.resource"] == "cache"
        assert labels["aspyre.app-host"] == str(app_host)
        assert labels["aspyre.lifetime"] == "session"
        assert labels[LABEL_OWNER_PID] == str(os.getpid())
        # Nothing reaches it by name: on the engine's default bridge, and no session network was made.
        assert list(attrs["NetworkSettings"]["Networks"]) == ["bridge"]
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_network(runtime.session_network_name)
        assert not runtime.on_session_network(handle)
        # Once something is to reach it by name, the running container joins the session network.
        await runtime.join_network("cache")
        networks = docker_client.api.inspect_container(handle.id)["NetworkSettings"]["Networks"]
        assert "cache" in networks[runtime.session_network_name]["Aliases"]
        assert runtime.on_session_network(handle)
        anonymous = [m["Name"] for m in attrs["Mounts"] if m["Type"] == "volume"]
        assert anonymous, "redis declares VOLUME /data"
        for name in anonymous:
            assert docker_client.api.inspect_volume(name)["Labels"]["aspyre.volume-kind"] == "anonymous"
        with pytest.raises(ValueError, match="session lifetime"):
            await runtime.detach(handle)  # a session container is never left behind
    finally:
        await runtime.stop(handle, grace=5)
    assert await runtime.wait(handle) == 0
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_container(handle.id)
    for name in anonymous:
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_volume(name)
    await runtime.close()
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_network(runtime.session_network_name)
    assert _monitor_threads() == []


@pytest.mark.docker
@pytest.mark.anyio
async def test_containers_reach_each_other_by_name_and_alias(app_host: Path) -> None:
    runtime = _runtime(app_host)
    await runtime.connect()
    server = await runtime.start_container(ContainerSpec("cache", REDIS, network_aliases=("kv",)), Lines())
    assert runtime.on_session_network(server)  # aliases of its own: on the session network from the start
    await runtime.join_network("probe")
    try:
        for host in ("kv", runtime.container_address("cache", 6379)[0]):
            lines = Lines()
            probe = ContainerSpec(
                "probe",
                REDIS,
                entrypoint="/bin/sh",
                args=(
                    "-c",
                    f"i=0; while [ $i -lt 100 ]; do redis-cli -h {host} -p 6379 ping && exit 0; "
                    "i=$((i+1)); sleep 0.1; done; exit 1",
                ),
            )
            client = await runtime.start_container(probe, lines)
            code = await runtime.wait(client)
            await runtime.stop(client, grace=1)
            assert code == 0, lines.text()
            assert ("PONG", False) in lines.items
    finally:
        await runtime.stop(server, grace=5)
        await runtime.close()
    assert runtime.container_address("cache", 6379) == ("cache", 6379)
    assert ContainerRuntime.host_gateway_name() == "host.docker.internal"


@pytest.mark.docker
@pytest.mark.anyio
async def test_a_running_container_found_as_a_peer_later_is_reached_by_name(app_host: Path, docker_client: Any) -> None:
    """A container started on the default bridge (nothing reached it then) joins the session network once a
    later container turns out to reach it: the later one resolves it by its resource name."""
    runtime = _runtime(app_host)
    await runtime.connect()
    server = await runtime.start_container(ContainerSpec("lonely", REDIS), Lines())
    try:
        assert not runtime.on_session_network(server)
        assert list(docker_client.api.inspect_container(server.id)["NetworkSettings"]["Networks"]) == ["bridge"]
        await runtime.join_network("late-probe", "lonely")
        assert runtime.on_session_network(server)
        lines = Lines()
        probe = ContainerSpec(
            "late-probe",
            REDIS,
            entrypoint="/bin/sh",
            args=(
                "-c",
                "i=0; while [ $i -lt 100 ]; do redis-cli -h lonely -p 6379 ping && exit 0; "
                "i=$((i+1)); sleep 0.1; done; exit 1",
            ),
        )
        client = await runtime.start_container(probe, lines)
        assert runtime.on_session_network(client)
        code = await runtime.wait(client)
        await runtime.stop(client, grace=1)
        assert code == 0, lines.text()
        assert ("PONG", False) in lines.items
    finally:
        await runtime.stop(server, grace=5)
        await runtime.close()
    import docker.errors

    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_network(runtime.session_network_name)


@pytest.mark.docker
@pytest.mark.anyio
async def test_stdout_and_stderr_are_separated_and_partial_lines_flushed(app_host: Path) -> None:
    runtime = _runtime(app_host)
    lines = Lines()
    spec = ContainerSpec(
        "talker",
        REDIS,
        entrypoint="/bin/sh",
        args=(
            "-c",
            "echo out-1; echo err-1 >&2; printf 'crlf\\r\\n'; "
            f"head -c {MAX_LINE + 10} /dev/zero | tr '\\0' x; echo; printf 'no-newline'; exit 3",
        ),
    )
    handle = await runtime.start_container(spec, lines)
    try:
        assert await runtime.wait(handle) == 3
        assert handle.exit_code == 3
    finally:
        await runtime.stop(handle, grace=1)
        await runtime.close()
    assert ("out-1", False) in lines.items
    assert ("err-1", True) in lines.items
    assert ("crlf", False) in lines.items
    assert ("no-newline", False) in lines.items
    # a line longer than the limit (the same for processes) is cut into pieces
    assert ("x" * MAX_LINE, False) in lines.items
    assert ("x" * 10, False) in lines.items


@pytest.mark.docker
@pytest.mark.anyio
async def test_output_is_followed_across_restarts_by_a_restart_policy(app_host: Path) -> None:
    runtime = _runtime(app_host)
    lines = Lines()
    spec = ContainerSpec(
        "flaky",
        REDIS,
        entrypoint="/bin/sh",
        args=("-c", "echo run; sleep 0.3; exit 1"),
        runtime_args=("--restart", "on-failure:2"),
    )
    handle = await runtime.start_container(spec, lines)
    try:
        assert await runtime.wait(handle) == 1  # the exit after the last retry
        assert [line for line, _ in lines.items] == ["run", "run", "run"]
    finally:
        await runtime.stop(handle, grace=1)
        await runtime.close()


@pytest.mark.docker
@pytest.mark.anyio
async def test_stop_honours_the_grace_period_and_removes_anonymous_volumes(app_host: Path, docker_client: Any) -> None:
    import docker.errors

    runtime = _runtime(app_host)
    try:
        # sh as pid 1 without a handler ignores SIGTERM: stop() must SIGKILL it once the grace period is over.
        ignoring = Lines()
        entrypoint, args = SH_IGNORING_TERM
        stubborn = await runtime.start_container(
            ContainerSpec("stubborn", REDIS, entrypoint=entrypoint, args=args), ignoring
        )
        await ignoring.wait_for("up")
        volumes = [
            m["Name"] for m in docker_client.api.inspect_container(stubborn.id)["Mounts"] if m["Type"] == "volume"
        ]
        assert volumes
        await runtime.stop(stubborn, grace=1)
        assert await runtime.wait(stubborn) == 137  # 128 + SIGKILL
        for name in volumes:
            with pytest.raises(docker.errors.NotFound):
                docker_client.api.inspect_volume(name)

        # with a handler, SIGTERM arrives first and the container exits by itself within the grace period.
        trapping = Lines()
        entrypoint, args = SH_TRAPPING_TERM
        polite = await runtime.start_container(
            ContainerSpec("polite", REDIS, entrypoint=entrypoint, args=args), trapping
        )
        await trapping.wait_for("up")
        await runtime.stop(polite, grace=30)
        assert await runtime.wait(polite) == 42
        assert ("got-term", False) in trapping.items
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_container(polite.id)
    finally:
        await runtime.close()


@pytest.mark.docker
@pytest.mark.anyio
async def test_wait_is_cancellable_and_close_removes_what_is_left(app_host: Path, docker_client: Any) -> None:
    import docker.errors

    runtime = _runtime(app_host)
    entrypoint, args = SH_TRAPPING_TERM
    lines = Lines()
    handle = await runtime.start_container(ContainerSpec("sleeper", REDIS, entrypoint=entrypoint, args=args), lines)
    await lines.wait_for("up")
    threads_before = threading.active_count()
    with anyio.move_on_after(0.3) as scope:
        await runtime.wait(handle)
    assert scope.cancelled_caught
    assert threading.active_count() == threads_before  # waiting used no thread
    assert docker_client.api.inspect_container(handle.id)["State"]["Running"]
    assert len(_monitor_threads()) == 1

    await runtime.close()  # without stop(): close removes the session container, its network and stops following
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_container(handle.id)
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_network(runtime.session_network_name)
    assert _monitor_threads() == []
    assert handle.exit_code == 137


# ------------------------------------------------------------------------------- mounts and run args


@pytest.mark.docker
@pytest.mark.anyio
async def test_bind_mount_and_named_volume(app_host: Path, tmp_path: Path, docker_client: Any) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "hello.txt").write_text("hello from the host\n")
    volume = f"aspyre-test-{uuid.uuid4().hex[:12]}"
    mounts = (
        MountSpec("bind", str(source), "/mnt/in", read_only=True),
        MountSpec("volume", volume, "/mnt/data"),
    )
    runtime = _runtime(app_host)
    try:
        writer_lines = Lines()
        writer = await runtime.start_container(
            ContainerSpec(
                "writer",
                REDIS,
                entrypoint="/bin/sh",
                args=(
                    "-c",
                    "cat /mnt/in/hello.txt; echo kept > /mnt/data/f; "
                    "touch /mnt/in/new 2>/dev/null && echo writable || echo read-only",
                ),
                mounts=mounts,
            ),
            writer_lines,
        )
        assert await runtime.wait(writer) == 0, writer_lines.text()
        await runtime.stop(writer, grace=1)
        assert ("hello from the host", False) in writer_lines.items
        assert ("read-only", False) in writer_lines.items
        assert not (source / "new").exists()

        labels = docker_client.api.inspect_volume(volume)["Labels"]
        assert labels["aspyre.volume-kind"] == "named"
        assert labels["aspyre.lifetime"] == "persistent"  # never swept

        reader_lines = Lines()
        reader = await runtime.start_container(
            ContainerSpec("reader", REDIS, entrypoint="/bin/sh", args=("-c", "cat /mnt/data/f"), mounts=mounts),
            reader_lines,
        )
        assert await runtime.wait(reader) == 0
        await runtime.stop(reader, grace=1)
        assert ("kept", False) in reader_lines.items
        assert docker_client.api.inspect_volume(volume)["Name"] == volume  # named volumes outlive containers
    finally:
        await runtime.close()

    with pytest.raises(ValueError, match="absolute host path"):
        await _runtime(app_host).start_container(
            ContainerSpec("bad", REDIS, mounts=(MountSpec("bind", "relative/dir", "/x"),)), Lines()
        )


@pytest.mark.docker
@pytest.mark.anyio
async def test_runtime_args_are_mapped(app_host: Path, docker_client: Any) -> None:
    runtime = _runtime(app_host)
    spec = ContainerSpec(
        "limited",
        REDIS,
        runtime_args=(
            "--label",
            "team=data",
            "--memory=64m",
            "--cpus",
            "0.5",
            "--add-host=db.internal:10.1.2.3",
            "--init",
            "-w",
            "/tmp",
            "--tmpfs",
            "/scratch:size=1m",
        ),
        labels={"extra": "yes"},
        extra_hosts={"host.docker.internal": "host-gateway"},
    )
    handle = await runtime.start_container(spec, Lines())
    try:
        attrs = docker_client.api.inspect_container(handle.id)
        assert attrs["Config"]["Labels"]["team"] == "data"
        assert attrs["Config"]["Labels"]["extra"] == "yes"
        assert attrs["HostConfig"]["Memory"] == 64 * 1024 * 1024
        assert attrs["HostConfig"]["NanoCpus"] == 500_000_000
        assert attrs["HostConfig"]["Init"] is True
        assert attrs["Config"]["WorkingDir"] == "/tmp"
        assert attrs["HostConfig"]["Tmpfs"] == {"/scratch": "size=1m"}
        assert "db.internal:10.1.2.3" in attrs["HostConfig"]["ExtraHosts"]
        assert "host.docker.internal:host-gateway" in attrs["HostConfig"]["ExtraHosts"]
    finally:
        await runtime.stop(handle, grace=5)
        await runtime.close()

    with pytest.raises(ValueError, match="--frobnicate"):
        await _runtime(app_host).start_container(ContainerSpec("bad", REDIS, runtime_args=("--frobnicate",)), Lines())


def test_runtime_args_parser() -> None:
    options = parse_runtime_args(
        [
            "-m",
            "1g",
            "--user=999:999",
            "--restart",
            "on-failure:3",
            "--cap-add",
            "NET_ADMIN",
            "--cap-add=SYS_TIME",
            "--privileged",
            "--shm-size=256m",
            "--hostname",
            "box",
            "--read-only=false",
            "--ulimit",
            "nofile=1024:2048",
            "--sysctl",
            "net.core.somaxconn=1024",
            "-l",
            "a=b",
        ]
    )
    assert options.kwargs["mem_limit"] == "1g"
    assert options.kwargs["user"] == "999:999"
    assert options.kwargs["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert options.kwargs["cap_add"] == ["NET_ADMIN", "SYS_TIME"]
    assert options.kwargs["privileged"] is True
    assert options.kwargs["shm_size"] == "256m"
    assert options.kwargs["hostname"] == "box"
    assert options.kwargs["read_only"] is False
    assert options.kwargs["ulimits"][0]["Soft"] == 1024
    assert options.kwargs["ulimits"][0]["Hard"] == 2048
    assert options.kwargs["sysctls"] == {"net.core.somaxconn": "1024"}
    assert options.labels == {"a": "b"}

    with pytest.raises(ValueError, match="with_environment"):
        parse_runtime_args(["-e", "A=1"], resource_name="api")
    with pytest.raises(ValueError, match="with_endpoint"):
        parse_runtime_args(["-p", "80:80"])
    with pytest.raises(ValueError, match="--tty"):
        parse_runtime_args(["--tty"])
    with pytest.raises(ValueError, match=r"--bogus.*'api'"):
        parse_runtime_args(["--bogus=1"], resource_name="api")
    with pytest.raises(ValueError, match="needs a value"):
        parse_runtime_args(["--memory"])
    with pytest.raises(ValueError, match="size"):
        parse_runtime_args(["--memory=lots"])
    with pytest.raises(ValueError, match="reserved"):
        parse_runtime_args(["--label", "aspyre.session-id=x"])
    with pytest.raises(ValueError, match="with_args"):
        parse_runtime_args(["redis-server"])


# ------------------------------------------------------------------------------------------ images


@pytest.mark.docker
@pytest.mark.anyio
async def test_missing_image_is_reported_with_its_name(app_host: Path, docker_client: Any) -> None:
    image = "docker.io/library/aspyre-no-such-image:1.2.3"
    runtime = _runtime(app_host)
    try:
        with pytest.raises(ContainerImageUnavailable, match=re.escape("aspyre-no-such-image:1.2.3")) as caught:
            await runtime.start_container(ContainerSpec("ghost", image), Lines())
        assert caught.value.image == image
        assert "ghost" in str(caught.value)

        with pytest.raises(ContainerImageUnavailable, match="'never'"):
            await runtime.start_container(
                ContainerSpec("ghost", image, pull_policy=ContainerImagePullPolicy.NEVER), Lines()
            )
        assert (
            docker_client.containers.list(all=True, filters={"label": f"aspyre.session-id={runtime.session_id}"}) == []
        )

        # a present image with policy "never" runs without any pull
        handle = await runtime.start_container(
            ContainerSpec("cache", REDIS, pull_policy=ContainerImagePullPolicy.NEVER), Lines()
        )
        await runtime.stop(handle, grace=5)
    finally:
        await runtime.close()


# ------------------------------------------------------------------------------------- engine absent


@pytest.mark.anyio
async def test_unreachable_engine_socket(tmp_path: Path) -> None:
    runtime = ContainerRuntime(
        session_id="s", app_host_path=tmp_path / "apphost.py", docker_host="unix:///nonexistent.sock"
    )
    with anyio.fail_after(30):  # guard against a hang only
        with pytest.raises(ContainerRuntimeUnavailable, match="DOCKER_HOST") as caught:
            await runtime.connect(timeout=2)
        assert "unix:///nonexistent.sock" in str(caught.value)
        assert "podman" in str(caught.value).lower()
        with pytest.raises(ContainerRuntimeUnavailable):
            await runtime.start_container(ContainerSpec("cache", REDIS), Lines())
    await runtime.close()


@pytest.mark.anyio
async def test_engine_that_never_answers_does_not_hang(tmp_path: Path) -> None:
    # A listening socket nobody accepts from: TCP connects, no HTTP answer ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        runtime = ContainerRuntime(
            session_id="s", app_host_path=tmp_path / "a.py", docker_host=f"tcp://127.0.0.1:{port}"
        )
        with anyio.fail_after(30), pytest.raises(ContainerRuntimeUnavailable, match=r"did not answer|Cannot connect"):
            await runtime.connect(timeout=1)
    await runtime.close()


# ------------------------------------------------------------------------------------- persistent


def _persistent(env: dict[str, str] | None = None) -> ContainerSpec:
    return ContainerSpec(
        "pcache",
        REDIS,
        ports=(PortSpec(6379),),
        env=env or {"MODE": "one"},
        lifetime=ContainerLifetime.PERSISTENT,
    )


@pytest.mark.docker
@pytest.mark.anyio
async def test_persistent_container_is_reused_then_recreated(app_host: Path, docker_client: Any) -> None:
    import docker.errors

    first = _runtime(app_host)
    h1 = await first.start_container(_persistent(), Lines())
    assert h1.persistent
    assert not h1.reused
    assert h1.name == f"pcache-{first.app_host_hash}"
    client = await _wait_for_redis(h1.host_ports[(6379, "tcp")])
    client.set("survives", "yes")
    client.close()
    await first.detach(h1)  # left running
    await first.close()
    state = docker_client.api.inspect_container(h1.id)
    assert state["State"]["Running"]
    assert first.session_network_name not in state["NetworkSettings"]["Networks"]
    assert first.persistent_network_name in state["NetworkSettings"]["Networks"]

    second = _runtime(app_host)
    assert second.session_id != first.session_id
    await second.join_network("pcache")  # this session reaches it by name
    h2 = await second.start_container(_persistent(), Lines())
    try:
        assert h2.reused
        assert h2.id == h1.id
        assert h2.host_ports == h1.host_ports
        client = await _wait_for_redis(h2.host_ports[(6379, "tcp")])
        assert client.get("survives") == "yes"  # same process, not restarted
        client.close()
        networks = docker_client.api.inspect_container(h2.id)["NetworkSettings"]["Networks"]
        assert "pcache" in networks[second.session_network_name]["Aliases"]
    finally:
        await second.close()

    third = _runtime(app_host)
    statuses: list[str] = []
    h3 = await third.start_container(_persistent({"MODE": "two"}), Lines(), on_status=statuses.append)
    try:
        assert not h3.reused
        assert h3.id != h1.id
        assert any("configuration changed" in s for s in statuses)
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_container(h1.id)
        await third.detach(h3)  # left running: aspyre stops following it
        with pytest.raises(ContainerExitUnknown):
            await third.wait(h3)
        assert docker_client.api.inspect_container(h3.id)["State"]["Running"]
    finally:
        await third.close()


@pytest.mark.docker
@pytest.mark.anyio
async def test_a_stopped_persistent_container_is_kept_and_started_again_while_unchanged(
    app_host: Path, docker_client: Any
) -> None:
    import docker.errors

    first = _runtime(app_host)
    h1 = await first.start_container(_persistent(), Lines())
    try:
        await _wait_for_redis(h1.host_ports[(6379, "tcp")])
        await first.stop(h1, grace=5)  # really stopped, and kept
        assert await first.wait(h1) == 0
        state = docker_client.api.inspect_container(h1.id)
        assert not state["State"]["Running"]
        assert first.session_network_name not in state["NetworkSettings"]["Networks"]
    finally:
        await first.close()
    started_before = state["State"]["StartedAt"]

    # unchanged: the same container is started again (its host port is the engine's choice here)
    second = _runtime(app_host)
    statuses: list[str] = []
    lines = Lines()
    await second.join_network("pcache")
    h2 = await second.start_container(_persistent(), lines, on_status=statuses.append)
    try:
        assert h2.reused
        assert h2.id == h1.id
        assert any("Starting again" in s for s in statuses), statuses
        await lines.wait_for("Ready to accept connections")  # the new run's output is followed
        state = docker_client.api.inspect_container(h2.id)
        assert state["State"]["Running"]
        assert state["State"]["StartedAt"] != started_before
        assert "pcache" in state["NetworkSettings"]["Networks"][second.session_network_name]["Aliases"]
        await second.stop(h2, grace=5)
    finally:
        await second.close()

    # changed while stopped: removed and created again
    third = _runtime(app_host)
    h3 = await third.start_container(_persistent({"MODE": "two"}), Lines())
    try:
        assert not h3.reused
        assert h3.id != h1.id
    finally:
        await third.remove(h3)
        await third.close()
    for gone in (h1.id, h3.id):
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_container(gone)


@pytest.mark.docker
@pytest.mark.anyio
async def test_reused_persistent_container_streams_only_new_output(app_host: Path) -> None:
    spec = ContainerSpec(
        "ticker",
        REDIS,
        entrypoint="/bin/sh",
        args=("-c", "trap 'exit 0' TERM; echo started; while :; do echo tick; sleep 0.1; done"),
        lifetime=ContainerLifetime.PERSISTENT,
    )
    first = _runtime(app_host)
    lines1 = Lines()
    h1 = await first.start_container(spec, lines1)
    await lines1.wait_for("tick")
    assert lines1.items[0] == ("started", False)
    await first.close()

    second = _runtime(app_host)
    lines2 = Lines()
    h2 = await second.start_container(spec, lines2)
    try:
        assert h2.reused
        await lines2.wait_for("tick")
        # a replay of the earlier output would have delivered "started" before any tick
        assert ("started", False) not in lines2.items
    finally:
        await second.remove(h2)
        await second.close()
    assert h1.id == h2.id


# ------------------------------------------------------------------------------------------ orphans


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


@pytest.mark.docker
@pytest.mark.anyio
async def test_sweep_removes_objects_of_dead_app_hosts_only(
    app_host: Path, docker_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another app host's sweep (any app host starting on this engine) removes dead owners' objects too: the
    sessions here run as if on a machine of the test's own, whose objects only this test's sweeper considers
    (an owner's PID means nothing on another machine). The real machine's sweep leaves them alone."""
    import docker.errors

    dead_owner, live_owner = _sleeper(), _sleeper()
    here = _runtime(app_host)  # this machine's app host
    with monkeypatch.context() as m:
        m.setattr(socket, "gethostname", lambda: f"{here.session_id}.test")
        dead = _runtime(app_host, owner_pid=dead_owner.pid)
        live = _runtime(app_host, owner_pid=live_owner.pid)
        sweeper = _runtime(app_host)
    try:
        entrypoint, args = SH_TRAPPING_TERM
        spec = ContainerSpec("orphan", REDIS, entrypoint=entrypoint, args=args)
        await dead.join_network("orphan")  # both sessions make a network
        await live.join_network("orphan")
        dead_a = await dead.start_container(spec, Lines())
        dead_b = await dead.start_container(spec, Lines())
        live_c = await live.start_container(spec, Lines())
        # dead_a's container disappears without -v: its labelled anonymous volume is left dangling
        dangling = [
            m["Name"] for m in docker_client.api.inspect_container(dead_a.id)["Mounts"] if m["Type"] == "volume"
        ]
        docker_client.api.remove_container(dead_a.id, force=True, v=False)
        dead_b_volumes = [
            m["Name"] for m in docker_client.api.inspect_container(dead_b.id)["Mounts"] if m["Type"] == "volume"
        ]
        live_volumes = [
            m["Name"] for m in docker_client.api.inspect_container(live_c.id)["Mounts"] if m["Type"] == "volume"
        ]

        dead_owner.kill()
        dead_owner.wait()

        # not this machine's to judge: nothing of the test's machine is removed (other objects may be)
        ours = {dead_b.name, dead.session_network_name, live_c.name, live.session_network_name}
        ours |= set(dangling + dead_b_volumes + live_volumes)
        assert not [line for line in await here.sweep_orphans() if line.split()[1] in ours]
        removed = await sweeper.sweep_orphans()
        text = "\n".join(removed)
        assert f"container {dead_b.name}" in text
        assert f"network {dead.session_network_name}" in text
        for name in dangling:
            assert f"volume {name}" in text
        assert live_c.name not in text
        assert live.session_network_name not in text

        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_container(dead_b.id)
        with pytest.raises(docker.errors.NotFound):
            docker_client.api.inspect_network(dead.session_network_name)
        for name in dangling + dead_b_volumes:
            with pytest.raises(docker.errors.NotFound):
                docker_client.api.inspect_volume(name)
        assert docker_client.api.inspect_container(live_c.id)["State"]["Running"]
        docker_client.api.inspect_network(live.session_network_name)
        for name in live_volumes:
            docker_client.api.inspect_volume(name)

        assert await sweeper.sweep_orphans() == []  # nothing left to sweep
    finally:
        await dead.close()
        await live.close()
        await sweeper.close()
        await here.close()
        for process in (dead_owner, live_owner):
            process.kill()
            process.wait()


def test_owner_liveness_detects_exit_and_pid_reuse() -> None:
    me = {
        LABEL_OWNER_HOST: socket.gethostname(),
        LABEL_OWNER_PID: str(os.getpid()),
        LABEL_OWNER_START_TIME: process_start_time(os.getpid()) or "",
    }
    assert owner_alive(me) is True
    assert owner_alive({**me, LABEL_OWNER_START_TIME: "1"}) is False  # same PID, another process
    assert owner_alive({**me, LABEL_OWNER_HOST: "some-other-machine"}) is None
    assert owner_alive({LABEL_OWNER_PID: "12"}) is None

    process = _sleeper()
    labels = {**me, LABEL_OWNER_PID: str(process.pid), LABEL_OWNER_START_TIME: process_start_time(process.pid) or ""}
    assert owner_alive(labels) is True
    process.kill()
    process.wait()
    assert owner_alive(labels) is False


@pytest.mark.docker
@pytest.mark.anyio
async def test_start_failure_leaves_nothing_behind(app_host: Path, docker_client: Any) -> None:
    from aspyre._orchestrator._docker import ContainerStartError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        runtime = _runtime(app_host)
        try:
            with pytest.raises(ContainerStartError, match="'busy'"):
                await runtime.start_container(ContainerSpec("busy", REDIS, ports=(PortSpec(6379, port),)), Lines())
            assert (
                docker_client.containers.list(all=True, filters={"label": f"aspyre.session-id={runtime.session_id}"})
                == []
            )
            assert _monitor_threads() == []
        finally:
            await runtime.close()
