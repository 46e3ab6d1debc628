"""The builder methods: ``builder.add_postgres(...)`` and the ``with_*`` methods of its resources."""

from __future__ import annotations

import os
from typing import Any

import aspyre

from ._deploy import READINESS_PROBE, add_databases_script
from ._health import PostgresHealthCheck
from ._resources import (
    INIT_FILES_PATH,
    POSTGRES_IMAGE,
    POSTGRES_TAG,
    PRIMARY_ENDPOINT_NAME,
    PostgresDatabaseResource,
    PostgresServerResource,
    data_directory_for_tag,
)

__all__ = [
    "add_database",
    "add_postgres",
    "with_data_bind_mount",
    "with_data_volume",
    "with_host_port",
    "with_init_files",
    "with_password",
    "with_user_name",
]

ServerBuilder = aspyre.ResourceBuilder[PostgresServerResource]
DatabaseBuilder = aspyre.ResourceBuilder[PostgresDatabaseResource]
#: pgAdmin's and pgweb's types, named (``_tools`` is imported when an app host adds one, not before).
PGADMIN = "aspyre_postgres._tools:PgAdminContainerResource"
PGWEB = "aspyre_postgres._tools:PgWebContainerResource"


def _parameter(value: object, what: str, resource: str) -> aspyre.ParameterResource:
    target = getattr(value, "resource", value)
    if not isinstance(target, aspyre.ParameterResource):
        raise TypeError(
            f"PostgreSQL server {resource!r}: {what} must be a parameter (builder.add_parameter(...)), "
            f"not {type(value).__name__}"
        )
    return target


# --------------------------------------------------------------------------- server


