"""Typed uses of the resource builders that both type checkers must accept, with the types they infer.

``tests/typing/test_builder_types.py`` runs mypy and pyright over this file and expects no error;
it also runs :func:`build` so that every line here is real, working code.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar, assert_type

import aspyre
import aspyre_postgres
import aspyre_redis
from aspyre import (
    ContainerResource,
    ExecutableResource,
    ParameterResource,
    PythonAppResource,
    ResourceBuilder,
    UvicornAppResource,
)
from aspyre_postgres import PostgresServerResource
from aspyre_redis import RedisResource

C = TypeVar("C", bound=ContainerResource)


def with_scratch(builder: ResourceBuilder[C]) -> ResourceBuilder[C]:
    """Generic code over any container builder keeps the caller's type."""
    return builder.with_volume("/scratch").with_environment("SCRATCH", "/scratch")


def build(app_host: Path) -> None:
    builder = aspyre.DistributedApplicationBuilder([], app_host_path=app_host)

    # Containers get the container methods, and every method keeps the builder's type.
    cache = builder.add_container("cache", "redis")
    assert_type(cache, ResourceBuilder[ContainerResource])
    assert_type(cache.with_image("redis", "7"), ResourceBuilder[ContainerResource])
    assert_type(cache.with_environment("A", "1").with_volume("data", "/data"), ResourceBuilder[ContainerResource])
    assert_type(cache.with_bind_mount("~/conf", "/conf").with_image_tag("8"), ResourceBuilder[ContainerResource])
    assert_type(cache.with_dockerfile("cache"), ResourceBuilder[ContainerResource])
    assert_type(with_scratch(cache), ResourceBuilder[ContainerResource])

    # An integration's container type (a ContainerResource subclass) keeps its own type along a chain.
    redis = aspyre_redis.add_redis(builder, "redis")
    assert_type(redis, ResourceBuilder[RedisResource])
    assert_type(redis.with_image_tag("7").with_lifetime(aspyre.ContainerLifetime.SESSION), ResourceBuilder[RedisResource])
    assert_type(redis.with_container_network_alias("r").with_volume("/x"), ResourceBuilder[RedisResource])
    assert_type(with_scratch(redis), ResourceBuilder[RedisResource])
    pg = aspyre_postgres.add_postgres(builder, "pg")
    assert_type(pg.with_container_name("my-pg"), ResourceBuilder[PostgresServerResource])

    # Executables get with_working_directory; Python apps also with_dockerfile.
    api = builder.add_executable("api", "python", "-m", "http.server")
    assert_type(api.with_working_directory("~/site").with_http_endpoint(), ResourceBuilder[ExecutableResource])
    web = builder.add_python_app("web", "web/main.py")
    assert_type(web.with_dockerfile("web").with_working_directory("web"), ResourceBuilder[PythonAppResource])

    # Python apps get the environment methods; a Uvicorn app keeps its own type along the chain.
    ui = builder.add_uvicorn_app("ui", "ui", "main:app").with_uv(args=["sync"])
    assert_type(ui.with_debugpy().with_auto_instrumentation(False), ResourceBuilder[UvicornAppResource])
    assert_type(ui.with_http_health_check("/health").with_dockerfile("ui"), ResourceBuilder[UvicornAppResource])
    jobs = builder.add_python_module("jobs", "jobs", "jobs.main").with_pip(install=False)
    assert_type(jobs.with_virtual_environment("env"), ResourceBuilder[PythonAppResource])
    assert_type(builder.add_python_executable("celery", "jobs", "celery"), ResourceBuilder[PythonAppResource])

    # Methods for every resource stay on every builder.
    secret = builder.add_parameter("secret", secret=True)
    assert_type(secret.with_relationship(cache, "Uses"), ResourceBuilder[ParameterResource])
    assert_type(web.with_reference(redis).wait_for(redis), ResourceBuilder[PythonAppResource])
