"""The Redis integration's app model: resource, builder methods, values, helpers (no Docker)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest

import aspyre
import aspyre_redis
from aspyre.model import KnownNetworks, ValueContext
from aspyre_redis import RedisCommanderResource, RedisInsightResource, RedisResource

pytestmark = pytest.mark.anyio


def make_builder(app_dir: Path, *args: str) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder(list(args), app_host_path=app_dir / "apphost.py")


def allocate(resource: aspyre.IResource, host_port: int) -> None:
    """Give every endpoint of a container the addresses the orchestrator would give it."""
    for ep in resource.annotations.all(aspyre.annotations.EndpointAnnotation):
        assert ep.target_port is not None
        ep.allocated[KnownNetworks.LOCALHOST] = aspyre.model.AllocatedEndpoint(
            "127.0.0.1", host_port, ep.scheme, KnownNetworks.LOCALHOST, ep.target_port
        )
        ep.allocated[KnownNetworks.CONTAINER] = aspyre.model.AllocatedEndpoint(
            resource.name, ep.target_port, ep.scheme, KnownNetworks.CONTAINER, ep.target_port
        )


async def resolved_env(resource: aspyre.IResource, network: str = KnownNetworks.LOCALHOST) -> dict[str, str | None]:
    env = await aspyre.model.compute_environment(resource)
    ctx = ValueContext(caller=resource, network=network)
    return {k: await aspyre.model.resolve_value(v, ctx) for k, v in env.items()}


async def resolved_args(resource: aspyre.IResource) -> list[str | None]:
    args = await aspyre.model.compute_arguments(resource)
    ctx = ValueContext(caller=resource)
    return [await aspyre.model.resolve_value(a, ctx) for a in args]


# --------------------------------------------------------------------------- add_redis


def test_add_redis_defaults(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("myRedis")
    r = cache.resource
    assert isinstance(r, RedisResource)
    assert isinstance(r, aspyre.IResourceWithConnectionString)

    (ep,) = r.annotations.all(aspyre.annotations.EndpointAnnotation)
    assert (ep.name, ep.target_port, ep.port) == ("tcp", 6379, None)
    assert (ep.scheme, ep.transport, ep.protocol) == ("redis", "tcp", aspyre.EndpointProtocol.TCP)
    assert not ep.is_external

    image = r.image
    assert image is not None
    assert (image.registry, image.image, image.tag) == ("docker.io", "library/redis", aspyre_redis.REDIS_TAG)
    assert image.full_name == "docker.io/library/redis:8.6"
    assert r.entrypoint == "/bin/sh"

    (check,) = r.annotations.all(aspyre.annotations.HealthCheckAnnotation)
    assert check.key == "myRedis_check"

    pw = r.password_parameter
    assert pw is not None
    assert pw.name == "myRedis-password"
    assert pw.secret
    assert pw.default == aspyre.GenerateParameterDefault(min_length=22, special=False)
    assert pw in b.resources  # so that it is resolved (and its generated value saved) in run mode


def test_add_redis_with_port(tmp_path: Path) -> None:
    cache = make_builder(tmp_path).add_redis("myRedis", port=9813)
    assert cache.resource.primary_endpoint.annotation.port == 9813


@pytest.mark.parametrize("port", [0, 65536, "6379", True])
def test_add_redis_rejects_bad_ports(tmp_path: Path, port: Any) -> None:
    with pytest.raises(ValueError, match="port must be an int between 1 and 65535"):
        make_builder(tmp_path).add_redis("cache", port=port)


def test_add_redis_rejects_a_password_that_is_not_a_parameter(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"the password must be a parameter \(builder.add_parameter"):
        make_builder(tmp_path).add_redis("cache", password="hunter2")


def test_a_name_too_long_for_the_generated_password_is_explained(tmp_path: Path) -> None:
    name = "r" * 60
    with pytest.raises(ValueError, match="too long for its generated password parameter"):
        make_builder(tmp_path).add_redis(name)
    # with a password of its own it is fine
    b = make_builder(tmp_path)
    b.add_redis(name, password=b.add_parameter("pw", secret=True))


def test_a_duplicate_name_leaves_nothing_behind(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_container("Cache", "busybox")
    with pytest.raises(aspyre.DuplicateResourceError, match="Resource names are case-insensitive"):
        b.add_redis("cache")
    assert [r.name for r in b.resources] == ["Cache"]


def test_names_are_validated(tmp_path: Path) -> None:
    with pytest.raises(aspyre.InvalidNameError):
        make_builder(tmp_path).add_redis("my_cache")


# --------------------------------------------------------------------------- connection information


def test_connection_string_expression(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    pw = b.add_parameter("pass", "p@ssw0rd1")
    r = b.add_redis("myRedis", password=pw).resource
    assert r.connection_string_expression.value_expression == (
        "{myRedis.bindings.tcp.host}:{myRedis.bindings.tcp.port},password={pass.value}"
    )


def test_connection_properties(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    r = b.add_redis("redis", password=b.add_parameter("password", secret=True)).resource
    props = [(k, aspyre.ReferenceExpression.format("{}", v).value_expression) for k, v in r.connection_properties()]
    assert props == [
        ("Host", "{redis.bindings.tcp.host}"),
        ("Port", "{redis.bindings.tcp.port}"),
        ("Password", "{password.value}"),
        ("Uri", "{redis.bindings.tcp.scheme}://:{password.value}@{redis.bindings.tcp.host}:{redis.bindings.tcp.port}"),
    ]


async def test_live_connection_string_and_reference_variables(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    # characters that must be percent-encoded in the URI, kept as they are elsewhere
    pw = b.add_parameter("pass", "p@ss/w:rd 1")
    cache = b.add_redis("cache", password=pw)
    api = b.add_executable("api", "python", "api.py").with_reference(cache)
    allocate(cache.resource, 5001)

    value = await cache.resource.connection_string_expression.get_value(ValueContext())
    assert value == "127.0.0.1:5001,password=p@ss/w:rd 1"
    assert await resolved_env(api.resource) == {
        "ConnectionStrings__cache": "127.0.0.1:5001,password=p@ss/w:rd 1",
        "CACHE_HOST": "127.0.0.1",
        "CACHE_PORT": "5001",
        "CACHE_PASSWORD": "p@ss/w:rd 1",
        "CACHE_URI": "redis://:p%40ss%2Fw%3Ard%201@127.0.0.1:5001",
    }


async def test_a_container_gets_the_container_network_address(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("cache", password=b.add_parameter("pass", "pw"))
    worker = b.add_container("worker", "busybox").with_reference(cache)
    allocate(cache.resource, 5001)
    env = await resolved_env(worker.resource, KnownNetworks.CONTAINER)
    assert env["ConnectionStrings__cache"] == "cache:6379,password=pw"
    assert env["CACHE_URI"] == "redis://:pw@cache:6379"


async def test_with_password_none_turns_authentication_off(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("cache").with_password(None)
    api = b.add_executable("api", "python").with_reference(cache)
    r = cache.resource
    assert r.password_parameter is None
    assert r.connection_string_expression.value_expression == "{cache.bindings.tcp.host}:{cache.bindings.tcp.port}"
    allocate(r, 5001)
    assert await resolved_env(r) == {}
    assert await resolved_args(r) == ["-c", "exec redis-server"]
    assert await resolved_env(api.resource) == {
        "ConnectionStrings__cache": "127.0.0.1:5001",
        "CACHE_HOST": "127.0.0.1",
        "CACHE_PORT": "5001",
        "CACHE_URI": "redis://127.0.0.1:5001",
    }


async def test_with_password_replaces_the_password(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    other = b.add_parameter("other", "s3cret")
    cache = b.add_redis("cache").with_password(None).with_password(other)
    assert cache.resource.password_parameter is other.resource
    assert await resolved_env(cache.resource) == {"REDIS_PASSWORD": "s3cret"}
    with pytest.raises(TypeError, match="must be a parameter"):
        cache.with_password("plain text")


# --------------------------------------------------------------------------- the server's command line


async def test_password_goes_through_the_environment_not_the_command_line(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("cache", password=b.add_parameter("pass", "pw-123"))
    assert await resolved_env(cache.resource) == {"REDIS_PASSWORD": "pw-123"}
    args = await resolved_args(cache.resource)
    assert args == ["-c", 'exec redis-server --requirepass "$REDIS_PASSWORD"']
    assert not any("pw-123" in (a or "") for a in args)


async def test_with_persistence(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("cache").with_persistence()
    assert await resolved_args(cache.resource) == [
        "-c",
        'exec redis-server --requirepass "$REDIS_PASSWORD" --save 60 1',
    ]
    cache.with_persistence(dt.timedelta(minutes=5), 100)
    assert (await resolved_args(cache.resource))[1].endswith("--save 300 100")  # type: ignore[union-attr]
    assert len(cache.resource.annotations.all(aspyre_redis.RedisPersistenceAnnotation)) == 1


@pytest.mark.parametrize(("interval", "threshold"), [(0, 1), (1.5, 1), (-1, 1), (60, -1), (60, 1.0), ("60", 1)])
def test_with_persistence_rejects_bad_settings(tmp_path: Path, interval: Any, threshold: Any) -> None:
    cache = make_builder(tmp_path).add_redis("cache")
    with pytest.raises(ValueError, match="Redis resource 'cache'"):
        cache.with_persistence(interval, threshold)


async def test_extra_arguments_reach_redis_server(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    cache = b.add_redis("cache").with_password(None).with_args("--maxmemory", "64mb")
    assert await resolved_args(cache.resource) == [
        "-c",
        'exec redis-server "$@"',
        "redis-server",
        "--maxmemory",
        "64mb",
    ]


# --------------------------------------------------------------------------- data


def test_data_volume_defaults(tmp_path: Path) -> None:
    app_dir = tmp_path / "My App"
    cache = make_builder(app_dir).add_redis("myRedis").with_data_volume()
    (mount,) = cache.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    # tmp_path's file system respects case: the path is hashed as it is ("My App", not "my app")
    digest = hashlib.sha256(str((app_dir / "apphost.py").resolve()).encode()).hexdigest()[:10]
    assert mount.source == f"my_app-{digest}-myRedis-data"
    assert (mount.target, mount.type, mount.read_only) == ("/data", aspyre.annotations.ContainerMountType.VOLUME, False)
    # persistence is turned on
    persistence = cache.resource.persistence
    assert persistence is not None
    assert (persistence.interval, persistence.keys_changed_threshold) == (60, 1)


def test_data_volume_name_is_stable_per_app_host(tmp_path: Path) -> None:
    def name(app_dir: Path) -> str | None:
        cache: aspyre.ResourceBuilder[RedisResource] = make_builder(app_dir).add_redis("cache").with_data_volume()
        return cache.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)[0].source

    assert name(tmp_path / "a") == name(tmp_path / "a")
    assert name(tmp_path / "a") != name(tmp_path / "b")


def test_read_only_data_volume_does_not_turn_persistence_on(tmp_path: Path) -> None:
    cache = make_builder(tmp_path).add_redis("cache").with_data_volume("seed", read_only=True)
    (mount,) = cache.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    assert (mount.source, mount.read_only) == ("seed", True)
    assert cache.resource.persistence is None


def test_data_volume_keeps_earlier_persistence_settings(tmp_path: Path) -> None:
    cache = make_builder(tmp_path).add_redis("cache").with_persistence(10, 2).with_data_volume()
    persistence = cache.resource.persistence
    assert persistence is not None
    assert (persistence.interval, persistence.keys_changed_threshold) == (10, 2)


@pytest.mark.parametrize("read_only", [False, True])
def test_data_bind_mount(tmp_path: Path, read_only: bool) -> None:
    cache = make_builder(tmp_path).add_redis("cache").with_data_bind_mount("mydata", read_only=read_only)
    (mount,) = cache.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    assert mount.source == str((tmp_path / "mydata").resolve())
    assert (mount.target, mount.type, mount.read_only) == ("/data", aspyre.annotations.ContainerMountType.BIND_MOUNT, read_only)
    assert (cache.resource.persistence is None) == read_only


def test_with_host_port(tmp_path: Path) -> None:
    cache = make_builder(tmp_path).add_redis("cache").with_host_port(1000)
    assert cache.resource.primary_endpoint.annotation.port == 1000
    cache.with_host_port(None)
    assert cache.resource.primary_endpoint.annotation.port is None
    with pytest.raises(ValueError, match="port must be an int"):
        cache.with_host_port(70000)


# --------------------------------------------------------------------------- entry points


def test_methods_come_from_entry_points() -> None:
    reg = aspyre.plugins.registry()
    assert reg.builder_method("add_redis") is aspyre_redis.add_redis
    for name in (
        "with_persistence",
        "with_data_volume",
        "with_data_bind_mount",
        "with_host_port",
        "with_password",
        "with_redis_commander",
        "with_redis_insight",
    ):
        found = [fn for entry, fn in reg.resource_methods(name) if entry.distribution == "aspyre-redis"]
        assert found == [getattr(aspyre_redis, name)], name


def test_redis_methods_do_not_apply_to_other_containers(tmp_path: Path) -> None:
    web = make_builder(tmp_path).add_container("web", "nginx")
    with pytest.raises(AttributeError, match=r"with_persistence.*RedisResource"):
        web.with_persistence()


# --------------------------------------------------------------------------- helper containers


def test_one_redis_commander_serves_every_redis(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    r1 = b.add_redis("myredis1").with_redis_commander()
    r2 = b.add_redis("myredis2").with_redis_commander()
    (commander,) = [r for r in b.resources if isinstance(r, RedisCommanderResource)]
    assert commander.name == "rediscommander"
    image = commander.image
    assert image is not None
    assert image.full_name == "docker.io/rediscommander/redis-commander:latest"
    (ep,) = commander.annotations.all(aspyre.annotations.EndpointAnnotation)
    assert (ep.name, ep.scheme, ep.target_port, ep.port) == ("http", "http", 8081, None)
    ignore = commander.annotations.last(aspyre.annotations.ManifestPublishingCallbackAnnotation)
    assert ignore is not None
    assert ignore.callback is None
    rels = [(a.resource, a.type) for a in commander.annotations.all(aspyre.annotations.ResourceRelationshipAnnotation)]
    assert rels == [(r1.resource, "RedisCommander"), (r2.resource, "RedisCommander")]


async def test_redis_commander_hosts_use_the_container_network(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    pw = b.add_parameter("pass", "p@ssw0rd1")
    r1 = b.add_redis("myredis1", password=pw).with_redis_commander()
    r2 = b.add_redis("myredis2").with_password(None)
    app = b.build()
    allocate(r1.resource, 5001)
    allocate(r2.resource, 5002)
    commander = app.get_resource("rediscommander")
    env = await resolved_env(commander, KnownNetworks.CONTAINER)
    assert env == {"REDIS_HOSTS": "myredis1:myredis1:6379:0:p@ssw0rd1,myredis2:myredis2:6379:0"}


async def test_redis_insight_variables(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    r1 = b.add_redis("myredis1", password=b.add_parameter("pw1", "one")).with_redis_insight()
    r2 = b.add_redis("myredis2", password=b.add_parameter("pw2", "two")).with_redis_insight()
    r3 = b.add_redis("myredis3").with_redis_insight().with_password(None)
    for i, r in enumerate((r1, r2, r3)):
        allocate(r.resource, 5001 + i)
    (insight,) = [r for r in b.resources if isinstance(r, RedisInsightResource)]
    assert insight.name == "redisinsight"
    image = insight.image
    assert image is not None
    assert image.full_name == "docker.io/redis/redisinsight:3.0"
    assert insight.primary_endpoint.annotation.target_port == 5540
    env = await resolved_env(insight, KnownNetworks.CONTAINER)
    assert list(env.items()) == [
        ("RI_REDIS_HOST1", "myredis1"),
        ("RI_REDIS_PORT1", "6379"),
        ("RI_REDIS_ALIAS1", "myredis1"),
        ("RI_REDIS_PASSWORD1", "one"),
        ("RI_REDIS_HOST2", "myredis2"),
        ("RI_REDIS_PORT2", "6379"),
        ("RI_REDIS_ALIAS2", "myredis2"),
        ("RI_REDIS_PASSWORD2", "two"),
        ("RI_REDIS_HOST3", "myredis3"),
        ("RI_REDIS_PORT3", "6379"),
        ("RI_REDIS_ALIAS3", "myredis3"),
    ]
    # computing it twice gives the same (callbacks are idempotent)
    assert await resolved_env(insight, KnownNetworks.CONTAINER) == env


def test_helpers_can_be_configured(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    configured: list[Any] = []

    def configure(c: aspyre.ResourceBuilder[Any]) -> None:
        configured.append(c.resource)
        c.with_image("example.mycompany.com/customrediscommander", "someothertag").with_host_port(1000)

    b.add_redis("one").with_redis_commander(configure, name="commander")
    b.add_redis("two").with_redis_commander(configure, name="ignored")  # the existing one is configured again
    (commander,) = [r for r in b.resources if isinstance(r, RedisCommanderResource)]
    assert commander.name == "commander"
    assert configured == [commander, commander]
    image = commander.image
    assert image is not None
    assert (image.registry, image.image, image.tag) == ("example.mycompany.com", "customrediscommander", "someothertag")
    assert commander.primary_endpoint.annotation.port == 1000


def test_redis_insight_data_volume(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_redis("cache").with_redis_insight(lambda c: c.with_data_volume().with_host_port(5540))
    (insight,) = [r for r in b.resources if isinstance(r, RedisInsightResource)]
    (mount,) = insight.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    assert mount.source is not None
    assert mount.source.endswith("-redisinsight-data")
    assert mount.target == "/data"
    assert insight.primary_endpoint.annotation.port == 5540
    with pytest.raises(AttributeError, match="with_persistence"):
        b.create_resource_builder(insight).with_persistence()


async def test_helpers_relate_to_redis_resources_added_later(tmp_path: Path) -> None:
    b = make_builder(tmp_path, "--publisher", "manifest", "--output-path", str(tmp_path / "out"))
    first = b.add_redis("first").with_redis_commander()
    second = b.add_redis("second")
    app = b.build()
    await app.eventing.publish(aspyre.events.BeforeStartEvent(app=app))
    commander = app.get_resource("rediscommander")
    related = {a.resource.name for a in commander.annotations.all(aspyre.annotations.ResourceRelationshipAnnotation)}
    assert related == {first.name, second.name}


# --------------------------------------------------------------------------- health check


async def test_health_check_before_allocation_is_unhealthy(tmp_path: Path) -> None:
    cache = make_builder(tmp_path).add_redis("cache", password=None)
    check = aspyre_redis.RedisHealthCheck(cache.resource)
    result = await check(aspyre.HealthCheckContext(cache.resource))
    assert result.status is aspyre.HealthStatus.UNHEALTHY
    assert result.description is not None
    assert "not been allocated" in result.description


async def test_health_check_against_a_closed_port_is_unhealthy(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    b = make_builder(tmp_path)
    cache = b.add_redis("cache").with_password(None)
    allocate(cache.resource, port)
    result = await aspyre_redis.RedisHealthCheck(cache.resource, timeout=2)(aspyre.HealthCheckContext(cache.resource))
    assert result.status is aspyre.HealthStatus.UNHEALTHY
    assert result.description is not None
    assert f"PING 127.0.0.1:{port} failed" in result.description
