"""The PostgreSQL resources: the server (a container), its databases (children), the admin helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import attrs

import aspyre

__all__ = [
    "DEFAULT_USER_NAME",
    "INIT_FILES_PATH",
    "PGADMIN_IMAGE",
    "PGADMIN_TAG",
    "PGWEB_IMAGE",
    "PGWEB_TAG",
    "POSTGRES_IMAGE",
    "POSTGRES_TAG",
    "PRIMARY_ENDPOINT_NAME",
    "PostgresDatabaseResource",
    "PostgresServerResource",
    "data_directory_for_tag",
    "postgres_major_version",
    "quote_connection_string_value",
]

#: The PostgreSQL image (registry included).
POSTGRES_IMAGE = "docker.io/library/postgres"
#: The image tag users get (the one Aspire pins).
POSTGRES_TAG = "17.6"
#: pgAdmin 4, the web administration UI (``with_pgadmin``).
PGADMIN_IMAGE = "docker.io/dpage/pgadmin4"
PGADMIN_TAG = "9.12.0"
#: pgweb, a lighter web client (``with_pgweb``).
PGWEB_IMAGE = "docker.io/sosedoff/pgweb"
PGWEB_TAG = "0.17.0"

#: The server's endpoint: ``tcp``, target port 5432.
PRIMARY_ENDPOINT_NAME = "tcp"
#: The user the image creates unless ``user_name`` is given.
DEFAULT_USER_NAME = "postgres"
#: Where the image looks for scripts to run when it initialises an empty data directory.
INIT_FILES_PATH = "/docker-entrypoint-initdb.d"


def postgres_major_version(tag: str | None) -> int | None:
    """The PostgreSQL major version an image tag names: ``"17.6"`` -> 17, ``"18-alpine"`` -> 18.

    ``None`` for tags that name no version (``latest``, ``alpine``).
    """
    if not tag or not tag.strip():
        return None
    head = tag.strip().split("-", 1)[0].split(".", 1)[0]
    if not head.isdigit():
        return None
    major = int(head)
    return major if major > 0 else None


def data_directory_for_tag(tag: str | None) -> str:
    """The image's data directory: ``/var/lib/postgresql`` from PostgreSQL 18 on, else ``.../data``.

    A tag without a version (``latest``) gets the older path, as in Aspire.
    """
    major = postgres_major_version(tag)
    if major is not None and major >= 18:
        return "/var/lib/postgresql"
    return "/var/lib/postgresql/data"


def quote_connection_string_value(value: str) -> str:
    """A value for a ``key=value;`` connection string, quoted when it must be.

    Plain values stay as they are. A value with ``;``, ``=``, quotes, white space or control
    characters is quoted the way .NET's ``DbConnectionStringBuilder`` does it: in single
    quotes if it contains a double quote but no single quote, else in double quotes with
    inner double quotes doubled.
    """
    if value and not any(ch in ";='\"" or ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return value
    if '"' in value and "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', '""') + '"'


@attrs.define(eq=False, repr=False)
class PostgresServerResource(aspyre.ContainerResource, aspyre.IResourceWithConnectionString):
    """A PostgreSQL server in a container.

    Its connection string is ``Host=...;Port=...;Username=...;Password=...`` (no database);
    referencing resources also get ``{NAME}_HOST``, ``_PORT``, ``_USERNAME``, ``_PASSWORD``,
    ``_URI`` (``postgresql://user:password@host:port``) and ``_JDBCCONNECTIONSTRING``.
    """

    resource_type: ClassVar[str] = "Container"

    #: The user name parameter; ``None`` means the image's default user ``postgres``.
    user_name_parameter: aspyre.ParameterResource | None = attrs.field(default=None, kw_only=True)
    #: The password parameter (a generated secret ``{name}-password`` unless one was given).
    password_parameter: aspyre.ParameterResource = attrs.field(kw_only=True)
    #: Databases to create on the server: resource name -> database name.
    databases: dict[str, str] = attrs.field(factory=dict, kw_only=True)
    #: The database resources added with ``add_database``, in order.
    database_resources: list[PostgresDatabaseResource] = attrs.field(factory=list, init=False, repr=False)

    @property
    def primary_endpoint(self) -> aspyre.EndpointReference:
        """The ``tcp`` endpoint (target port 5432)."""
        return self.get_endpoint(PRIMARY_ENDPOINT_NAME)

    @property
    def host(self) -> aspyre.model.EndpointReferenceExpression:
        """The host of the primary endpoint, as a value."""
        return self.primary_endpoint.property(aspyre.EndpointProperty.HOST)

    @property
    def port(self) -> aspyre.model.EndpointReferenceExpression:
        """The port of the primary endpoint, as a value."""
        return self.primary_endpoint.property(aspyre.EndpointProperty.PORT)

    @property
    def user_name(self) -> str | aspyre.ParameterResource:
        """The user name: the parameter, or ``"postgres"``."""
        return self.user_name_parameter if self.user_name_parameter is not None else DEFAULT_USER_NAME

    @property
    def connection_string_expression(self) -> aspyre.ReferenceExpression:
        """``Host={host};Port={port};Username={user};Password={password}``."""
        return aspyre.ReferenceExpression.format(
            "Host={host};Port={port};Username={user};Password={pw}",
            host=self.host,
            port=self.port,
            user=self.user_name,
            pw=self.password_parameter,
        )

    def uri_expression(self, database_name: str | None = None) -> aspyre.ReferenceExpression:
        """``postgresql://user:password@host:port[/database]``, each part percent-encoded."""
        b = aspyre.model.ReferenceExpressionBuilder()
        b.append_literal("postgresql://")
        b.append_formatted(self.user_name, "uri").append_literal(":")
        b.append_formatted(self.password_parameter, "uri").append_literal("@")
        b.append_formatted(self.host).append_literal(":").append_formatted(self.port)
        if database_name is not None:
            b.append_literal("/").append_formatted(database_name, "uri")
        return b.build()

    def jdbc_connection_string(self, database_name: str | None = None) -> aspyre.ReferenceExpression:
        """``jdbc:postgresql://host:port[/database]`` (no credentials: JDBC takes them separately)."""
        b = aspyre.model.ReferenceExpressionBuilder()
        b.append_literal("jdbc:postgresql://")
        b.append_formatted(self.host).append_literal(":").append_formatted(self.port)
        if database_name is not None:
            b.append_literal("/").append_formatted(database_name, "uri")
        return b.build()

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        """Host, Port, Username, Password, Uri, JdbcConnectionString."""
        return [
            ("Host", self.host),
            ("Port", self.port),
            ("Username", self.user_name),
            ("Password", self.password_parameter),
            ("Uri", self.uri_expression()),
            ("JdbcConnectionString", self.jdbc_connection_string()),
        ]


def _check_database_name(resource: PostgresDatabaseResource, _: object, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(
            f"PostgreSQL database resource {resource.name!r}: the database name must be a non-empty string"
        )
    if "\0" in value:
        raise ValueError(f"PostgreSQL database resource {resource.name!r}: the database name must not contain NUL")


@attrs.define(eq=False, repr=False)
class PostgresDatabaseResource(aspyre.Resource, aspyre.IResourceWithParent, aspyre.IResourceWithConnectionString):
    """A database on a PostgreSQL server: a child resource, created when the server is ready.

    Its connection string is the server's plus ``;Database={database_name}``; referencing
    resources also get ``{NAME}_DATABASENAME`` and the database's ``_URI`` and
    ``_JDBCCONNECTIONSTRING``.
    """

    resource_type: ClassVar[str] = "PostgresDatabase"

    _parent: PostgresServerResource = attrs.field(kw_only=True, alias="parent")
    database_name: str = attrs.field(kw_only=True, validator=_check_database_name)
    #: Run mode: why the database could not be created on the last try (``None``: it was, or not tried).
    creation_error: str | None = attrs.field(default=None, init=False, repr=False)
    #: Run mode: whether the server already tried to create its databases (its first ready).
    creation_attempted: bool = attrs.field(default=False, init=False, repr=False)

    @property
    def parent(self) -> PostgresServerResource:
        """The server the database lives on."""
        return self._parent

    @property
    def creation_script(self) -> str | None:
        """The SQL given to ``with_creation_script``, if any."""
        from ._creation_script import PostgresCreateDatabaseScriptAnnotation

        ann = self.annotations.last(PostgresCreateDatabaseScriptAnnotation)
        return None if ann is None else ann.script

    @property
    def connection_string_expression(self) -> aspyre.ReferenceExpression:
        """``{server connection string};Database={database_name}``."""
        return aspyre.ReferenceExpression.format(
            "{};Database={}",
            aspyre.model.ConnectionStringReference(self.parent),
            quote_connection_string_value(self.database_name),
        )

    @property
    def uri_expression(self) -> aspyre.ReferenceExpression:
        """``postgresql://user:password@host:port/database``."""
        return self.parent.uri_expression(self.database_name)

    @property
    def jdbc_connection_string(self) -> aspyre.ReferenceExpression:
        """``jdbc:postgresql://host:port/database``."""
        return self.parent.jdbc_connection_string(self.database_name)

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        """The server's properties, with DatabaseName added and Uri/JdbcConnectionString for the database."""
        props: dict[str, tuple[str, object]] = {}
        for key, value in self.parent.connection_properties():
            props[key.lower()] = (key, value)
        for key, value in (
            ("DatabaseName", self.database_name),
            ("Uri", self.uri_expression),
            ("JdbcConnectionString", self.jdbc_connection_string),
        ):
            previous = props.get(key.lower())
            props[key.lower()] = (previous[0] if previous else key, value)
        return list(props.values())
