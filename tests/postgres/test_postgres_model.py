"""The PostgreSQL integration's model: resources, builder methods, values (no Docker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import aspyre
import aspyre_postgres
from aspyre_postgres import (
    PgAdminContainerResource,
    PgWebContainerResource,
    PostgresDatabaseResource,
    PostgresServerResource,
)

LOCAL = aspyre.model.ValueContext(network=aspyre.model.KnownNetworks.LOCALHOST)
IN_CONTAINER = aspyre.model.ValueContext(network=aspyre.model.KnownNetworks.CONTAINER)


def new_builder(tmp_path: Path, *args: str) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder(list(args), app_host_path=tmp_path / "apphost.py")


def allocate(server: aspyre.ResourceBuilder[PostgresServerResource], host_port: int = 2000) -> None:
    """Give the server's endpoint the addresses the orchestrator would (host port, and name:5432 for containers)."""
    ep = server.resource.primary_endpoint.annotation
    ep.allocated[aspyre.model.KnownNetworks.LOCALHOST] = aspyre.model.AllocatedEndpoint(
        "127.0.0.1", host_port, "tcp", aspyre.model.KnownNetworks.LOCALHOST, 5432
    )
    ep.allocated[aspyre.model.KnownNetworks.CONTAINER] = aspyre.model.AllocatedEndpoint(
        server.name, 5432, "tcp", aspyre.model.KnownNetworks.CONTAINER, 5432
    )


def expr(value: object) -> str:
    """The manifest form of any value."""
    return aspyre.ReferenceExpression.format("{}", value).value_expression


async def resolved_env(resource: aspyre.IResource, context: aspyre.model.ValueContext = LOCAL) -> dict[str, str]:
    env = await aspyre.model.compute_environment(resource)
    out: dict[str, str] = {}
    for name, value in env.items():
        out[name] = await aspyre.model.resolve_value(value, context) or ""
    return out


# ------------------------------------------------------------------------------------------ server


