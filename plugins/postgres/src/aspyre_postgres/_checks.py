"""Run mode: health checks and database creation, with psycopg in worker threads."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import attrs

import aspyre

from ._health import CREATION_WAIT, MAINTENANCE_DATABASE
from ._resources import DEFAULT_USER_NAME, PostgresDatabaseResource, PostgresServerResource, data_directory_for_tag

if TYPE_CHECKING:
    import logging

    import anyio
    import psycopg

    from ._health import PostgresHealthCheck

# anyio is imported where checks run (run mode): an app host that only builds its model does not need it.

__all__ = [
    "CONNECT_TIMEOUT",
    "ConnectInfo",
    "DatabaseCreationResult",
    "check",
    "connect_info",
    "create_databases",
    "describe_connection_error",
]

#: Seconds a health check or the database creation waits for a connection (libpq's minimum is 2).
CONNECT_TIMEOUT = 5
#: SQLSTATEs: duplicate_database, invalid_password, invalid_catalog_name.
SQLSTATE_DUPLICATE_DATABASE = "42P04"
SQLSTATE_INVALID_PASSWORD = "28P01"
SQLSTATE_INVALID_CATALOG_NAME = "3D000"


@attrs.frozen(repr=False)
class ConnectInfo:
    """How the app host reaches a server (host port on 127.0.0.1), for one database."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``psycopg.connect``."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.dbname,
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": "aspyre",
        }

    def __repr__(self) -> str:  # never show the password
        return f"ConnectInfo({self.user}@{self.host}:{self.port}/{self.dbname})"


async def connect_info(server: PostgresServerResource, dbname: str) -> ConnectInfo:
    """The live connection details of ``server`` from the app host, for database ``dbname``."""
    endpoint = server.primary_endpoint
    context = aspyre.model.ValueContext(network=aspyre.model.KnownNetworks.LOCALHOST)
    user = await aspyre.model.resolve_value(server.user_name, context)
    password = await aspyre.model.resolve_value(server.password_parameter, context)
    return ConnectInfo(endpoint.host, endpoint.port, user or DEFAULT_USER_NAME, password or "", dbname)


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None)
    return state if isinstance(state, str) else None


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _refused_password(exc: BaseException) -> bool:
    return _sqlstate(exc) == SQLSTATE_INVALID_PASSWORD or "password authentication failed" in str(exc)


def _persistent_data_mount(server: PostgresServerResource) -> aspyre.annotations.ContainerMountAnnotation | None:
    """The volume or bind mount that keeps the server's data directory across runs, if any."""
    image = server.image
    data_dir = data_directory_for_tag(image.tag if image is not None else None)
    candidates = (data_dir, "/var/lib/postgresql", "/var/lib/postgresql/data")
    for mount in reversed(server.annotations.all(aspyre.annotations.ContainerMountAnnotation)):
        if mount.source and mount.target.rstrip("/") in candidates:
            return mount
    return None


def describe_connection_error(server: PostgresServerResource, info: ConnectInfo, exc: BaseException) -> str:
    """A health-report description for a failed connection that says what to do when it can.

    A refused password on a server whose data lives in a volume almost always means the volume
    was initialised (on an earlier run) with another password: the image sets the password only
    when it initialises an empty data directory.
    """
    text = _message(exc)
    if _refused_password(exc):
        base = f'password authentication failed for user "{info.user}"'
        mount = _persistent_data_mount(server)
        password = server.password_parameter.name
        if mount is None:
            return f"{base} on server {server.name!r} (the password is the value of parameter {password!r}): {text}"
        if mount.type is aspyre.annotations.ContainerMountType.VOLUME:
            return (
                f"{base}: the data volume {mount.source} was initialised with a different password; remove the "
                f"volume or restore the password. The PostgreSQL image sets the password only when it initialises "
                f"an empty data directory, so a changed value of parameter {password!r} (or of the user name) is "
                f"not applied to existing data. To start over: docker volume rm {mount.source}"
            )
        return (
            f"{base}: the data directory {mount.source} (bind mount) was initialised with a different password; "
            f"empty the directory or restore the password. The PostgreSQL image sets the password only when it "
            f"initialises an empty data directory, so a changed value of parameter {password!r} (or of the user "
            "name) is not applied to existing data."
        )
    return text


