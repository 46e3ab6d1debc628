"""Run mode with a real Redis container (``docker.io/library/redis:8.6``) and redis-py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.exceptions
from redis.backoff import NoBackoff
from redis.retry import Retry

import aspyre
import aspyre_redis
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

HERE = Path(__file__).resolve().parent


def make_builder(app_dir: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=app_dir / "apphost.py")


def parse_connection_string(text: str | None) -> tuple[str, int, str | None]:
    """``host:port[,password=pw]`` -> (host, port, password)."""
    assert text is not None
    address, _, options = text.partition(",")
    host, _, port = address.rpartition(":")
    password = dict(o.split("=", 1) for o in options.split(",") if o).get("password")
    return host, int(port), password


@contextmanager
def connect(connection_string: str | None, password: str | bool | None = True) -> Iterator[redis.Redis]:
    """A redis-py client for ``connection_string``; ``password=True``: the one in it."""
    host, port, pw = parse_connection_string(connection_string)
    client = redis.Redis(
        host=host,
        port=port,
        password=pw if password is True else password or None,
        retry=Retry(NoBackoff(), 0),  # a refused password fails at once
    )
    try:
        yield client
    finally:
        client.close()


def snapshot_property(app: aspyre.DistributedApplication, name: str, key: str) -> Any:
    snap = app.resource_notifications.get_snapshot(name)
    assert snap is not None
    for p in snap.properties:
        if p.name == key:
            return p.value
    raise KeyError(key)


def log_text(app: aspyre.DistributedApplication, name: str) -> str:
    return "\n".join(line.content for line in app.resource_loggers.backlog(name))


async def test_the_health_check_tells_a_refused_password_from_a_healthy_server(tmp_path: Path) -> None:
    """The check speaks AUTH and PING itself: against a real Redis, the right password is healthy, a wrong or
    missing one is refused (as redis-py's AuthenticationError would say), and a username is sent along."""
    b = make_builder(tmp_path)
    b.add_redis("cache")
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource_healthy("cache")
        host, port, password = parse_connection_string(await app.get_connection_string("cache"))
        assert password is not None
        context = aspyre.HealthCheckContext(app.get_resource("cache"), app)

        async def check(connection_string: str) -> aspyre.HealthCheckResult:
            return await aspyre_redis.RedisHealthCheck(connection_string=connection_string, timeout=5)(context)

        good = await check(f"{host}:{port},password={password}")
        assert good.status is aspyre.HealthStatus.HEALTHY, good.description
        assert good.description == f"PING {host}:{port} -> PONG"
        uri = await check(f"redis://default:{password}@{host}:{port}")  # AUTH with a username
        assert uri.status is aspyre.HealthStatus.HEALTHY, uri.description
        for wrong in (f"{host}:{port},password=wrong", f"{host}:{port}", f"redis://nobody:{password}@{host}:{port}"):
            result = await check(wrong)
            assert result.status is aspyre.HealthStatus.UNHEALTHY, wrong
            assert result.description is not None
            assert result.description.startswith(f"PING {host}:{port}: the server refused the password"), result
            assert "wrong" not in result.description and password not in result.description
        # redis-py agrees on each of them.
        with connect(f"{host}:{port},password={password}") as client:
            assert client.ping() is True
        with connect(f"{host}:{port}", password="wrong") as client, pytest.raises(redis.exceptions.AuthenticationError):
            client.ping()


async def test_generated_password_is_required(tmp_path: Path, docker_client: Any) -> None:
    b = make_builder(tmp_path)
    b.add_redis("cache")
    ready: list[str] = []
    b.eventing.subscribe(aspyre.events.ResourceReadyEvent, lambda e: ready.append(e.resource.name))
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource_healthy("cache")
        assert "cache" in ready  # the health check (PING with the password) raised resource-ready
        snap = app.resource_notifications.get_snapshot("cache")
        assert snap is not None
        assert [(h.name, h.status) for h in snap.health_reports] == [("cache_check", aspyre.HealthStatus.HEALTHY)]

        connection_string = await app.get_connection_string("cache")
        _, _, password = parse_connection_string(connection_string)
        assert password is not None
        assert len(password) >= 22
        assert password.isalnum()
        with connect(connection_string) as client:
            assert client.set("greeting", "hello")
            assert client.get("greeting") == b"hello"
        with connect(connection_string, password=None) as client, pytest.raises(redis.exceptions.AuthenticationError):
            client.get("greeting")
        with (
            connect(connection_string, password="wrong") as client,
            pytest.raises(redis.exceptions.AuthenticationError),
        ):
            client.get("greeting")

        # The password is in the container's environment, not on its command line (nor in the
        # server's process title).
        container = docker_client.containers.get(snapshot_property(app, "cache", "container.id"))
        assert f"REDIS_PASSWORD={password}" in container.attrs["Config"]["Env"]
        assert container.attrs["Config"]["Entrypoint"] == ["/bin/sh"]
        assert password not in " ".join(container.attrs["Config"]["Cmd"])
        assert password.encode() not in container.exec_run("cat /proc/1/cmdline").output
        env_snapshot = {e.name: e for e in snap.environment_variables}
        assert env_snapshot["REDIS_PASSWORD"].is_sensitive


async def test_password_is_kept_across_runs(tmp_path: Path) -> None:
    passwords = []
    for _ in range(2):
        b = make_builder(tmp_path)
        b.add_redis("cache")
        app = b.build()
        async with app:
            await app.resource_notifications.wait_for_resource_healthy("cache")
            passwords.append(parse_connection_string(await app.get_connection_string("cache"))[2])
    assert passwords[0] is not None
    assert passwords[0] == passwords[1]
    # another app host gets its own
    b = make_builder(tmp_path / "other")
    b.add_redis("cache")
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource_healthy("cache")
        assert parse_connection_string(await app.get_connection_string("cache"))[2] != passwords[0]


async def test_data_volume_keeps_data_across_restarts(tmp_path: Path, docker_client: Any) -> None:
    def build() -> tuple[aspyre.DistributedApplication, str]:
        b = make_builder(tmp_path)
        cache = b.add_redis("cache").with_data_volume()
        (mount,) = cache.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
        assert mount.source is not None
        return b.build(), mount.source

    app, volume = build()
    try:
        async with app:
            await app.resource_notifications.wait_for_resource_healthy("cache")
            with connect(await app.get_connection_string("cache")) as client:
                client.set("survivor", "still here")
                assert client.config_get("save") == {"save": "60 1"}
        # the stop request reached redis-server itself (exec): it saved its snapshot on the way out
        log = log_text(app, "cache")
        assert "Received SIGTERM" in log
        assert "DB saved on disk" in log
        assert docker_client.volumes.get(volume) is not None

        app, same_volume = build()
        assert same_volume == volume
        async with app:
            await app.resource_notifications.wait_for_resource_healthy("cache")
            with connect(await app.get_connection_string("cache")) as client:
                assert client.get("survivor") == b"still here"
    finally:
        for v in docker_client.volumes.list(filters={"name": volume}):
            v.remove(force=True)


async def test_a_process_connects_with_its_environment_only(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("cache")
    b.add_python_app("client", HERE / "apps" / "cache_client.py", interpreter=sys.executable).with_reference(
        cache
    ).wait_for(cache)
    app = b.build()
    async with app:
        snap = await app.resource_notifications.wait_for_resource("client", lambda s: S.is_terminal(s.state_text))
        output = log_text(app, "client")
        assert (snap.state_text, snap.exit_code) == (S.FINISHED, 0), output
        with connect(await app.get_connection_string("cache")) as client:
            assert client.get("from-uri") == b"written by the client through CACHE_URI"
            assert client.get("from-connection-string") == b"written by the client through ConnectionStrings__cache"
        port = parse_connection_string(await app.get_connection_string("cache"))[1]
        assert f"host/port from CACHE_HOST/CACHE_PORT: 127.0.0.1 {port}" in output


async def test_a_container_connects_over_the_container_network(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("cache")
    script = (
        'redis-cli -h "$CACHE_HOST" -p "$CACHE_PORT" -a "$CACHE_PASSWORD" --no-auth-warning '
        "set from-container yes && "
        'redis-cli -h "$CACHE_HOST" -p "$CACHE_PORT" -a "$CACHE_PASSWORD" --no-auth-warning ping && '
        'echo "host=$CACHE_HOST port=$CACHE_PORT connection string=${ConnectionStrings__cache%%,*}"'
    )
    (
        b.add_container("probe", aspyre_redis.REDIS_IMAGE, aspyre_redis.REDIS_TAG)
        .with_entrypoint("/bin/sh")
        .with_args("-c", script)
        .with_reference(cache)
        .wait_for(cache)
    )
    app = b.build()
    async with app:
        snap = await app.resource_notifications.wait_for_resource("probe", lambda s: S.is_terminal(s.state_text))
        output = log_text(app, "probe")
        assert snap.exit_code == 0, output
        assert "PONG" in output
        assert "host=cache port=6379 connection string=cache:6379" in output
        with connect(await app.get_connection_string("cache")) as client:
            assert client.get("from-container") == b"yes"


async def test_extra_arguments_and_persistence_settings_reach_the_server(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_redis("cache").with_password(None).with_persistence(30, 7).with_args("--maxmemory", "64mb")
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource_healthy("cache")
        connection_string = await app.get_connection_string("cache")
        assert parse_connection_string(connection_string)[2] is None
        with connect(connection_string) as client:  # no password needed
            assert client.config_get("maxmemory") == {"maxmemory": str(64 * 1024 * 1024)}
            assert client.config_get("save") == {"save": "30 7"}
            assert client.config_get("requirepass") == {"requirepass": ""}


async def test_missing_helper_images_fail_clearly_without_hurting_redis(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("cache").with_redis_commander().with_redis_insight()
    b.add_python_app("client", HERE / "apps" / "cache_client.py", interpreter=sys.executable).with_reference(
        cache
    ).wait_for(cache)
    app = b.build()
    async with app:
        for name, image in (
            ("rediscommander", "docker.io/rediscommander/redis-commander:latest"),
            ("redisinsight", "docker.io/redis/redisinsight:3.0"),
        ):
            snap = await app.resource_notifications.wait_for_resource(name, lambda s: S.is_terminal(s.state_text))
            assert snap.state_text == S.FAILED_TO_START
            assert image in log_text(app, name)
            relationships = {(r.resource_name, r.type) for r in snap.relationships}
            assert ("cache", "RedisCommander" if name == "rediscommander" else "RedisInsight") in relationships
        await app.resource_notifications.wait_for_resource_healthy("cache")
        client = await app.resource_notifications.wait_for_resource("client", lambda s: S.is_terminal(s.state_text))
        assert (client.state_text, client.exit_code) == (S.FINISHED, 0)


async def test_recreating_a_persistent_redis_keeps_its_last_writes(app_host: Path, docker_client: Any) -> None:
    """A changed configuration recreates the container, stopping it gracefully first: Redis saves on SIGTERM."""

    def build(mark: str) -> aspyre.DistributedApplication:
        b = aspyre.DistributedApplication.create_builder([], app_host_path=app_host)
        (
            b.add_redis("cache")
            .with_persistence(3600, 1000)  # no snapshot while it runs: only the one taken when it stops
            .with_data_volume()
            .with_lifetime(aspyre.ContainerLifetime.PERSISTENT)
            .with_environment("MARK", mark)
        )
        return b.build()

    first = build("one")
    async with first:
        await first.resource_notifications.wait_for_resource_healthy("cache")
        first_id = snapshot_property(first, "cache", "container.id")
        with connect(await first.get_connection_string("cache")) as client:
            client.set("last-write", "kept")
    assert docker_client.api.inspect_container(first_id)["State"]["Running"]  # persistent: left running

    second = build("two")  # another environment: another configuration
    async with second:
        await second.resource_notifications.wait_for_resource_healthy("cache")
        assert snapshot_property(second, "cache", "container.id") != first_id
        with connect(await second.get_connection_string("cache")) as client:
            assert client.get("last-write") == b"kept"
    log = log_text(second, "cache")
    assert "Recreating persistent container cache-" in log and "its configuration changed" in log, log
    assert "stopping it first" in log, log