def add_postgres(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    user_name: aspyre.ResourceBuilder[aspyre.ParameterResource] | aspyre.ParameterResource | None = None,
    password: aspyre.ResourceBuilder[aspyre.ParameterResource] | aspyre.ParameterResource | None = None,
    port: int | None = None,
) -> ServerBuilder:
    """Add a PostgreSQL server container (image ``docker.io/library/postgres:17.6``).

    * ``user_name``: a parameter; default user ``postgres``.
    * ``password``: a parameter; default a generated secret parameter ``{name}-password``, kept in
      the app host's secrets store so a data volume keeps accepting it on the next run.
    * ``port``: the host port; default a free one.

    The server's endpoint is ``tcp`` (target port 5432). It is healthy once the app host can
    connect to its ``postgres`` database; databases added with ``add_database`` are created as
    soon as it is ready.
    """
    # Every name is checked first, so that a clash leaves nothing behind.
    aspyre.plugins.check_name_available(builder, name, PostgresServerResource)
    generated: aspyre.ParameterResource | None = None
    if password is None:
        aspyre.plugins.check_name_available(
            builder,
            f"{name}-password",
            aspyre.ParameterResource,
            hint=f"add_postgres({name!r}) adds it as the generated password: pass your parameter as password= instead.",
        )
        generated = password_parameter = builder.add_parameter(
            f"{name}-password", secret=True, default=aspyre.GenerateParameterDefault()
        ).resource
    else:
        password_parameter = _parameter(password, "password", name)
    user_parameter = None if user_name is None else _parameter(user_name, "user_name", name)
    server = PostgresServerResource(name, user_name_parameter=user_parameter, password_parameter=password_parameter)
    rb = builder.add_resource(server)
    rb.with_image(POSTGRES_IMAGE, POSTGRES_TAG)
    rb.with_endpoint(port=port, target_port=5432, name=PRIMARY_ENDPOINT_NAME, scheme="tcp")
    rb.with_environment("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
    rb.with_environment("POSTGRES_INITDB_ARGS", "--auth-host=scram-sha-256 --auth-local=scram-sha-256")

    def credentials(context: aspyre.annotations.EnvironmentCallbackContext) -> None:
        # Read when the environment is computed, so with_user_name/with_password apply.
        context.environment["POSTGRES_USER"] = server.user_name
        context.environment["POSTGRES_PASSWORD"] = server.password_parameter

    rb.with_environment(credentials)
    check = PostgresHealthCheck(server)
    rb.with_health_check(f"{name}_check", check)
    rb.with_annotation(READINESS_PROBE)

    async def databases_script(event: aspyre.events.BeforeStartEvent) -> None:
        await add_databases_script(event, server)

    builder.eventing.subscribe(aspyre.events.BeforeStartEvent, databases_script)

    async def on_ready(event: aspyre.events.ResourceReadyEvent) -> None:
        app = event.app
        snapshot = app.resource_notifications.get_snapshot(server) if app is not None else None
        run = snapshot.start_time_stamp if snapshot is not None else None
        if run is not None and check.databases_created_for == run:
            return  # the check that found the server ready created them, on its connection
        logger = app.resource_loggers.get_logger(server) if app is not None else None
        from ._checks import create_databases  # run mode only: psycopg's side, not needed to build a model

        await create_databases(server, logger)

    builder.eventing.subscribe(aspyre.events.ResourceReadyEvent, on_ready, resource=server)
    if generated is not None:
        # with_password() may replace it: then no manifest asks for it.
        aspyre.plugins.exclude_from_manifest_if_unused(builder, generated)
    return rb


@aspyre.plugins.resource_extension(PostgresServerResource)
def add_database(builder: ServerBuilder, name: str, database_name: str | None = None) -> DatabaseBuilder:
    """Add a database to the server: a child resource, created when the server is ready.

    ``database_name`` defaults to ``name``. Its connection string is the server's plus
    ``;Database={database_name}``; resources that ``wait_for`` it start only once it exists.
    """
    server = builder.resource
    aspyre.model.validate_name("Resource", name)
    db_name = name if database_name is None else database_name
    database = PostgresDatabaseResource(name, parent=server, database_name=db_name)
    db_builder = builder.application_builder.add_resource(database)
    server.databases.setdefault(name, db_name)
    server.database_resources.append(database)
    db_builder.with_health_check(f"{name}_check", PostgresHealthCheck(server, database))
    return db_builder


def _data_directory(builder: ServerBuilder) -> str:
    image = builder.resource.image
    return data_directory_for_tag(image.tag if image is not None else POSTGRES_TAG)


#: ``{app}-{hash}-{resource}-{suffix}``, stable for one app host (the core's naming, as Aspire's).
data_volume_name = aspyre.plugins.volume_name


@aspyre.plugins.resource_extension(PostgresServerResource)
def with_data_volume(builder: ServerBuilder, name: str | None = None, read_only: bool = False) -> ServerBuilder:
    """Keep the server's data in a named volume (default ``{app}-{hash}-{name}-data``).

    The volume is mounted at ``/var/lib/postgresql/data`` (``/var/lib/postgresql`` for image
    tags 18 and later). It outlives the app host: the next run finds the same data, users and
    password. The image sets the password only when it initialises an empty volume; see the
    docs on changing it.
    """
    volume = name if name is not None else data_volume_name(builder, "data")
    return builder.with_volume(volume, _data_directory(builder), read_only)


@aspyre.plugins.resource_extension(PostgresServerResource)
def with_data_bind_mount(builder: ServerBuilder, source: str | os.PathLike[str], read_only: bool = False) -> ServerBuilder:
    """Keep the server's data in a host directory (relative to the app host's directory)."""
    if not str(source):
        raise ValueError(f"PostgreSQL server {builder.resource.name!r}: with_data_bind_mount() needs a source path")
    return builder.with_bind_mount(source, _data_directory(builder), read_only)


@aspyre.plugins.resource_extension(PostgresServerResource)
def with_init_files(builder: ServerBuilder, source: str | os.PathLike[str]) -> ServerBuilder:
    """Run SQL/shell scripts when the server initialises an empty data directory.

    ``source`` is a directory (its ``*.sql``, ``*.sql.gz``, ``*.sh`` files run in name order) or
    a single file, relative to the app host's directory. It is bind-mounted read-only at
    ``/docker-entrypoint-initdb.d`` (Aspire copies the files into the container instead).
    """
    server = builder.resource
    path = builder.application_builder.resolve_path(source)
    if not path.exists():
        raise FileNotFoundError(
            f"PostgreSQL server {server.name!r}: init files {str(path)!r} do not exist; give a directory of "
            "*.sql / *.sh scripts or one script file"
        )
    existing = [
        m
        for m in server.annotations.all(aspyre.annotations.ContainerMountAnnotation)
        if m.target.startswith(INIT_FILES_PATH)
    ]
    target = INIT_FILES_PATH if path.is_dir() else f"{INIT_FILES_PATH}/{path.name}"
    for mount in existing:
        if mount.target == INIT_FILES_PATH or target == INIT_FILES_PATH or mount.target == target:
            raise ValueError(
                f"PostgreSQL server {server.name!r} already has init files from {mount.source!r} at {mount.target}; "
                "put all scripts in one directory, or add single files with different names"
            )
    return builder.with_bind_mount(path, target, read_only=True)


@aspyre.plugins.resource_extension(PostgresServerResource, PGADMIN, PGWEB)
def with_host_port(builder: aspyre.ResourceBuilder[Any], port: int | None) -> aspyre.ResourceBuilder[Any]:
    """Expose the server (its ``tcp`` endpoint) or pgAdmin/pgweb (``http``) on this host port (``None``: a free one)."""
    if port is not None and not (isinstance(port, int) and 0 < port < 65536):
        raise ValueError(f"Resource {builder.resource.name!r}: host port must be 1-65535 or None, not {port!r}")
    endpoint = PRIMARY_ENDPOINT_NAME if isinstance(builder.resource, PostgresServerResource) else "http"

    def configure(annotation: aspyre.annotations.EndpointAnnotation) -> None:
        annotation.port = port

    return builder.with_endpoint_configuration(endpoint, configure)


@aspyre.plugins.resource_extension(PostgresServerResource)
def with_password(
    builder: ServerBuilder, password: aspyre.ResourceBuilder[aspyre.ParameterResource] | aspyre.ParameterResource
) -> ServerBuilder:
    """Use this parameter as the password (replaces the generated one)."""
    builder.resource.password_parameter = _parameter(password, "password", builder.resource.name)
    return builder


@aspyre.plugins.resource_extension(PostgresServerResource)
def with_user_name(
    builder: ServerBuilder, user_name: aspyre.ResourceBuilder[aspyre.ParameterResource] | aspyre.ParameterResource
) -> ServerBuilder:
    """Use this parameter as the user name (instead of ``postgres``)."""
    builder.resource.user_name_parameter = _parameter(user_name, "user_name", builder.resource.name)
    return builder
