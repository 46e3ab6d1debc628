"""with_reference injects exactly Aspire's environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

import aspyre
from aspyre import ReferenceEnvironmentFlags, ReferenceExpression
from aspyre.model import KnownNetworks


@pytest.fixture
def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")


def env_of(rb: aspyre.ResourceBuilder[Any]) -> dict[str, object]:
    async def go() -> dict[str, object]:
        return await aspyre.model.compute_environment(rb.resource)

    return anyio.run(go)


def manifest_env(rb: aspyre.ResourceBuilder[Any]) -> dict[str, str]:
    """The environment with every value in its manifest form."""
    return {k: ReferenceExpression.format("{}", v).value_expression for k, v in env_of(rb).items()}


def live_env(rb: aspyre.ResourceBuilder[Any], network: str = KnownNetworks.LOCALHOST) -> dict[str, str | None]:
    async def go() -> dict[str, str | None]:
        env = await aspyre.model.compute_environment(rb.resource)
        ctx = aspyre.model.ValueContext(rb.resource, network)
        return {k: await aspyre.model.resolve_value(v, ctx) for k, v in env.items()}

    return anyio.run(go)


def allocate(rb: aspyre.ResourceBuilder[Any], name: str, port: int, target_port: int | None = None) -> None:
    ann = rb.get_endpoint(name).annotation
    ann.allocated[KnownNetworks.LOCALHOST] = aspyre.model.AllocatedEndpoint("127.0.0.1", port, ann.scheme)
    ann.allocated[KnownNetworks.CONTAINER] = aspyre.model.AllocatedEndpoint(
        rb.name, target_port or ann.target_port or port, ann.scheme, KnownNetworks.CONTAINER
    )


def api_with_endpoints(builder: aspyre.DistributedApplicationBuilder) -> aspyre.ResourceBuilder[Any]:
    return (
        builder.add_executable("api", "python")
        .with_http_endpoint(port=5000)
        .with_https_endpoint(port=5001)
        .with_http_endpoint(port=5002, name="admin")
    )


# --------------------------------------------------------------------------- connection strings


def test_connection_string_and_properties(builder: aspyre.DistributedApplicationBuilder) -> None:
    pw = builder.add_parameter("db-password", "p@ss w", secret=True)
    db = builder.add_connection_string("db", ReferenceExpression.format("Host=h;Password={}", pw))
    db.with_connection_property("Host", "h").with_connection_property("Password", pw)
    web = builder.add_executable("web", "python").with_reference(db)
    assert manifest_env(web) == {
        "ConnectionStrings__db": "{db.connectionString}",
        "DB_HOST": "h",
        "DB_PASSWORD": "{db-password.value}",
    }
    assert live_env(web) == {"ConnectionStrings__db": "Host=h;Password=p@ss w", "DB_HOST": "h", "DB_PASSWORD": "p@ss w"}
    rel = web.resource.annotations.last(aspyre.annotations.ResourceRelationshipAnnotation)
    assert rel == aspyre.annotations.ResourceRelationshipAnnotation(db.resource, "Reference")


def test_redis_integration_variables(builder: aspyre.DistributedApplicationBuilder) -> None:
    cache = builder.add_redis("cache")
    web = builder.add_executable("web", "python").with_reference(cache)
    env = manifest_env(web)
    # The property values are the integration's business (tests/redis); the names are Aspire's.
    assert list(env) == ["ConnectionStrings__cache", "CACHE_HOST", "CACHE_PORT", "CACHE_PASSWORD", "CACHE_URI"]
    assert env["ConnectionStrings__cache"] == "{cache.connectionString}"
    assert env["CACHE_HOST"] == "{cache.bindings.tcp.host}"
    assert env["CACHE_PASSWORD"] == "{cache-password.value}"


def test_connection_name_override(builder: aspyre.DistributedApplicationBuilder) -> None:
    db = builder.add_connection_string("db", "Host=h").with_connection_property("Host", "h")
    web = builder.add_executable("web", "python").with_reference(db, "main-db")
    assert manifest_env(web) == {"ConnectionStrings__main-db": "{db.connectionString}", "MAIN_DB_HOST": "h"}


def test_connection_string_environment_variable_override(builder: aspyre.DistributedApplicationBuilder) -> None:
    db = builder.add_connection_string("db", "Host=h", environment_variable="DATABASE_URL")
    ext = builder.add_connection_string("ext", environment_variable="EXT_URL")
    web = builder.add_executable("web", "python").with_reference(db).with_reference(ext)
    assert manifest_env(web) == {"DATABASE_URL": "{db.connectionString}", "EXT_URL": "{ext.connectionString}"}


def test_optional_connection_string(
    builder: aspyre.DistributedApplicationBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = builder.add_connection_string("empty", ReferenceExpression.empty())
    web = builder.add_executable("web", "python").with_reference(empty, optional=True)
    assert live_env(web) == {"ConnectionStrings__empty": None}
    strict = builder.add_executable("strict", "python").with_reference(empty)
    with pytest.raises(LookupError, match="The connection string for the resource 'empty' is not available"):
        live_env(strict)


def test_connection_string_parameter_from_the_environment(
    builder: aspyre.DistributedApplicationBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ConnectionStrings__ext", "Server=x")
    ext = builder.add_connection_string("ext")
    web = builder.add_executable("web", "python").with_reference(ext)
    assert manifest_env(web) == {"ConnectionStrings__ext": "{ext.connectionString}"}
    assert live_env(web) == {"ConnectionStrings__ext": "Server=x"}


# --------------------------------------------------------------------------- service discovery


def test_service_discovery_variables(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = api_with_endpoints(builder)
    web = builder.add_python_app("web", "web.py").with_reference(api)
    assert manifest_env(web) == {
        "API_HTTP": "{api.bindings.http.url}",
        "services__api__http__0": "{api.bindings.http.url}",
        "API_HTTPS": "{api.bindings.https.url}",
        "services__api__https__0": "{api.bindings.https.url}",
        "API_ADMIN": "{api.bindings.admin.url}",
        "services__api__http__1": "{api.bindings.admin.url}",
    }
    for name, port in (("http", 5000), ("https", 5001), ("admin", 5002)):
        allocate(api, name, port)
    live = live_env(web)
    assert live["API_HTTP"] == "http://127.0.0.1:5000"
    assert live["services__api__https__0"] == "https://127.0.0.1:5001"
    assert live["services__api__http__1"] == "http://127.0.0.1:5002"


def test_service_names_are_encoded_and_upper_cased(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("my-api", "python").with_http_endpoint(name="web-ui")
    web = builder.add_executable("web", "python").with_reference(api)
    assert list(env_of(web)) == ["MY_API_WEB_UI", "services__my-api__http__0"]


def test_named_service_reference(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("api", "python").with_http_endpoint()
    web = builder.add_executable("web", "python").with_reference(api, name="backend")
    # The name replaces the service name as given: not upper-cased (Aspire).
    assert list(env_of(web)) == ["backend_HTTP", "services__backend__http__0"]
    # For a resource without a connection string, connection_name names the service too.
    web2 = builder.add_executable("web2", "python").with_reference(api, "other")
    assert list(env_of(web2)) == ["other_HTTP", "services__other__http__0"]


def test_endpoint_references(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = api_with_endpoints(builder)
    web = builder.add_executable("web", "python").with_reference(api.get_endpoint("https"))
    assert manifest_env(web) == {
        "API_HTTPS": "{api.bindings.https.url}",
        "services__api__https__0": "{api.bindings.https.url}",
    }
    # Two references to endpoints of the same source merge, and indexes count per scheme.
    both = builder.add_executable("both", "python")
    both.with_reference(api.get_endpoint("admin")).with_reference(api.get_endpoint("http"))
    assert manifest_env(both) == {
        "API_HTTP": "{api.bindings.http.url}",
        "services__api__http__0": "{api.bindings.http.url}",
        "API_ADMIN": "{api.bindings.admin.url}",
        "services__api__http__1": "{api.bindings.admin.url}",
    }


def test_container_endpoint_reference(builder: aspyre.DistributedApplicationBuilder) -> None:
    db = builder.add_container("db", "postgres:15").with_endpoint(target_port=5432, name="tcp")
    web = builder.add_container("web", "nginx").with_reference(db.get_endpoint("tcp"))
    assert manifest_env(web) == {"DB_TCP": "{db.bindings.tcp.url}", "services__db__tcp__0": "{db.bindings.tcp.url}"}
    allocate(db, "tcp", 15432)
    # A container resolves it on the container network, a host process on localhost.
    assert live_env(web, KnownNetworks.CONTAINER)["DB_TCP"] == "tcp://db:5432"
    assert live_env(web)["DB_TCP"] == "tcp://127.0.0.1:15432"


def test_issue_example(builder: aspyre.DistributedApplicationBuilder) -> None:
    pw = builder.add_parameter("api-key", secret=True)
    api = (
        builder.add_executable("api", "python", "-m", "http.server", working_dir="examples/site")
        .with_http_endpoint(target_port=8000, env="PORT")
        .with_environment("API_KEY", pw)
    )
    web = (
        builder.add_python_app("web", "examples/web/main.py")
        .with_http_endpoint(env="PORT")
        .with_reference(api)
        .with_environment("HEALTH_URL", ReferenceExpression.format("{}/health", api.get_endpoint("http")))
    )
    app = builder.build()
    assert app.model.dependencies("web") == [api.resource]
    assert manifest_env(api) == {"PORT": "{api.bindings.http.targetPort}", "API_KEY": "{api-key.value}"}
    assert manifest_env(web) == {
        "PORT": "{web.bindings.http.targetPort}",
        "API_HTTP": "{api.bindings.http.url}",
        "services__api__http__0": "{api.bindings.http.url}",
        "HEALTH_URL": "{api.bindings.http.url}/health",
    }


def test_both_a_connection_string_and_service_discovery(builder: aspyre.DistributedApplicationBuilder) -> None:
    @aspyre_resource
    class Service(aspyre.ExecutableResource, aspyre.IResourceWithConnectionString):
        @property
        def connection_string_expression(self) -> ReferenceExpression:
            return ReferenceExpression.format("{}", self.get_endpoint("http"))

        def connection_properties(self) -> list[tuple[str, object]]:
            return [("Url", self.get_endpoint("http"))]

    svc = builder.add_resource(Service("svc", command="x", working_dir=".")).with_http_endpoint()
    web = builder.add_executable("web", "python").with_reference(svc, "conn", name="disc")
    assert manifest_env(web) == {
        "ConnectionStrings__conn": "{svc.connectionString}",
        "CONN_URL": "{svc.bindings.http.url}",
        "disc_HTTP": "{svc.bindings.http.url}",
        "services__disc__http__0": "{svc.bindings.http.url}",
    }
    # connection_name alone does not rename the service when there is a connection string.
    web2 = builder.add_executable("web2", "python").with_reference(svc, "conn")
    assert "SVC_HTTP" in env_of(web2)


def aspyre_resource(cls: type) -> type:
    import attrs

    return attrs.define(eq=False, repr=False)(cls)


# --------------------------------------------------------------------------- flags & errors


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (ReferenceEnvironmentFlags.ALL, ["ConnectionStrings__db", "DB_HOST", "API_HTTP", "services__api__http__0"]),
        (ReferenceEnvironmentFlags.CONNECTION_STRING, ["ConnectionStrings__db"]),
        (ReferenceEnvironmentFlags.CONNECTION_PROPERTIES, ["DB_HOST"]),
        (ReferenceEnvironmentFlags.SERVICE_DISCOVERY, ["services__api__http__0"]),
        (ReferenceEnvironmentFlags.ENDPOINTS, ["API_HTTP"]),
        (
            ReferenceEnvironmentFlags.CONNECTION_STRING | ReferenceEnvironmentFlags.SERVICE_DISCOVERY,
            ["ConnectionStrings__db", "services__api__http__0"],
        ),
        (ReferenceEnvironmentFlags.NONE, []),
    ],
)
def test_reference_environment_flags(
    builder: aspyre.DistributedApplicationBuilder, flags: ReferenceEnvironmentFlags, expected: list[str]
) -> None:
    db = builder.add_connection_string("db", "Host=h").with_connection_property("Host", "h")
    api = builder.add_executable("api", "python").with_http_endpoint()
    web = builder.add_executable("web", "python").with_reference_environment(flags)
    web.with_reference(db).with_reference(api)
    assert list(env_of(web)) == expected
    # The last call wins, and it applies to references made before it too.
    later = builder.add_executable("later", "python").with_reference(db).with_reference(api)
    later.with_reference_environment(ReferenceEnvironmentFlags.ALL).with_reference_environment(flags)
    assert list(env_of(later)) == expected


def test_reference_argument_errors(builder: aspyre.DistributedApplicationBuilder) -> None:
    db = builder.add_connection_string("db", "Host=h")
    api = builder.add_executable("api", "python").with_http_endpoint()
    web = builder.add_executable("web", "python")
    with pytest.raises(
        ValueError, match="named service references are only supported for resources with service discovery"
    ):
        web.with_reference(db, name="x")
    with pytest.raises(
        ValueError, match="optional references are only supported for resources with a connection string"
    ):
        web.with_reference(api, optional=True)
    with pytest.raises(ValueError, match="specify either connection_name or name"):
        web.with_reference(api, "a", name="b")
    with pytest.raises(ValueError, match="connection_name= and optional= do not apply"):
        web.with_reference(api.get_endpoint("http"), "x")
    with pytest.raises(ValueError, match="connection_name must not be empty"):
        web.with_reference(db, "")
    assert not web.resource.annotations.has(aspyre.annotations.ReferenceAnnotation)


def test_reference_variables_of_one_annotation(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("api", "python").with_http_endpoint()
    ann = aspyre.annotations.ReferenceAnnotation(api.resource)
    assert [k for k, _ in aspyre.model.reference_variables(ann)] == ["API_HTTP", "services__api__http__0"]
    assert [k for k, _ in aspyre.model.reference_variables(ann, ReferenceEnvironmentFlags.ENDPOINTS)] == ["API_HTTP"]


def test_with_environment_values_add_reference_relationships(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("api", "python").with_http_endpoint()
    pw = builder.add_parameter("pw")
    web = builder.add_executable("web", "python").with_http_endpoint()
    web.with_environment("URL", ReferenceExpression.format("{}?k={}", api.get_endpoint("http"), pw))
    web.with_environment("SELF", web.get_endpoint("http"))
    rels = web.resource.annotations.all(aspyre.annotations.ResourceRelationshipAnnotation)
    assert [(r.resource.name, r.type) for r in rels] == [("api", "Reference"), ("pw", "Reference")]


def test_environment_values_and_callbacks(builder: aspyre.DistributedApplicationBuilder) -> None:
    calls = iter(["a", "b"])
    web = builder.add_executable("web", "python").with_http_endpoint(env="PORT")
    web.with_environment("N", 3).with_environment("FLAG", True).with_environment("LAZY", lambda: next(calls))

    async def add(ctx: aspyre.annotations.EnvironmentCallbackContext) -> None:
        ctx.environment["ASYNC"] = "yes"
        del ctx.environment["N"]

    web.with_environment(add)
    web.with_args("--port", web.get_endpoint("http").property(aspyre.EndpointProperty.TARGET_PORT))
    assert manifest_env(web) == {"PORT": "{web.bindings.http.targetPort}", "FLAG": "true", "LAZY": "a", "ASYNC": "yes"}
    assert manifest_env(web)["LAZY"] == "b"  # evaluated each time the environment is computed

    async def args() -> list[object]:
        return await aspyre.model.compute_arguments(web.resource)

    assert [ReferenceExpression.format("{}", a).value_expression for a in anyio.run(args)] == [
        "--port",
        "{web.bindings.http.targetPort}",
    ]
    with pytest.raises(ValueError, match="not a valid environment variable name"):
        web.with_environment("A=B", "x")
    with pytest.raises(TypeError, match="needs a value"):
        web.with_environment("A")
