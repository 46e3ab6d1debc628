"""``builder.add_redis(...)`` and the ``with_*`` methods of Redis resource builders.

These functions are registered as entry points (``aspyre.builder_methods`` and
``aspyre.resource_methods``), so app hosts call them as methods and never import this package.
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

import aspyre

from ._health import RedisHealthCheck
from ._resources import PRIMARY_ENDPOINT_NAME, REDIS_IMAGE, REDIS_PORT, REDIS_SCHEME, REDIS_TAG, RedisResource

__all__ = [
    "add_redis",
    "data_volume_name",
    "with_data_bind_mount",
    "with_data_volume",
    "with_host_port",
    "with_password",
]

C = TypeVar("C", bound=aspyre.ContainerResource)

#: Where Redis (and Redis Insight) keep their data inside the container.
DATA_DIRECTORY = "/data"
#: The helper containers' types, named (``_helpers`` is imported when an app host adds one, not before).
COMMANDER = "aspyre_redis._helpers:RedisCommanderResource"
INSIGHT = "aspyre_redis._helpers:RedisInsightResource"


# --------------------------------------------------------------------------- add_redis


def add_redis(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    port: int | None = None,
    password: aspyre.ResourceBuilder[aspyre.ParameterResource] | aspyre.ParameterResource | None = None,
) -> aspyre.ResourceBuilder[RedisResource]:
    """Add a Redis server container (``docker.io/library/redis:8.6``).

    ``port`` is the host port (``None``: a free one is chosen at each run). ``password`` is a
    parameter; without one, a secret parameter ``{name}-password`` is added whose value is
    generated on the first run (letters and digits only, so it fits in the connection string)
    and kept in the app host's secrets store. The password reaches the server through the
    ``REDIS_PASSWORD`` environment variable, never on its command line.

    Resources that reference it receive ``ConnectionStrings__{name}`` (``host:port,password=...``)
    and ``{NAME}_HOST``, ``{NAME}_PORT``, ``{NAME}_PASSWORD``, ``{NAME}_URI``
    (``redis://:password@host:port``). A health check PINGs the server, so ``wait_for(cache)``
    waits until Redis answers.
    """
    # Checked first so that a clash leaves no generated password parameter behind.
    aspyre.plugins.check_name_available(builder, name, RedisResource)
    _check_port(name, port)
    health_check_key = f"{name}_check"
    if health_check_key in builder.health_checks:
        raise ValueError(
            f"Redis resource {name!r}: a health check named {health_check_key!r} is already registered; add_redis "
            "registers its own under that key, so register yours under another name"
        )
    if password is None:
        password_name = f"{name}-password"
        if len(password_name) > 64:
            raise ValueError(
                f"Redis resource name {name!r} is too long for its generated password parameter "
                f"{password_name!r} (names have at most 64 characters): use a shorter name or pass password="
            )
        parameter = builder.add_parameter(
            password_name, secret=True, default=aspyre.GenerateParameterDefault(special=False)
        ).resource
    else:
        parameter = _parameter(name, password)

    resource = RedisResource(name, password_parameter=parameter)
    rb = builder.add_resource(resource)
    if password is None:
        # with_password() may replace it (or turn authentication off): then no manifest asks for it.
        aspyre.plugins.exclude_from_manifest_if_unused(builder, parameter)
    rb.with_image(REDIS_IMAGE, REDIS_TAG)
    rb.with_endpoint(port=port, target_port=REDIS_PORT, scheme=REDIS_SCHEME, name=PRIMARY_ENDPOINT_NAME)
    rb.with_entrypoint("/bin/sh")
    rb.with_environment(_server_environment)
    rb.with_args(_server_arguments)
    # A named check (as Aspire's AddHealthChecks().AddRedis(..., name: key)): other resources can use it
    # by key, e.g. an app that is healthy only while its cache answers: with_health_check("cache_check").
    builder.add_health_check(health_check_key, RedisHealthCheck(resource))
    rb.with_health_check(health_check_key)
    rb.with_annotation(READINESS_PROBE)
    return rb


#: How a deployed Redis is checked (Compose healthcheck, Kubernetes readiness probe): PING from inside the
#: container, with the password from its own environment, so no secret is written in the deployment files.
READINESS_PROBE = aspyre.annotations.CommandProbeAnnotation(
    command=(
        "/bin/sh",
        "-c",
        'if [ -n "$REDIS_PASSWORD" ]; then export REDISCLI_AUTH="$REDIS_PASSWORD"; fi; redis-cli ping | grep -q PONG',
    ),
    period=2.0,
    timeout=3.0,
    failure_threshold=30,
)


def _check_port(name: str, port: object) -> None:
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        raise ValueError(f"Redis resource {name!r}: port must be an int between 1 and 65535 or None, got {port!r}")


def _parameter(name: str, password: object) -> aspyre.ParameterResource:
    target = password.resource if isinstance(password, aspyre.ResourceBuilder) else password
    if not isinstance(target, aspyre.ParameterResource):
        raise TypeError(
            f"Redis resource {name!r}: the password must be a parameter (builder.add_parameter(name, secret=True)) "
            f"or None, not {type(password).__name__}"
        )
    return target


def _server_environment(context: aspyre.annotations.EnvironmentCallbackContext) -> None:
    resource = context.resource
    assert isinstance(resource, RedisResource)
    if resource.password_parameter is not None:
        context.environment["REDIS_PASSWORD"] = resource.password_parameter


def _server_arguments(context: aspyre.annotations.CommandLineArgsCallbackContext) -> None:
    """``-c "exec redis-server [--requirepass "$REDIS_PASSWORD"] [--save I N]"`` for ``/bin/sh``.

    ``exec`` makes redis-server the container's main process, so a stop request (SIGTERM)
    reaches it: it saves its snapshot and exits at once instead of being killed after the grace
    period. Arguments added with ``with_args`` are handed to redis-server through ``"$@"``.
    """
    resource = context.resource
    assert isinstance(resource, RedisResource)
    words = ["exec", "redis-server"]
    if resource.password_parameter is not None:
        words += ["--requirepass", '"$REDIS_PASSWORD"']
    persistence = resource.persistence
    if persistence is not None:
        words += ["--save", str(persistence.interval), str(persistence.keys_changed_threshold)]
    extra = _has_other_arguments(resource)
    if extra:
        words.append('"$@"')
    context.args.extend(["-c", " ".join(words)])
    if extra:
        context.args.append("redis-server")  # $0 of the shell; what follows is "$@"


def _has_other_arguments(resource: aspyre.IResource) -> bool:
    for ann in resource.annotations:
        if isinstance(ann, aspyre.annotations.CommandLineArgsAnnotation) and ann.args:
            return True
        if isinstance(ann, aspyre.annotations.CommandLineArgsCallbackAnnotation) and ann.callback is not _server_arguments:
            return True
    return False


# --------------------------------------------------------------------------- server options


@aspyre.plugins.resource_extension(RedisResource)
def with_password(
    builder: aspyre.ResourceBuilder[RedisResource],
    password: aspyre.ResourceBuilder[aspyre.ParameterResource] | aspyre.ParameterResource | None,
) -> aspyre.ResourceBuilder[RedisResource]:
    """Use ``password`` (a parameter) as the server's password; ``None`` turns authentication off."""
    builder.resource.password_parameter = None if password is None else _parameter(builder.name, password)
    return builder


@aspyre.plugins.resource_extension(RedisResource, INSIGHT)
def with_data_volume(
    builder: aspyre.ResourceBuilder[C], name: str | None = None, read_only: bool = False
) -> aspyre.ResourceBuilder[C]:
    """Keep ``/data`` in a named volume (the server's snapshots, or Redis Insight's settings).

    The default name is derived from the app host's location and the resource's name
    (``{app}-{hash}-{resource}-data``), so it is the same on every run of this app host. On a
    Redis server this also turns persistence on (``with_persistence()``) unless ``read_only``.
    Volumes are never removed by aspyre: ``docker volume rm NAME`` deletes the data.
    """
    builder.with_volume(name if name is not None else data_volume_name(builder, "data"), DATA_DIRECTORY, read_only)
    _persist_unless_read_only(builder, read_only)
    return builder


@aspyre.plugins.resource_extension(RedisResource, INSIGHT)
def with_data_bind_mount(
    builder: aspyre.ResourceBuilder[C], source: str | os.PathLike[str], read_only: bool = False
) -> aspyre.ResourceBuilder[C]:
    """Mount the host directory ``source`` (relative: to the app host's directory) at ``/data``.

    On a Redis server this also turns persistence on (``with_persistence()``) unless ``read_only``.
    """
    if not str(source):
        raise ValueError(f"Resource {builder.name!r}: with_data_bind_mount() needs a source directory")
    builder.with_bind_mount(source, DATA_DIRECTORY, read_only)
    _persist_unless_read_only(builder, read_only)
    return builder


def _persist_unless_read_only(builder: aspyre.ResourceBuilder[Any], read_only: bool) -> None:
    if isinstance(builder.resource, RedisResource) and not read_only and builder.resource.persistence is None:
        from ._persistence import with_persistence

        with_persistence(builder)


@aspyre.plugins.resource_extension(RedisResource, COMMANDER, INSIGHT)
def with_host_port(builder: aspyre.ResourceBuilder[C], port: int | None) -> aspyre.ResourceBuilder[C]:
    """Expose the resource on host port ``port`` (``None``: a free port chosen at each run)."""
    _check_port(builder.name, port)
    endpoint = PRIMARY_ENDPOINT_NAME if isinstance(builder.resource, RedisResource) else "http"

    def set_port(annotation: aspyre.annotations.EndpointAnnotation) -> None:
        annotation.port = port

    return builder.with_endpoint_configuration(endpoint, set_port)


#: ``{app}-{hash}-{resource}-{suffix}``, stable for one app host (the core's naming, as Aspire's).
data_volume_name = aspyre.plugins.volume_name
