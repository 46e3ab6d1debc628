"""Which values count as secret: made from a secret parameter, through any depth of connection strings,
and nothing else of a resource that happens to have a password."""

from __future__ import annotations

from pathlib import Path

import aspyre
from aspyre._model._environment import is_secret_value
from aspyre.model import ConnectionStringReference, EndpointReferenceExpression


def test_connection_strings_are_secret_through_every_level(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    password = builder.add_parameter("pw", "s3cret", secret=True)
    plain = builder.add_parameter("plain", "x")
    server = builder.add_connection_string("server", aspyre.ReferenceExpression.format("Password={}", password))
    database = builder.add_connection_string(
        "db", aspyre.ReferenceExpression.format("{};Database=app", ConnectionStringReference(server.resource))
    )
    open_server = builder.add_connection_string("open", aspyre.ReferenceExpression.format("Host={}", plain))
    assert is_secret_value(password.resource)
    assert is_secret_value(ConnectionStringReference(server.resource))
    assert is_secret_value(ConnectionStringReference(database.resource))  # two levels down
    assert is_secret_value(aspyre.ReferenceExpression.format("x{}", ConnectionStringReference(database.resource)))
    assert not is_secret_value(ConnectionStringReference(open_server.resource))
    assert not is_secret_value(plain.resource)
    assert not is_secret_value("literal")


def test_an_endpoint_of_a_resource_with_a_password_is_not_secret(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    cache = builder.add_redis("cache", password=builder.add_parameter("pw", "s3cret", secret=True))
    port = cache.get_endpoint("tcp").property(aspyre.EndpointProperty.PORT)
    assert isinstance(port, EndpointReferenceExpression)
    assert not is_secret_value(port)
    assert is_secret_value(ConnectionStringReference(cache.resource))


def test_expressions_made_afresh_on_each_access_are_all_walked(tmp_path: Path) -> None:
    """A database's connection string expression is a new object at every access, as is its server's: the walk
    must not take the second for the first because it was given the freed one's address (the password was
    missed in most calls, and ``ConnectionStrings__appdb`` shown unmasked)."""
    import gc

    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    database = builder.add_postgres("pg").add_database("appdb").resource
    assert database.connection_string_expression is not database.connection_string_expression
    enabled = gc.isenabled()
    gc.disable()  # the allocator's reuse of a freed address, without a collection in between
    try:
        answers = [is_secret_value(ConnectionStringReference(database)) for _ in range(200)]
    finally:
        if enabled:
            gc.enable()
    assert answers.count(False) == 0