def test_defaults(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg = builder.add_postgres("pg")
    server = pg.resource
    assert isinstance(server, PostgresServerResource)
    image = server.image
    assert image is not None
    assert (image.registry, image.image, image.tag) == ("docker.io", "library/postgres", aspyre_postgres.POSTGRES_TAG)
    assert aspyre_postgres.POSTGRES_TAG == "17.6"
    assert image.full_name == "docker.io/library/postgres:17.6"
    [endpoint] = server.annotations.all(aspyre.annotations.EndpointAnnotation)
    assert (endpoint.name, endpoint.scheme, endpoint.target_port, endpoint.port) == ("tcp", "tcp", 5432, None)
    assert endpoint.transport == "tcp"
    assert not endpoint.is_external
    assert [c.key for c in server.annotations.all(aspyre.annotations.HealthCheckAnnotation)] == ["pg_check"]
    password = server.password_parameter
    assert password.name == "pg-password"
    assert password.secret
    assert password.default == aspyre.GenerateParameterDefault()
    assert builder.resources[0] is password
    assert server.user_name == "postgres"


def test_port_argument_sets_the_host_port(tmp_path: Path) -> None:
    pg = new_builder(tmp_path).add_postgres("pg", port=15432)
    assert pg.resource.primary_endpoint.annotation.port == 15432


@pytest.mark.anyio
async def test_container_environment(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg = builder.add_postgres("pg")
    env = await aspyre.model.compute_environment(pg.resource)
    assert list(env) == ["POSTGRES_HOST_AUTH_METHOD", "POSTGRES_INITDB_ARGS", "POSTGRES_USER", "POSTGRES_PASSWORD"]
    values = await resolved_env(pg.resource, IN_CONTAINER)
    assert values["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    assert values["POSTGRES_INITDB_ARGS"] == "--auth-host=scram-sha-256 --auth-local=scram-sha-256"
    assert values["POSTGRES_USER"] == "postgres"
    assert values["POSTGRES_PASSWORD"] == pg.resource.password_parameter.value
    assert len(values["POSTGRES_PASSWORD"]) >= 22


@pytest.mark.anyio
async def test_user_and_password_parameters(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    user = builder.add_parameter("user", "admin")
    password = builder.add_parameter("pass", "s3cret", secret=True)
    pg = builder.add_postgres("pg", user_name=user, password=password)
    assert pg.resource.connection_string_expression.value_expression == (
        "Host={pg.bindings.tcp.host};Port={pg.bindings.tcp.port};Username={user.value};Password={pass.value}"
    )
    values = await resolved_env(pg.resource, IN_CONTAINER)
    assert (values["POSTGRES_USER"], values["POSTGRES_PASSWORD"]) == ("admin", "s3cret")
    assert all(r.name != "pg-password" for r in builder.resources), "no generated password when one is given"


@pytest.mark.anyio
async def test_with_user_name_and_with_password_replace_the_credentials(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg = builder.add_postgres("pg")
    pg.with_user_name(builder.add_parameter("user", "user1")).with_password(builder.add_parameter("pw", "p@ssw0rd1"))
    allocate(pg)
    assert await pg.resource.connection_string_expression.get_value(LOCAL) == (
        "Host=127.0.0.1;Port=2000;Username=user1;Password=p@ssw0rd1"
    )
    values = await resolved_env(pg.resource, IN_CONTAINER)
    assert (values["POSTGRES_USER"], values["POSTGRES_PASSWORD"]) == ("user1", "p@ssw0rd1")
    with pytest.raises(TypeError, match="must be a parameter"):
        pg.with_password("plain text")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_server_connection_string_and_properties(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg = builder.add_postgres("pg", password=builder.add_parameter("pw", "p@ss w/rd:1", secret=True))
    server = pg.resource
    assert server.connection_string_expression.value_expression == (
        "Host={pg.bindings.tcp.host};Port={pg.bindings.tcp.port};Username=postgres;Password={pw.value}"
    )
    props = {name: expr(value) for name, value in server.connection_properties()}
    assert props == {
        "Host": "{pg.bindings.tcp.host}",
        "Port": "{pg.bindings.tcp.port}",
        "Username": "postgres",
        "Password": "{pw.value}",
        "Uri": "postgresql://postgres:{pw.value}@{pg.bindings.tcp.host}:{pg.bindings.tcp.port}",
        "JdbcConnectionString": "jdbc:postgresql://{pg.bindings.tcp.host}:{pg.bindings.tcp.port}",
    }
    allocate(pg)
    live = {name: await aspyre.model.resolve_value(v, LOCAL) for name, v in server.connection_properties()}
    # the URI percent-encodes the user and the password; the JDBC string carries no credentials
    assert live["Uri"] == "postgresql://postgres:p%40ss%20w%2Frd%3A1@127.0.0.1:2000"
    assert live["JdbcConnectionString"] == "jdbc:postgresql://127.0.0.1:2000"
    assert live["Password"] == "p@ss w/rd:1"
    assert await server.connection_string_expression.get_value(IN_CONTAINER) == (
        "Host=pg;Port=5432;Username=postgres;Password=p@ss w/rd:1"
    )


def test_with_host_port(tmp_path: Path) -> None:
    pg = new_builder(tmp_path).add_postgres("pg").with_host_port(1000)
    assert pg.resource.primary_endpoint.annotation.port == 1000
    pg.with_host_port(None)
    assert pg.resource.primary_endpoint.annotation.port is None
    with pytest.raises(ValueError, match="1-65535"):
        pg.with_host_port(70000)


# ------------------------------------------------------------------------------------------ databases


@pytest.mark.anyio
async def test_add_database(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg = builder.add_postgres("pg")
    db = pg.add_database("appdb")
    database = db.resource
    assert isinstance(database, PostgresDatabaseResource)
    assert isinstance(database, aspyre.IResourceWithParent)
    assert database.parent is pg.resource
    assert database.database_name == "appdb"
    assert pg.resource.databases == {"appdb": "appdb"}
    assert database.connection_string_expression.value_expression == "{pg.connectionString};Database=appdb"
    assert [c.key for c in database.annotations.all(aspyre.annotations.HealthCheckAnnotation)] == ["appdb_check"]
    allocate(pg)
    server_cs = await pg.resource.connection_string_expression.get_value(LOCAL)
    assert await database.connection_string_expression.get_value(LOCAL) == f"{server_cs};Database=appdb"


def test_database_names(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg1 = builder.add_postgres("postgres1")
    db1 = pg1.add_database("db1", "customers1")
    db2 = pg1.add_database("db2", "customers2")
    db3 = builder.add_postgres("postgres2").add_database("db3", "customers1")
    assert (
        db1.resource.connection_string_expression.value_expression == "{postgres1.connectionString};Database=customers1"
    )
    assert (
        db2.resource.connection_string_expression.value_expression == "{postgres1.connectionString};Database=customers2"
    )
    assert (
        db3.resource.connection_string_expression.value_expression == "{postgres2.connectionString};Database=customers1"
    )
    assert pg1.resource.databases == {"db1": "customers1", "db2": "customers2"}
    # a name that needs quoting in a key=value; connection string is quoted as .NET does
    odd = pg1.add_database("odd", "my db;x")
    assert (
        odd.resource.connection_string_expression.value_expression == '{postgres1.connectionString};Database="my db;x"'
    )


def test_duplicate_database_names_are_rejected(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg1 = builder.add_postgres("postgres1")
    pg1.add_database("db")
    with pytest.raises(aspyre.DuplicateResourceError):
        pg1.add_database("db")
    with pytest.raises(aspyre.DuplicateResourceError):
        builder.add_postgres("postgres2").add_database("DB")
    assert pg1.resource.databases == {"db": "db"}
    with pytest.raises(ValueError, match="non-empty"):
        pg1.add_database("other", "")


@pytest.mark.anyio
async def test_referencing_a_database(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg = builder.add_postgres("pg", password=builder.add_parameter("pw", "pa:ss", secret=True))
    db = pg.add_database("appdb")
    app = builder.add_executable("migrate", "python", "migrate.py").with_reference(db).wait_for(db)
    web = builder.add_container("web", "nginx").with_reference(db)
    allocate(pg, 2345)
    env = await resolved_env(app.resource)
    assert env == {
        "ConnectionStrings__appdb": "Host=127.0.0.1;Port=2345;Username=postgres;Password=pa:ss;Database=appdb",
        "APPDB_HOST": "127.0.0.1",
        "APPDB_PORT": "2345",
        "APPDB_USERNAME": "postgres",
        "APPDB_PASSWORD": "pa:ss",
        "APPDB_URI": "postgresql://postgres:pa%3Ass@127.0.0.1:2345/appdb",
        "APPDB_JDBCCONNECTIONSTRING": "jdbc:postgresql://127.0.0.1:2345/appdb",
        "APPDB_DATABASENAME": "appdb",
    }
    in_container = await resolved_env(web.resource, IN_CONTAINER)
    assert (
        in_container["ConnectionStrings__appdb"] == "Host=pg;Port=5432;Username=postgres;Password=pa:ss;Database=appdb"
    )
    assert in_container["APPDB_URI"] == "postgresql://postgres:pa%3Ass@pg:5432/appdb"
    # waiting for the database: the app depends on it, the database on its server
    assert any(w.resource is db.resource for w in app.resource.annotations.all(aspyre.annotations.WaitAnnotation))
    built = builder.build()
    deps = built.model.dependencies(app.resource, recursive=True)
    assert db.resource in deps and pg.resource in deps


def test_with_creation_script(tmp_path: Path) -> None:
    db = new_builder(tmp_path).add_postgres("pg").add_database("appdb")
    assert db.resource.creation_script is None
    db.with_creation_script('CREATE DATABASE "appdb" TEMPLATE template0')
    db.with_creation_script('CREATE DATABASE "appdb" ENCODING UTF8 TEMPLATE template0')
    assert db.resource.creation_script == 'CREATE DATABASE "appdb" ENCODING UTF8 TEMPLATE template0'
    assert len(db.resource.annotations.all(aspyre_postgres.PostgresCreateDatabaseScriptAnnotation)) == 1
    with pytest.raises(ValueError, match="non-empty SQL"):
        db.with_creation_script("  ")


def test_methods_apply_to_their_resource_types_only(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    db = builder.add_postgres("pg").add_database("appdb")
    with pytest.raises(AttributeError, match="PostgresServerResource"):
        db.with_data_volume()
    with pytest.raises(AttributeError, match="PostgresServerResource"):
        builder.add_container("web", "nginx").add_database("x")


# ------------------------------------------------------------------------------------------ storage


def test_with_data_volume(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg = builder.add_postgres("pg").with_data_volume()
    [mount] = pg.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    assert mount.type is aspyre.annotations.ContainerMountType.VOLUME
    assert mount.target == "/var/lib/postgresql/data"
    assert not mount.read_only
    # {app}-{hash}-{resource}-data: stable for the app host, different for another one
    assert mount.source is not None and mount.source.endswith("-pg-data")
    assert mount.source == aspyre_postgres.data_volume_name(pg, "data")
    assert mount.source.startswith(aspyre_postgres.data_volume_name(pg, "x")[: -len("pg-x")])
    other = new_builder(tmp_path / "other").add_postgres("pg")
    assert aspyre_postgres.data_volume_name(other, "data") != mount.source

    named = builder.add_postgres("pg2").with_data_volume("mydata", read_only=True)
    [mount2] = named.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    assert (mount2.source, mount2.read_only) == ("mydata", True)


def test_data_path_follows_the_image_major_version(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg18 = builder.add_postgres("pg18").with_image("postgres", "18-alpine").with_data_volume()
    assert pg18.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)[0].target == "/var/lib/postgresql"
    latest = builder.add_postgres("latest").with_image_tag("latest").with_data_bind_mount("data")
    assert latest.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)[0].target == "/var/lib/postgresql/data"
    for tag, major in [("17.6", 17), ("18.1", 18), ("18", 18), ("17.6-bookworm", 17), ("9.6", 9)]:
        assert aspyre_postgres.postgres_major_version(tag) == major
    for tag in ["latest", "alpine", "", "  ", "abc"]:
        assert aspyre_postgres.postgres_major_version(tag) is None


def test_with_data_bind_mount(tmp_path: Path) -> None:
    pg = new_builder(tmp_path).add_postgres("pg").with_data_bind_mount("mydata", read_only=True)
    [mount] = pg.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    assert mount.type is aspyre.annotations.ContainerMountType.BIND_MOUNT
    assert mount.source == str((tmp_path / "mydata").resolve())
    assert (mount.target, mount.read_only) == ("/var/lib/postgresql/data", True)


def test_with_init_files(tmp_path: Path) -> None:
    scripts = tmp_path / "init"
    scripts.mkdir()
    (scripts / "01-schema.sql").write_text("CREATE TABLE t (id int);\n")
    builder = new_builder(tmp_path)
    pg = builder.add_postgres("pg").with_init_files("init")
    [mount] = pg.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    assert mount.type is aspyre.annotations.ContainerMountType.BIND_MOUNT
    assert (mount.source, mount.target, mount.read_only) == (str(scripts), "/docker-entrypoint-initdb.d", True)
    with pytest.raises(ValueError, match="already has init files"):
        pg.with_init_files(scripts / "01-schema.sql")

    single = builder.add_postgres("pg2").with_init_files(scripts / "01-schema.sql")
    [mount2] = single.resource.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    assert mount2.target == "/docker-entrypoint-initdb.d/01-schema.sql"
    with pytest.raises(FileNotFoundError, match="do not exist"):
        builder.add_postgres("pg3").with_init_files("missing")


# ------------------------------------------------------------------------------------------ helpers


def test_pgadmin_is_one_container_for_every_server(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg1 = builder.add_postgres("pg1").with_pgadmin(lambda c: c.with_host_port(8081))
    pg2 = builder.add_postgres("pg2").with_pgadmin()
    helpers = [r for r in builder.resources if isinstance(r, PgAdminContainerResource)]
    assert len(helpers) == 1
    pgadmin = helpers[0]
    assert pgadmin.name == "pgadmin"
    assert pgadmin.image is not None and pgadmin.image.full_name == "docker.io/dpage/pgadmin4:9.12.0"
    [endpoint] = pgadmin.annotations.all(aspyre.annotations.EndpointAnnotation)
    assert (endpoint.name, endpoint.target_port, endpoint.port) == ("http", 80, 8081)
    related = [(r.resource, r.type) for r in pgadmin.annotations.all(aspyre.annotations.ResourceRelationshipAnnotation)]
    assert related == [(pg1.resource, "PgAdmin"), (pg2.resource, "PgAdmin")]
    assert pgadmin.annotations.last(aspyre.annotations.ManifestPublishingCallbackAnnotation) == (
        aspyre.annotations.ManifestPublishingCallbackAnnotation.ignore()
    )
    # generated files hold passwords: they are created in the container, never written on the host
    assert pgadmin.annotations.all(aspyre.annotations.ContainerMountAnnotation) == []
    [files] = pgadmin.annotations.all(aspyre.annotations.ContainerFilesAnnotation)
    assert files.destination == "/pgadmin4" and files.callback is not None
    assert [c.key for c in pgadmin.annotations.all(aspyre.annotations.HealthCheckAnnotation)] == ["pgadmin_http_/browser_200_check"]
    pg1.with_pgadmin(lambda c: c.with_image_tag("8.3"))
    assert pgadmin.image is not None and pgadmin.image.tag == "8.3"


def test_pgweb_is_one_container_for_every_database(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    builder.add_postgres("pg1").with_pgweb(
        lambda c: c.with_image("custompgweb").with_image_registry("example.mycompany.com").with_image_tag("t")
    )
    builder.add_postgres("pg2").with_pgweb(lambda c: c.with_host_port(1000), container_name="ignored")
    [pgweb] = [r for r in builder.resources if isinstance(r, PgWebContainerResource)]
    assert pgweb.name == "pgweb"
    image = pgweb.image
    assert image is not None and (image.registry, image.image, image.tag) == (
        "example.mycompany.com",
        "custompgweb",
        "t",
    )
    [endpoint] = pgweb.annotations.all(aspyre.annotations.EndpointAnnotation)
    assert (endpoint.target_port, endpoint.port) == (8081, 1000)
    args = [a for ann in pgweb.annotations.all(aspyre.annotations.CommandLineArgsAnnotation) for a in ann.args]
    assert args == ["--bookmarks-dir=/.pgweb/bookmarks", "--sessions"]
    assert pgweb.annotations.all(aspyre.annotations.ContainerMountAnnotation) == []
    [files] = pgweb.annotations.all(aspyre.annotations.ContainerFilesAnnotation)
    assert files.destination == "/.pgweb/bookmarks" and files.callback is not None


@pytest.mark.anyio
async def test_pgadmin_servers_document(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    pg1 = builder.add_postgres("mypostgres1", password=builder.add_parameter("pw1", "it's", secret=True))
    pg2 = builder.add_postgres("mypostgres2", user_name=builder.add_parameter("pg-user", "myuser"))
    document: dict[str, Any] = await aspyre_postgres.pgadmin_servers([pg1.resource, pg2.resource])
    servers = document["Servers"]
    assert servers["1"] == {
        "Name": "mypostgres1",
        "Group": "Servers",
        "Host": "mypostgres1",
        "Port": 5432,
        "Username": "postgres",
        "SSLMode": "prefer",
        "MaintenanceDB": "postgres",
        "PasswordExecCommand": "echo 'it'\\''s'",
    }
    assert servers["2"]["Username"] == "myuser"
    assert servers["2"]["PasswordExecCommand"] == f"echo '{pg2.resource.password_parameter.value}'"


@pytest.mark.anyio
async def test_pgweb_bookmarks(tmp_path: Path) -> None:
    import tomllib

    builder = new_builder(tmp_path)
    pg1 = builder.add_postgres("mypostgres1", password=builder.add_parameter("pw1", 'q"uote\\', secret=True))
    db1 = pg1.add_database("db1")
    db2 = builder.add_postgres("mypostgres2").add_database("db2", "imports")
    files = await aspyre_postgres.pgweb_bookmarks([db1.resource, db2.resource])
    assert list(files) == ["db1.toml", "db2.toml"]
    first = tomllib.loads(files["db1.toml"])
    assert first == {
        "host": "mypostgres1",
        "port": 5432,
        "user": "postgres",
        "password": 'q"uote\\',
        "database": "db1",
        "sslmode": "disable",
    }
    second = tomllib.loads(files["db2.toml"])
    assert (second["host"], second["database"]) == ("mypostgres2", "imports")
    assert second["password"] == db2.resource.parent.password_parameter.value


@pytest.mark.anyio
async def test_publish_mode_leaves_the_helpers_out(tmp_path: Path) -> None:
    builder = new_builder(tmp_path, "--publisher", "manifest", "--output-path", str(tmp_path / "out"))
    builder.add_postgres("pg").with_pgadmin().with_pgweb().add_database("appdb")
    path = await builder.build().publish_async()
    resources = json.loads(path.read_text())["resources"]
    assert list(resources) == ["pg-password", "pg", "appdb"]
    assert resources["appdb"] == {"type": "value.v0", "connectionString": "{pg.connectionString};Database=appdb"}
    assert not aspyre_postgres.pgadmin_config_file(builder.app_host_path).exists()


@pytest.mark.anyio
async def test_a_replaced_generated_password_is_left_out_of_the_manifest(tmp_path: Path) -> None:
    builder = new_builder(tmp_path, "--publisher", "manifest", "--output-path", str(tmp_path / "out"))
    builder.add_postgres("pg").with_password(builder.add_parameter("pw", secret=True))
    # still used by something else: it stays
    kept = builder.add_postgres("pg2").with_password(builder.add_parameter("pw2", secret=True))
    builder.add_executable("tool", "tool").with_environment("OLD_PASSWORD", builder.resources[3])
    assert builder.resources[3].name == "pg2-password" and kept.resource.password_parameter.name == "pw2"
    path = await builder.build().publish_async()
    resources = json.loads(path.read_text())["resources"]
    assert "pg-password" not in resources
    assert "pg2-password" in resources
    assert resources["pg"]["env"]["POSTGRES_PASSWORD"] == "{pw.value}"


def test_duplicate_server_names_add_nothing(tmp_path: Path) -> None:
    builder = new_builder(tmp_path)
    builder.add_postgres("pg")
    count = len(builder.resources)
    with pytest.raises(aspyre.DuplicateResourceError, match="already exists"):
        builder.add_postgres("PG")
    assert len(builder.resources) == count, "no orphan password parameter"
    own = builder.add_parameter("db-password", secret=True)
    with pytest.raises(aspyre.DuplicateResourceError, match="pass your parameter as password="):
        builder.add_postgres("db")
    assert builder.add_postgres("db", password=own).resource.password_parameter is own.resource