async def check(health_check: PostgresHealthCheck, context: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
    """``PostgresHealthCheck.__call__``: the check's result for ``context``."""
    import anyio.to_thread

    if health_check.database is not None and not health_check.database.creation_attempted:
        # Connecting now would only log "database does not exist" in the server's log. Wait a
        # little for the creation instead, so the database is reported healthy right after it.
        with anyio.move_on_after(CREATION_WAIT):
            await _creation_attempted(health_check.database).wait()
    if health_check.database is not None and not health_check.database.creation_attempted:
        return aspyre.HealthCheckResult.unhealthy(
            f"waiting for server {health_check.server.name!r} to be ready and create database "
            f"{health_check.database.database_name!r}"
        )
    info = await connect_info(health_check.server, health_check.dbname)
    run = _server_run(health_check, context)
    create = health_check.database is None and run is not None and run != health_check.databases_created_for
    if create:
        creating = health_check._creating.get(run)
        if creating is not None:  # this check runs for a database too: one creation per server run
            await creating.wait()
            create = run != health_check.databases_created_for
    try:
        if create:
            health_check._creating[run] = done = anyio.Event()
            try:
                version, results = await anyio.to_thread.run_sync(
                    _probe_and_create, info, list(health_check.server.database_resources), abandon_on_cancel=True
                )
                health_check.databases_created_for = run
                _record_creation(results, _server_logger(health_check, context))
            finally:
                health_check._creating.pop(run, None)
                done.set()
        else:
            version = await anyio.to_thread.run_sync(_probe, info, abandon_on_cancel=True)
    except Exception as exc:
        description = _describe(health_check, info, exc)
        if health_check.database is None and _refused_password(exc) and description != health_check._logged:
            # The console shows states, not health reports: say it once in the server's log too.
            health_check._logged = description
            logger = _server_logger(health_check, context)
            if logger is not None:
                logger.warning("%s", description)
        return aspyre.HealthCheckResult.unhealthy(description)
    health_check._logged = None
    where = f"database {info.dbname!r} on {info.host}:{info.port}"
    return aspyre.HealthCheckResult.healthy(f"connected to {where} ({version})")


def _server_run(health_check: PostgresHealthCheck, context: aspyre.HealthCheckContext) -> object | None:
    """What tells the server's current run from its others (when it last became Running); ``None``
    outside an app (then the server's resource-ready handler creates the databases)."""
    app = context.app
    if app is None or not health_check.server.database_resources:
        return None
    snapshot = app.resource_notifications.get_snapshot(health_check.server)
    return None if snapshot is None else snapshot.start_time_stamp


def _server_logger(health_check: PostgresHealthCheck, context: aspyre.HealthCheckContext) -> logging.Logger | None:
    app = context.app
    return app.resource_loggers.get_logger(health_check.server) if app is not None else None


def _describe(health_check: PostgresHealthCheck, info: ConnectInfo, exc: BaseException) -> str:
    db = health_check.database
    missing = f'database "{db.database_name}" does not exist' if db is not None else None
    if db is not None and (_sqlstate(exc) == SQLSTATE_INVALID_CATALOG_NAME or (missing and missing in str(exc))):
        where = f"database {db.database_name!r} on server {health_check.server.name!r}"
        if db.creation_error is not None:
            return f"{where} could not be created: {db.creation_error}"
        if db.creation_script is not None:
            return f"{where} does not exist: its creation script ran without error but did not create it"
        return f"{where} does not exist (it was created when the server became ready; was it dropped?)"
    return describe_connection_error(health_check.server, info, exc)


#: Run mode: set once a database's server tried to create it (made on first use, in the event loop).
_CREATION_EVENTS: weakref.WeakKeyDictionary[PostgresDatabaseResource, anyio.Event] = weakref.WeakKeyDictionary()


def _creation_attempted(database: PostgresDatabaseResource) -> anyio.Event:
    event = _CREATION_EVENTS.get(database)
    if event is None:
        import anyio

        event = _CREATION_EVENTS[database] = anyio.Event()
    return event


def _probe(info: ConnectInfo) -> str:
    import psycopg

    with psycopg.connect(**info.kwargs()) as conn:
        row = conn.execute("SELECT current_setting('server_version')").fetchone()
    return f"PostgreSQL {row[0]}" if row else "PostgreSQL"


def _probe_and_create(
    info: ConnectInfo, databases: list[PostgresDatabaseResource]
) -> tuple[str, list[DatabaseCreationResult]]:
    """The server check's probe, then the databases created on the same connection (the first success)."""
    import psycopg

    with psycopg.connect(**info.kwargs(), autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('server_version')").fetchone()
        results = _create_on(conn, databases)
    return (f"PostgreSQL {row[0]}" if row else "PostgreSQL"), results


@attrs.frozen
class DatabaseCreationResult:
    """What happened to one database: ``created``, ``exists`` or ``failed`` (with the error)."""

    resource: PostgresDatabaseResource
    outcome: str
    error: str | None = None


def _create_sync(info: ConnectInfo, databases: list[PostgresDatabaseResource]) -> list[DatabaseCreationResult]:
    import psycopg

    with psycopg.connect(**info.kwargs(), autocommit=True) as conn:
        return _create_on(conn, databases)


def _create_on(
    conn: psycopg.Connection[Any], databases: list[PostgresDatabaseResource]
) -> list[DatabaseCreationResult]:
    """Create each database on *conn* (autocommit, on the maintenance database); one failure stops none."""
    import psycopg
    from psycopg import sql

    results: list[DatabaseCreationResult] = []
    for db in databases:
        script = db.creation_script
        try:
            if script is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.database_name)))
            else:
                # The app host's own SQL (with_creation_script), trusted as the app host is; psycopg's
                # types ask for a LiteralString, which only pyright tells from a str.
                query: Any = script
                conn.execute(query)
        except psycopg.Error as exc:
            if _sqlstate(exc) == SQLSTATE_DUPLICATE_DATABASE:
                results.append(DatabaseCreationResult(db, "exists"))
            else:
                results.append(DatabaseCreationResult(db, "failed", _message(exc)))
        else:
            results.append(DatabaseCreationResult(db, "created"))
    return results


