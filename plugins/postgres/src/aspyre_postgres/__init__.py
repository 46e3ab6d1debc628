"""PostgreSQL hosting integration for aspyre: ``builder.add_postgres("pg").add_database("appdb")``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import attrs

import aspyre

__all__ = [
    "POSTGRES_IMAGE",
    "POSTGRES_TAG",
    "PostgresDatabaseResource",
    "PostgresServerResource",
    "add_database",
    "add_postgres",
]

POSTGRES_IMAGE = "docker.io/library/postgres"
#: The image tag users get (the one Aspire pins).
POSTGRES_TAG = "17.6"


@attrs.define(eq=False, repr=False)
class PostgresServerResource(aspyre.ContainerResource, aspyre.IResourceWithConnectionString):
    """A PostgreSQL server in a container."""

    resource_type: ClassVar[str] = "Container"

    user_name_parameter: aspyre.ParameterResource | None = attrs.field(default=None, kw_only=True)
    password_parameter: aspyre.ParameterResource = attrs.field(kw_only=True)
    databases: dict[str, str] = attrs.field(factory=dict, kw_only=True)

    @property
    def primary_endpoint(self) -> aspyre.EndpointReference:
        return self.get_endpoint("tcp")

    @property
    def user_name(self) -> object:
        return self.user_name_parameter if self.user_name_parameter is not None else "postgres"

    @property
    def connection_string_expression(self) -> aspyre.ReferenceExpression:
        ep = self.primary_endpoint
        return aspyre.ReferenceExpression.format(
            "Host={host};Port={port};Username={user};Password={pw}",
            host=ep.property(aspyre.EndpointProperty.HOST),
            port=ep.property(aspyre.EndpointProperty.PORT),
            user=self.user_name,
            pw=self.password_parameter,
        )

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        ep = self.primary_endpoint
        return [
            ("Host", ep.property(aspyre.EndpointProperty.HOST)),
            ("Port", ep.property(aspyre.EndpointProperty.PORT)),
            ("Username", self.user_name),
            ("Password", self.password_parameter),
        ]


@attrs.define(eq=False, repr=False)
class PostgresDatabaseResource(aspyre.Resource, aspyre.IResourceWithParent, aspyre.IResourceWithConnectionString):
    """A database on a PostgreSQL server (a child resource)."""

    resource_type: ClassVar[str] = "PostgresDatabase"

    parent: PostgresServerResource = attrs.field(kw_only=True)
    database_name: str = attrs.field(kw_only=True)

    @property
    def connection_string_expression(self) -> aspyre.ReferenceExpression:
        return aspyre.ReferenceExpression.format(
            "{};Database={}", aspyre.ConnectionStringReference(self.parent), self.database_name
        )

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        return [*self.parent.connection_properties(), ("DatabaseName", self.database_name)]


def add_postgres(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    user_name: aspyre.ResourceBuilder[aspyre.ParameterResource] | None = None,
    password: aspyre.ResourceBuilder[aspyre.ParameterResource] | None = None,
    port: int | None = None,
) -> aspyre.ResourceBuilder[PostgresServerResource]:
    """Add a PostgreSQL server (user ``postgres`` and a generated password unless given)."""
    aspyre.validate_name("Resource", name)
    if password is None:
        password = builder.add_parameter(f"{name}-password", secret=True, default=aspyre.GenerateParameterDefault())
    resource = PostgresServerResource(
        name,
        user_name_parameter=None if user_name is None else user_name.resource,
        password_parameter=password.resource,
    )
    rb = builder.add_resource(resource)
    rb.with_image(POSTGRES_IMAGE, POSTGRES_TAG).with_endpoint(port=port, target_port=5432, name="tcp", scheme="tcp")
    rb.with_environment("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
    rb.with_environment("POSTGRES_INITDB_ARGS", "--auth-host=scram-sha-256 --auth-local=scram-sha-256")
    rb.with_environment("POSTGRES_USER", resource.user_name)
    rb.with_environment("POSTGRES_PASSWORD", password)
    return rb


@aspyre.resource_extension(PostgresServerResource)
def add_database(
    builder: aspyre.ResourceBuilder[PostgresServerResource], name: str, database_name: str | None = None
) -> aspyre.ResourceBuilder[PostgresDatabaseResource]:
    """Add a database (created when the server is ready) as a child of the server."""
    server = builder.resource
    db_name = database_name or name
    server.databases[name] = db_name
    return builder.application_builder.add_resource(
        PostgresDatabaseResource(name, parent=server, database_name=db_name)
    )
