"""Health checks: as the page registers a named Redis check and refers to it by key, integrations expose their checks
by key; a user attaches them to other resources, e.g. an external Redis behind a connection string, which then
gates the resources that wait for it."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

import aspyre
import aspyre_redis
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


@pytest.fixture
def external_redis(app_host: Path, docker_client: Any) -> tuple[int, str]:
    """A Redis started outside the app (``docker run``), labelled so the app host fixture removes it."""
    password = secrets.token_hex(8)
    container = docker_client.containers.run(
        "redis:8.6",
        ["redis-server", "--requirepass", password],
        detach=True,
        ports={"6379/tcp": ("127.0.0.1", None)},
        labels={"aspyre.app-host": str(app_host)},
    )
    deadline = time.monotonic() + 30
    while True:
        container.reload()
        bindings = container.ports.get("6379/tcp")
        if bindings:
            break
        assert time.monotonic() < deadline, "the external Redis got no port"
        time.sleep(0.1)
    return int(bindings[0]["HostPort"]), password


def test_the_redis_integration_registers_its_check_by_key(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    cache = builder.add_redis("cache")
    check = builder.health_checks["cache_check"]
    assert isinstance(check, aspyre_redis.RedisHealthCheck) and check.resource is cache.resource
    worker = builder.add_executable("worker", "python").with_health_check("cache_check")
    (annotation,) = worker.resource.annotations.all(aspyre.annotations.HealthCheckAnnotation)
    assert annotation.check is check
    builder.add_health_check("other_check", lambda context: True)
    with pytest.raises(ValueError, match="a health check named 'other_check' is already registered"):
        builder.add_redis("other")


def test_redis_connection_strings_are_read() -> None:
    parse = aspyre_redis.parse_redis_connection_string
    assert parse("127.0.0.1:6380,password=p@ss,ssl=true") == aspyre_redis.RedisConnectionOptions(
        "127.0.0.1", 6380, "p@ss", None, True
    )
    assert parse("redis://:p%40ss@cache:6379") == aspyre_redis.RedisConnectionOptions("cache", 6379, "p@ss")
    assert "p@ss" not in repr(parse("h:1,password=p@ss"))
    with pytest.raises(ValueError, match="no host"):
        parse(",password=x")


async def test_an_external_redis_checked_by_key_gates_its_dependents(
    app_host: Path, external_redis: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, password = external_redis
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=app_host)
    # One registered check, attached by key: it PINGs the resource it is attached to.
    builder.add_health_check("redis", aspyre_redis.RedisHealthCheck())
    monkeypatch.setenv("ConnectionStrings__ext-redis", f"127.0.0.1:{port},password={password}")
    ext = builder.add_connection_string("ext-redis").with_health_check("redis")
    monkeypatch.setenv("ConnectionStrings__bad-redis", f"127.0.0.1:{port},password=wrong")
    bad = builder.add_connection_string("bad-redis").with_health_check("redis")
    cache = builder.add_redis("cache")
    sleep = ("-c", "import time; time.sleep(30)")
    builder.add_executable("app", sys.executable, *sleep).with_reference(ext).wait_for(ext)
    builder.add_executable("stuck", sys.executable, *sleep).with_reference(bad).wait_for(bad)
    # The cache's own check, by key, on another resource: healthy while the cache answers.
    builder.add_executable("worker", sys.executable, *sleep).with_reference(cache).with_health_check("cache_check")
    app = builder.build()
    async with app:
        notifications = app.resource_notifications
        with anyio.fail_after(60):
            await notifications.wait_for_resource("app", S.RUNNING)
            await notifications.wait_for_resource_healthy("worker")
            await notifications.wait_for_resource(
                "bad-redis", lambda s: any(r.status is aspyre.HealthStatus.UNHEALTHY for r in s.health_reports)
            )
        ext_snapshot = notifications.get_snapshot("ext-redis")
        bad_snapshot = notifications.get_snapshot("bad-redis")
        stuck = notifications.get_snapshot("stuck")
        worker = notifications.get_snapshot("worker")
    assert ext_snapshot is not None and ext_snapshot.health_status is aspyre.HealthStatus.HEALTHY
    (report,) = ext_snapshot.health_reports
    assert report.name == "redis" and report.description == f"PING 127.0.0.1:{port} -> PONG"
    assert bad_snapshot is not None and "refused the password" in str(bad_snapshot.health_reports[0].description)
    assert password not in str(bad_snapshot.health_reports)
    assert stuck is not None and stuck.state_text == S.WAITING  # its dependency is not healthy
    assert worker is not None and [r.name for r in worker.health_reports] == ["cache_check"]
    assert bad.resource.name == "bad-redis"