async def create_databases(
    server: PostgresServerResource, logger: logging.Logger | None = None
) -> list[DatabaseCreationResult]:
    """Create every database added to ``server`` (its creation script, else ``CREATE DATABASE``).

    A database that already exists is fine. A database that cannot be created is reported in
    the log and in its health check; the others are still created. Raises if the server cannot
    be reached at all.
    """
    databases = list(server.database_resources)
    if not databases:
        return []
    for db in databases:
        db.creation_error = None
    info = await connect_info(server, MAINTENANCE_DATABASE)
    import anyio.to_thread

    try:
        results = await anyio.to_thread.run_sync(_create_sync, info, databases, abandon_on_cancel=True)
    except Exception as exc:
        text = describe_connection_error(server, info, exc)
        for db in databases:
            db.creation_error = f"could not connect to the server: {text}"
            _attempted(db)
        raise RuntimeError(f"Could not create the databases of PostgreSQL server {server.name!r}: {text}") from exc
    _record_creation(results, logger)
    return results


def _attempted(db: PostgresDatabaseResource) -> None:
    db.creation_attempted = True
    _creation_attempted(db).set()


def _record_creation(results: list[DatabaseCreationResult], logger: logging.Logger | None) -> None:
    """Keep each database's outcome (its check reports a failure) and say it in the server's log."""
    for result in results:
        db = result.resource
        name = db.database_name
        db.creation_error = result.error if result.outcome == "failed" else None
        _attempted(db)
        if result.outcome == "failed":
            if logger is not None:
                logger.error("Failed to create database %r: %s", name, result.error)
        elif logger is not None and result.outcome == "exists":
            logger.info("Database %r already exists", name)
        elif logger is not None and db.creation_script is not None:
            logger.info("Ran the creation script of database %r", name)
        elif logger is not None:
            logger.info("Created database %r", name)
