"""Podman, as the orchestration page runs containers with it: an app host through Podman's Docker-compatible socket.

A rootful ``podman system service`` on a socket of the test's own, with the three settings this kind of machine
needs (see docs/containers.md): ulimits Podman may set (``CONTAINERS_CONF``), and the local images copied
from Docker (``docker save | podman load``) under the names aspyre asks for (``podman tag``). Skips without
podman, and fails instead under ``ASPYRE_REQUIRE_DOCKER=1`` (CI installs podman).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import redis

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

REQUIRE = os.environ.get("ASPYRE_REQUIRE_DOCKER") == "1"
#: Local Docker images and the names aspyre asks Podman for.
IMAGES = {"redis:8.6": "docker.io/library/redis:8.6"}
#: Rootful Podman raises nofile/nproc to 1048576, which a process without CAP_SYS_RESOURCE cannot do.
CONTAINERS_CONF = '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=16384:16384"]\n'


def _missing(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"ASPYRE_REQUIRE_DOCKER=1 but {reason}")
    pytest.skip(reason)


def _podman_or_skip() -> str:
    exe = shutil.which("podman")
    if exe is None:
        _missing("podman is not installed (apt-get install podman)")
    assert exe is not None
    try:  # the images come from the local Docker engine
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as exc:
        _missing(f"no Docker engine to copy the images from ({type(exc).__name__}: {exc})")
    return exe


def _copy_images(podman: str, env: dict[str, str]) -> None:
    for local, wanted in IMAGES.items():
        if subprocess.run([podman, "image", "exists", wanted], env=env, check=False).returncode == 0:
            continue
        save = subprocess.Popen(["docker", "save", local], stdout=subprocess.PIPE)
        assert save.stdout is not None
        loaded = subprocess.run([podman, "load"], stdin=save.stdout, env=env, capture_output=True, text=True)
        save.stdout.close()
        assert save.wait() == 0 and loaded.returncode == 0, loaded.stderr
        subprocess.run([podman, "tag", f"localhost/{local}", wanted], env=env, check=True)


@pytest.fixture(scope="module")
def podman_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``unix://...``: a Podman API service started for these tests (stopped, by its PID, at the end)."""
    podman = _podman_or_skip()
    import docker

    work = tmp_path_factory.mktemp("podman")
    conf = work / "containers.conf"
    conf.write_text(CONTAINERS_CONF, encoding="utf-8")
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    _copy_images(podman, env)
    url = f"unix://{work / 'podman.sock'}"
    log = (work / "service.log").open("wb")
    service = subprocess.Popen(
        [podman, "system", "service", "--time=0", url], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client = docker.DockerClient(base_url=url, timeout=5)
                client.ping()
                client.close()
                break
            except Exception as exc:
                if service.poll() is not None or time.monotonic() > deadline:
                    log_text = (work / "service.log").read_text()
                    raise AssertionError(f"podman system service did not come up: {log_text}") from exc
                time.sleep(0.2)
        yield url
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=15)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
        log.close()


@pytest.fixture
def on_podman(podman_socket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An app host path whose containers run on Podman; what it leaves there is removed afterwards."""
    import docker

    monkeypatch.setenv("DOCKER_HOST", podman_socket)
    app_host = tmp_path / "apphost.py"
    app_host.write_text("# app host\n")
    yield app_host
    client = docker.DockerClient(base_url=podman_socket)
    try:
        label = f"aspyre.app-host={app_host}"
        for container in client.containers.list(all=True, filters={"label": label}):
            container.remove(force=True, v=True)
        for network in client.networks.list(filters={"label": label}):
            network.remove()
    finally:
        client.close()


async def test_redis_through_podmans_docker_api(on_podman: Path) -> None:
    """Redis (with its password and health check) runs on Podman; a container reaches it by name and a host
    process through host.docker.internal; the app host reaches it with redis-py."""
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=on_podman)
    cache = builder.add_redis("cache")
    web = builder.add_executable("web", sys.executable, "-m", "http.server", "--bind", "0.0.0.0").with_http_endpoint(
        env="PORT"
    )
    web.with_args(web.get_endpoint("http").property(aspyre.EndpointProperty.TARGET_PORT))
    probe = (
        builder.add_container("probe", "docker.io/library/redis:8.6")
        .with_entrypoint("/bin/sh")
        .with_reference(cache)
        .with_environment("WEB", web.get_endpoint("http"))
        .wait_for(cache)
        .wait_for_start(web)
        .with_args(
            "-c",
            "set -e; "
            'redis-cli -h "$CACHE_HOST" -p "$CACHE_PORT" -a "$CACHE_PASSWORD" --no-auth-warning ping | grep -q PONG; '
            "echo cache-reached; "
            'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- "$WEB" > /tmp/page && break; sleep 0.5; done; '
            "grep -q 'Directory listing' /tmp/page; echo host-reached",
        )
    )
    app = builder.build()
    async with app:
        with anyio.fail_after(90):
            snap = await app.resource_notifications.wait_for_resource(
                probe.resource, lambda s: S.is_terminal(s.state_text)
            )
            await app.resource_notifications.wait_for_resource_healthy("cache")
        lines = [line.content for line in app.resource_loggers.backlog("probe")]
        assert snap.exit_code == 0, lines
        assert "cache-reached" in lines and "host-reached" in lines, lines
        text = await app.get_connection_string("cache")
        assert text is not None
        address, _, password = text.partition(",password=")
        host, _, port = address.rpartition(":")
        client = redis.Redis(host=host, port=int(port), password=password)
        try:
            assert client.set("seed", "podman") and client.get("seed") == b"podman"
        finally:
            client.close()
        cache_snap = app.resource_notifications.get_snapshot("cache")
        assert cache_snap is not None and cache_snap.health_status is aspyre.HealthStatus.HEALTHY
