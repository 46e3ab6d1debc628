"""Cycles: resource references form a DAG ("no cycles allowed"); endpoint references may form cycles, as the page
says (a frontend and an OIDC server referring to each other's URLs). ``build()`` rejects every other reference
cycle, naming the path."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import attrs
import pytest

import aspyre
from aspyre import ReferenceExpression

from .helpers import run_builder


@attrs.define(eq=False, repr=False)
class Shard(aspyre.Resource, aspyre.IResourceWithConnectionString):
    """A connection string made from another resource's connection string."""

    resource_type: ClassVar[str] = "Shard"
    upstream: aspyre.IResourceWithConnectionString | None = attrs.field(default=None, kw_only=True)

    @property
    def connection_string_expression(self) -> ReferenceExpression:
        if self.upstream is None:
            return ReferenceExpression.format("shard={}", self.name)
        return ReferenceExpression.format("{};shard={}", self.upstream, self.name)


def problems(builder: aspyre.DistributedApplicationBuilder) -> list[str]:
    with pytest.raises(aspyre.ModelValidationError) as info:
        builder.build()
    return info.value.problems


def test_a_connection_string_that_refers_to_itself_through_another_resource(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    a = builder.add_resource(Shard("a")).resource
    b = builder.add_resource(Shard("b", upstream=a)).resource
    a.upstream = b
    assert problems(builder) == [
        "Resources refer to each other's values in a cycle: 'a' -> 'b' -> 'a'. None of these values could be "
        "resolved; remove one of the references (only endpoint references may form cycles)."
    ]


def test_a_cycle_through_environments_and_references_is_named(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    db = builder.add_resource(Shard("db")).resource
    app = builder.add_executable("app", "python").with_reference(db)
    conn = builder.add_connection_string("conn", ReferenceExpression.format("{}", app.get_endpoint("http")))
    app.with_http_endpoint()
    db.upstream = builder.add_connection_string("mirror", ReferenceExpression.format("{}", db)).resource
    (problem,) = problems(builder)
    assert "'db' -> 'mirror' -> 'db'" in problem
    assert conn.resource in builder.resources  # an endpoint reference back to 'app' is no cycle


def test_endpoint_references_may_form_cycles(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    frontend = builder.add_executable("frontend", "python").with_http_endpoint()
    oidc = builder.add_executable("oidc", "python").with_http_endpoint()
    frontend.with_environment("AUTH_URL", oidc.get_endpoint("http")).with_reference(oidc)
    oidc.with_environment("REDIRECT_URL", ReferenceExpression.format("{}/callback", frontend.get_endpoint("http")))
    oidc.with_reference(frontend.get_endpoint("http"))
    app = builder.build()
    assert [r.name for r in app.model] == ["frontend", "oidc"]


def test_a_resource_using_its_own_connection_string_is_no_cycle(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    shard = builder.add_resource(Shard("solo")).resource
    builder.add_container("server", "redis:7.0").with_environment("SELF", ReferenceExpression.format("{}", shard))
    shard.upstream = None
    builder.build()
