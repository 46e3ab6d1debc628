"""aspyre's own Engine API client against the real engine (no mocks): errors with the engine's message, streamed
output demultiplexed, chunked answers, kept-alive connections, ``tcp://`` plain and TLS through loopback
forwarders, ``ssh://`` through a stand-in ``ssh``, an engine that goes away, and the address resolution the
docker SDK does (checked against the SDK itself)."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from aspyre._model._runargs import parse_runtime_args, supported_runtime_flags
from aspyre._orchestrator._docker import ContainerRuntime, ContainerRuntimeUnavailable
from aspyre._orchestrator._docker._address import TLSSettings, parse_address, resolve_address
from aspyre._orchestrator._docker._client import EngineClient
from aspyre._orchestrator._docker._engine import DockerEngine
from aspyre._orchestrator._docker._errors import (
    Conflict,
    EngineUnreachable,
    ImageNotFound,
    NotFound,
    connection_problem,
)
from aspyre._orchestrator._docker._run_options import parse_bytes, run_options
from aspyre._orchestrator._docker._sdk import translated
from aspyre._orchestrator._specs import ContainerSpec

from .forwarders import ENGINE_SOCKET, Forwarder

pytestmark = [pytest.mark.docker]

IMAGE = "python:3.11-slim"
#: Writes 300 numbered lines, odd ones to stderr, then one line of 200,000 bytes (several frames' worth) to stdout.
WRITER = (
    "import sys\n"
    "for i in range(300):\n"
    "    (sys.stderr if i % 2 else sys.stdout).write(f'line {i}\\n'); (sys.stderr if i % 2 else sys.stdout).flush()\n"
    "sys.stdout.write('x' * 200000 + '\\n')\n"
)
EXPECTED_OUT = "".join(f"line {i}\n" for i in range(0, 300, 2)) + "x" * 200000 + "\n"
EXPECTED_ERR = "".join(f"line {i}\n" for i in range(1, 300, 2))


@pytest.fixture
def label() -> str:
    return f"aspyre-engine-client-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def client(label: str) -> Iterator[EngineClient]:
    engine = EngineClient(parse_address(f"unix://{ENGINE_SOCKET}"))
    engine.handshake()
    try:
        yield engine
    finally:
        for summary in engine.containers(all=True, filters={"label": label}):
            engine.remove_container(summary["Id"], force=True, v=True)
        engine.close()


def _create(client: EngineClient, label: str, code: str, *, tty: bool = False, name: str | None = None) -> str:
    config = {"Image": IMAGE, "Cmd": ["python", "-c", code], "Labels": {label: "1"}, "Tty": tty}
    return str(client.create_container(config, name=name)["Id"])


def _collect(stream: Any) -> tuple[bytes, bytes]:
    out, err = bytearray(), bytearray()
    for stdout, stderr in stream:
        assert (stdout is None) != (stderr is None)
        if stdout is not None:
            out += stdout
        if stderr is not None:
            err += stderr
    return bytes(out), bytes(err)


# ---------------------------------------------------------------------------------------------- errors


def test_a_missing_container_is_a_404_with_the_engine_message(client: EngineClient) -> None:
    name = f"aspyre-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(NotFound) as caught:
        client.inspect_container(name)
    assert caught.value.status_code == 404
    assert caught.value.explanation == f"No such container: {name}"
    assert not isinstance(caught.value, ImageNotFound)
    with pytest.raises(NotFound):
        client.start(name)


def test_a_missing_image_is_image_not_found(client: EngineClient, label: str) -> None:
    with pytest.raises(ImageNotFound) as caught:
        client.inspect_image("aspyre-no-such-image:never")
    assert "aspyre-no-such-image:never" in caught.value.explanation
    with pytest.raises(ImageNotFound):  # creating from it says so too (the runtime pulls then)
        client.create_container({"Image": "aspyre-no-such-image:never", "Labels": {label: "1"}})


def test_a_name_in_use_is_a_409_conflict_naming_it(client: EngineClient, label: str) -> None:
    name = f"aspyre-conflict-{uuid.uuid4().hex[:8]}"
    first = _create(client, label, "pass", name=name)
    with pytest.raises(Conflict) as caught:
        _create(client, label, "pass", name=name)
    assert caught.value.status_code == 409
    assert name in caught.value.explanation and first in caught.value.explanation
    assert "already in use" in str(caught.value)


def test_the_sdk_errors_become_ours_with_the_same_message(client: EngineClient, docker_client: Any) -> None:
    name = f"aspyre-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(NotFound) as caught, translated():
        docker_client.api.inspect_container(name)
    assert caught.value.explanation == f"No such container: {name}"
    with pytest.raises(ImageNotFound), translated():
        docker_client.api.inspect_image("aspyre-no-such-image:never")


# --------------------------------------------------------------------------------------------- streams


def test_attach_demultiplexes_stdout_and_stderr_losing_nothing(client: EngineClient, label: str) -> None:
    container = _create(client, label, WRITER)
    stream = client.attach(container)
    client.start(container)
    out, err = _collect(stream)
    assert out.decode() == EXPECTED_OUT
    assert err.decode() == EXPECTED_ERR
    assert client.wait(container)["StatusCode"] == 0


def test_logs_come_chunked_and_demultiplexed(client: EngineClient, label: str) -> None:
    container = _create(client, label, WRITER)
    client.start(container)
    assert client.wait(container)["StatusCode"] == 0
    response = client.request("GET", f"/containers/{container}/logs", params={"stdout": 1, "stderr": 1})
    assert "chunked" in response.headers.get("transfer-encoding", "")  # what this test is about
    response.close()
    out, err = _collect(client.logs(container, follow=False))
    assert out.decode() == EXPECTED_OUT
    assert err.decode() == EXPECTED_ERR
    # the connection of a chunked answer read to its end is reused: the next calls work on it
    assert client.inspect_container(container)["State"]["ExitCode"] == 0


def test_a_tty_container_streams_raw(client: EngineClient, label: str) -> None:
    container = _create(
        client, label, "print('hello from a tty'); import sys; print('to stderr', file=sys.stderr)", tty=True
    )
    stream = client.attach(container)  # the client asks the engine: a TTY
    assert stream.tty
    client.start(container)
    out, err = _collect(stream)
    assert err == b""
    text = out.decode().replace("\r\n", "\n")
    assert text == "hello from a tty\nto stderr\n"
    logs, _ = _collect(client.logs(container, follow=False, tty=True))
    assert logs.decode().replace("\r\n", "\n") == text


def test_attached_before_the_start_every_line_arrives_exactly_once(client: EngineClient, label: str) -> None:
    """Short containers started right after their attach (no round trip in between), many at once: each one's
    stdout and stderr line arrive once each, on their own stream, the first lines of a container that exits at
    once included. (An attach that also replayed the engine's log doubled some of them: the engine reads that
    log after answering, while the live output it joined before answering already buffers.)"""
    count = 24

    def run(index: int) -> tuple[bytes, bytes]:
        config = {
            "Image": IMAGE,
            "Cmd": ["sh", "-c", f"echo out-{index}; echo err-{index} >&2"],
            "Labels": {label: "1"},
        }
        container = str(client.create_container(config)["Id"])
        stream = client.attach(container, tty=False)
        client.start(container)
        return _collect(stream)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        outputs = list(pool.map(run, range(count)))
    wrong = {
        index: output
        for index, output in enumerate(outputs)
        if output != (f"out-{index}\n".encode(), f"err-{index}\n".encode())
    }
    assert wrong == {}


@pytest.mark.anyio
async def test_the_runtime_attaches_before_the_start_without_replaying_the_log(tmp_path: Path, label: str) -> None:
    """What the engine guarantees (moby ``daemon/attach.go``): the live output is joined before the attach is
    answered, and a replay of the log (``logs=1``) is read after it. So the runtime attaches for the live output
    only, before the start: nothing of the container is missed and nothing can come from both."""
    with Forwarder("unix", path=tmp_path / "engine.sock") as forwarder:
        runtime = ContainerRuntime(
            session_id=uuid.uuid4().hex, app_host_path=tmp_path / "apphost.py", docker_host=forwarder.address
        )
        lines: list[tuple[str, bool]] = []
        await runtime.connect()
        try:
            spec = ContainerSpec(
                "hello", IMAGE, entrypoint="sh", args=("-c", "echo hi; echo oops >&2"), labels={label: "1"}
            )
            handle = await runtime.start_container(spec, lambda line, is_stderr: lines.append((line, is_stderr)))
            with anyio.fail_after(60):
                assert await runtime.wait(handle) == 0
        finally:
            await runtime.close()
        requests = [r for r in forwarder.requests() if f"/containers/{handle.id}/" in r]
    assert sorted(lines) == [("hi", False), ("oops", True)]
    attaches = [i for i, r in enumerate(requests) if f"/containers/{handle.id}/attach?" in r]
    starts = [i for i, r in enumerate(requests) if f"/containers/{handle.id}/start " in r]
    assert len(attaches) == 1 and len(starts) == 1 and attaches[0] < starts[0], requests
    query = dict(part.split("=", 1) for part in requests[attaches[0]].split("?", 1)[1].split(" ", 1)[0].split("&"))
    assert query.get("stream") == "1"
    assert query.get("logs", "0") == "0", requests[attaches[0]]


def test_a_stream_closed_from_another_thread_ends_at_once(client: EngineClient, label: str) -> None:
    container = _create(client, label, "import time\nprint('up', flush=True)\ntime.sleep(60)")
    stream = client.attach(container)
    client.start(container)
    seen: list[bytes | None] = []

    def close_soon() -> None:
        import time

        time.sleep(0.5)
        stream.close()

    import threading

    closer = threading.Thread(target=close_soon)
    closer.start()
    for stdout, _ in stream:  # returns once closed, without an error
        seen.append(stdout)
    closer.join()
    assert seen == [b"up\n"]
    client.kill(container)


# ------------------------------------------------------------------------------------ connections, tcp, tls


def test_connections_are_kept_alive_and_a_dropped_idle_one_is_replaced(tmp_path: Path) -> None:
    with Forwarder("unix", path=tmp_path / "engine.sock") as forwarder:
        client = EngineClient(parse_address(forwarder.address))
        try:
            client.handshake()
            for _ in range(20):
                client.version()
                client.containers(all=True, filters={"label": "aspyre-none"})
            assert forwarder.accepted == 1
            forwarder.drop_connections()  # the engine closed the idle connection meanwhile
            assert client.version()["ApiVersion"]
            assert forwarder.accepted == 2
        finally:
            client.close()


def test_tcp_through_a_loopback_forwarder(client: EngineClient, label: str) -> None:
    with Forwarder("tcp") as forwarder:
        remote = EngineClient(parse_address(forwarder.address))
        try:
            remote.handshake()
            assert remote.api_version == client.api_version
            container = _create(remote, label, WRITER)
            stream = remote.attach(container)
            remote.start(container)
            out, err = _collect(stream)
            assert (out.decode(), err.decode()) == (EXPECTED_OUT, EXPECTED_ERR)
        finally:
            remote.close()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificates(directory: Path, name: str = "ca") -> None:
    """A CA (``{name}.pem``), a server certificate for 127.0.0.1 and a client certificate it signed."""
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req",
        "-x509",
        *key,
        "-keyout",
        f"{name}-key.pem",
        "-out",
        f"{name}.pem",
        "-days",
        "1",
        "-subj",
        "/CN=test-ca",
        cwd=directory,
    )
    for who, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        (directory / f"{who}.ext").write_text(ext + "\n")
        _openssl("req", *key, "-keyout", f"{who}-key.pem", "-out", f"{who}.csr", "-subj", f"/CN={who}", cwd=directory)
        _openssl(
            "x509", "-req", "-in", f"{who}.csr", "-CA", f"{name}.pem", "-CAkey", f"{name}-key.pem", "-CAcreateserial",
            "-out", f"{who}-cert.pem", "-days", "1", "-extfile", f"{who}.ext", cwd=directory,
        )  # fmt: skip


@pytest.fixture
def tls_dir(tmp_path: Path) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed (apt-get install openssl): no certificates for the TLS test")
    directory = tmp_path / "tls"
    directory.mkdir()
    _certificates(directory)
    return directory


def test_tls_with_docker_tls_verify_and_cert_path(tls_dir: Path, label: str, client: EngineClient) -> None:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(tls_dir / "ca.pem"))
    server.load_cert_chain(tls_dir / "server-cert.pem", tls_dir / "server-key.pem")
    server.verify_mode = ssl.CERT_REQUIRED  # the engine wants our client certificate
    certs = tls_dir / "docker"
    certs.mkdir()
    shutil.copy(tls_dir / "ca.pem", certs / "ca.pem")
    shutil.copy(tls_dir / "client-cert.pem", certs / "cert.pem")
    shutil.copy(tls_dir / "client-key.pem", certs / "key.pem")
    with Forwarder("tls", tls_context=server) as forwarder:
        env = {"DOCKER_HOST": forwarder.address, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(certs)}
        address = resolve_address(environ=env)
        assert address.tls == TLSSettings(
            ca_cert=str(certs / "ca.pem"), client_cert=(str(certs / "cert.pem"), str(certs / "key.pem")), verify=True
        )
        remote = EngineClient(address)
        try:
            remote.handshake()
            container = _create(remote, label, WRITER)
            stream = remote.attach(container)
            remote.start(container)
            out, err = _collect(stream)
            assert (out.decode(), err.decode()) == (EXPECTED_OUT, EXPECTED_ERR)
        finally:
            remote.close()
        # an engine whose certificate another CA signed is refused
        other = tls_dir / "other"
        other.mkdir()
        _certificates(other, "ca")
        shutil.copy(other / "ca.pem", certs / "ca.pem")
        stranger = EngineClient(resolve_address(environ=env))
        with pytest.raises(EngineUnreachable, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            stranger.handshake()
        stranger.close()


# ------------------------------------------------------------------------------------------------ ssh


def test_ssh_runs_docker_system_dial_stdio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in ``ssh`` on PATH connects its stdin/stdout to the engine's socket, as ``docker system
    dial-stdio`` does on the remote machine; it records how it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv.json"
    script = bin_dir / "ssh"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, socket, sys, threading\n"
        f"open({str(record)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "s = socket.socket(socket.AF_UNIX); s.connect(" + repr(ENGINE_SOCKET) + ")\n"
        "def up():\n"
        "    while data := os.read(0, 65536):\n"
        "        s.sendall(data)\n"
        "    s.shutdown(socket.SHUT_WR)\n"
        "threading.Thread(target=up, daemon=True).start()\n"
        "while data := s.recv(65536):\n"
        "    os.write(1, data)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    remote = EngineClient(parse_address("ssh://builder@build-box:2222"))
    try:
        remote.handshake()
        assert remote.version()["ApiVersion"]
    finally:
        remote.close()
    argv = json.loads(record.read_text().splitlines()[0])
    assert argv[-5:] == ["--", "build-box", "docker", "system", "dial-stdio"]
    assert argv[argv.index("-p") + 1] == "2222" and argv[argv.index("-l") + 1] == "builder"


# -------------------------------------------------------------------------------------- the engine goes away


@pytest.mark.anyio
async def test_an_engine_that_goes_away_is_container_runtime_unavailable(tmp_path: Path) -> None:
    with Forwarder("unix", path=tmp_path / "engine.sock") as forwarder:
        engine = DockerEngine(
            session_id=uuid.uuid4().hex, app_host_path=str(tmp_path / "apphost.py"), docker_host=forwarder.address
        )
        await engine.connect()
        try:
            assert (await engine.call(engine.api().version))["ApiVersion"]
            forwarder.lose()
            with pytest.raises(ContainerRuntimeUnavailable) as caught:
                await engine.call(engine.api().version)
            message = str(caught.value)
            assert message.startswith(f"Lost the connection to the container engine at {forwarder.address} (")
            assert "(connection refused)" in message or "(the connection was dropped)" in message, message
            assert "Start Docker" in message
            assert isinstance(caught.value.__cause__, EngineUnreachable)
            assert connection_problem(caught.value.__cause__) in message
        finally:
            await engine.close()


@pytest.mark.anyio
async def test_a_runtime_over_tcp_runs_a_container(tmp_path: Path, label: str, client: EngineClient) -> None:
    with Forwarder("tcp") as forwarder:
        runtime = ContainerRuntime(
            session_id=uuid.uuid4().hex, app_host_path=tmp_path / "apphost.py", docker_host=forwarder.address
        )
        lines: list[tuple[str, bool]] = []
        await runtime.connect()
        try:
            spec = ContainerSpec("writer", IMAGE, entrypoint="python", args=("-c", WRITER), labels={label: "1"})
            handle = await runtime.start_container(spec, lambda line, is_stderr: lines.append((line, is_stderr)))
            with anyio.fail_after(60):
                assert await runtime.wait(handle) == 0
        finally:
            await runtime.close()
    assert [line for line, err in lines if err] == EXPECTED_ERR.splitlines()
    assert [line for line, err in lines if not err][:150] == EXPECTED_OUT.splitlines()[:150]


# ------------------------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"DOCKER_HOST": "unix:///run/user/1000/docker.sock"},
        {"DOCKER_HOST": "unix://relative/docker.sock"},
        {"DOCKER_HOST": "tcp://10.0.0.2:2375"},
        {"DOCKER_HOST": "10.0.0.2:2375"},
        {"DOCKER_HOST": "ssh://me@build-box"},
        {"DOCKER_CONTEXT": "remote-box"},
    ],
)
def test_addresses_resolve_as_the_docker_sdk_does(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import docker

    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text("{}")  # where contexts are looked for (beside it)
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    if shutil.which("docker") is not None:  # a context made by the docker CLI itself
        subprocess.run(
            ["docker", "context", "create", "remote-box", "--docker", "host=tcp://192.0.2.7:2376"],
            env={**os.environ, "DOCKER_CONFIG": str(config)}, check=True, capture_output=True,
        )  # fmt: skip
    ours = resolve_address(environ=env)
    try:
        theirs = docker.from_env(environment=env, version="1.41").api.base_url
    except docker.errors.DockerException as exc:  # ssh without paramiko: the SDK cannot even make the client
        theirs = str(exc)
    if ours.scheme == "unix":
        assert theirs == "http+docker://localhost"
        expected = env.get("DOCKER_HOST", "unix:///var/run/docker.sock").replace("unix://", "")
        assert ours.path == (expected if expected.startswith("/") else "/" + expected)
    elif ours.scheme == "tcp":
        assert theirs == f"http://{ours.host}:{ours.port}"
    else:
        assert ours == parse_address("ssh://me@build-box")
        assert (ours.user, ours.host, ours.port) == ("me", "build-box", 22)
    if "DOCKER_CONTEXT" in env and shutil.which("docker") is not None:
        assert (ours.host, ours.port) == ("192.0.2.7", 2376)


def test_bad_addresses_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="port is required"):
        parse_address("tcp://build-box")
    with pytest.raises(ValueError, match="unsupported engine address"):
        parse_address("npipe:////./pipe/docker_engine")


# ------------------------------------------------------------------------------------------- run options


def test_every_runtime_flag_has_an_engine_api_field() -> None:
    samples = {"--restart": "on-failure:3", "--tmpfs": "/run:size=1m", "--ulimit": "nofile=100:200", "--gpus": "all",
               "--device": "/dev/null", "--sysctl": "net.core.somaxconn=1024", "--storage-opt": "size=1G",
               "--label": "team=web", "--add-host": "db:10.0.0.1", "--cpus": "0.5", "--memory": "64m",
               "--memory-reservation": "32m", "--memory-swap": "1g", "--shm-size": "1.5g", "--memory-swappiness": "10",
               "--cpu-shares": "512", "--cpu-period": "100000", "--cpu-quota": "50000", "--pids-limit": "64",
               "--oom-score-adj": "5"}  # fmt: skip
    args: list[str] = []
    for flag in supported_runtime_flags():
        value = samples.get(flag, "x")
        if flag in {"--privileged", "--init", "--read-only", "--oom-kill-disable"}:
            args.append(flag)
        else:
            args.append(f"{flag}={value}")
    config, host = run_options(parse_runtime_args(args).kwargs)
    assert host["Memory"] == 64 * 1024**2 and host["ShmSize"] == int(1.5 * 1024**3) and host["NanoCpus"] == 500_000_000
    assert host["Devices"] == [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/null", "CgroupPermissions": "rwm"}]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert config["User"] == "x" and config["WorkingDir"] == "x" and "platform" not in config
    assert parse_bytes("512k") == 512 * 1024 and parse_bytes("-1") == -1


def test_runtime_flags_reach_the_engine(client: EngineClient, label: str, docker_client: Any, tmp_path: Path) -> None:
    options = parse_runtime_args(
        [
            "--memory=64m",
            "--cpus=0.5",
            "--ulimit=nofile=100:200",
            "--tmpfs=/scratch",
            "--cap-drop=NET_RAW",
            "--init",
            "--user=1000",
            "--workdir=/tmp",
        ]
    )
    config, host = run_options(options.kwargs)
    container = client.create_container({"Image": IMAGE, "Labels": {label: "1"}, **config, "HostConfig": host})["Id"]
    attrs = docker_client.api.inspect_container(container)  # read back by the docker SDK, an independent client
    assert attrs["HostConfig"]["Memory"] == 64 * 1024**2
    assert attrs["HostConfig"]["NanoCpus"] == 500_000_000
    assert attrs["HostConfig"]["Ulimits"] == [{"Name": "nofile", "Soft": 100, "Hard": 200}]
    assert attrs["HostConfig"]["Tmpfs"] == {"/scratch": ""}
    assert attrs["HostConfig"]["CapDrop"] == ["NET_RAW"]
    assert attrs["HostConfig"]["Init"] is True
    assert (attrs["Config"]["User"], attrs["Config"]["WorkingDir"]) == ("1000", "/tmp")


def test_running_a_container_does_not_import_the_docker_sdk(tmp_path: Path, label: str, client: EngineClient) -> None:
    code = f"""
import sys, uuid, anyio
from aspyre._orchestrator._docker import ContainerRuntime
from aspyre._orchestrator._specs import ContainerSpec

async def main():
    runtime = ContainerRuntime(session_id=uuid.uuid4().hex, app_host_path={str(tmp_path / "apphost.py")!r})
    await runtime.connect()
    await runtime.sweep_orphans()
    lines = []
    spec = ContainerSpec("hello", {IMAGE!r}, entrypoint="python", args=("-c", "print('hi')"), labels={{{label!r}: "1"}})
    handle = await runtime.start_container(spec, lambda line, err: lines.append(line))
    assert await runtime.wait(handle) == 0
    await runtime.close()
    print(lines, sorted(m for m in ("docker", "requests", "urllib3", "http.client", "email") if m in sys.modules))

anyio.run(main)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['hi'] []"
