"""build(): whole-model validation in one error, and the dependency graph."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import attrs
import pytest

import aspyre
from aspyre import KnownRelationshipTypes, ReferenceExpression
from aspyre.annotations import WaitAnnotation, WaitType


@pytest.fixture
def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")


@attrs.define(eq=False, repr=False)
class Child(aspyre.Resource, aspyre.IResourceWithParent, aspyre.IResourceWithWaitSupport):
    resource_type: ClassVar[str] = "Child"
    parent: aspyre.IResource = attrs.field(kw_only=True)


def problems_of(builder: aspyre.DistributedApplicationBuilder) -> list[str]:
    with pytest.raises(aspyre.ModelValidationError) as info:
        builder.build()
    err = info.value
    assert str(err).startswith(f"The app model has {len(err.problems)} problem(s):")
    for p in err.problems:
        assert f"  - {p}" in str(err)
    return err.problems


def wait(waiter: aspyre.IResource, on: aspyre.IResource) -> None:
    """A wait added without the builder's checks (as other code may)."""
    waiter.annotations.add(WaitAnnotation(on, WaitType.WAIT_UNTIL_HEALTHY))


def test_a_valid_model_builds(builder: aspyre.DistributedApplicationBuilder) -> None:
    db = builder.add_container("db", "postgres:15").with_endpoint(target_port=5432, name="tcp")
    api = builder.add_executable("api", "python").with_http_endpoint(env="PORT").wait_for(db)
    builder.add_python_app("web", "web.py").with_reference(api).wait_for(api)
    app = builder.build()
    assert [r.name for r in app.model] == ["db", "api", "web"]
    with pytest.raises(RuntimeError, match="already called"):
        builder.add_executable("late", "python")


def test_duplicate_names_added_behind_the_builders_back(builder: aspyre.DistributedApplicationBuilder) -> None:
    builder.add_executable("api", "python")
    builder._resources.append(aspyre.ExecutableResource("API", command="x", working_dir="."))
    (p,) = problems_of(builder)
    assert p.startswith("Multiple resources with the name 'api'")
    assert "'API' (ExecutableResource)" in p
    assert "case-insensitive" in p


def test_unknown_resources_referenced(builder: aspyre.DistributedApplicationBuilder) -> None:
    other = aspyre.DistributedApplicationBuilder([], app_host_path=builder.app_host_path)
    stranger = other.add_executable("stranger", "python").with_http_endpoint()
    secret = other.add_parameter("secret")
    web = builder.add_executable("web", "python")
    web.with_environment("URL", stranger.get_endpoint("http"))
    web.with_args(ReferenceExpression.format("--key={}", secret))
    problems = problems_of(builder)
    assert any(
        "Resource 'web' refers to resource 'stranger', which is not part of this app model" in p for p in problems
    )
    assert any("Resource 'web' refers to resource 'secret', which is not part of this app model" in p for p in problems)


def test_unknown_wait_reference_and_relationship_targets(builder: aspyre.DistributedApplicationBuilder) -> None:
    ghost = aspyre.ContainerResource("ghost")
    web = builder.add_executable("web", "python").wait_for(ghost)
    web.with_relationship(aspyre.Resource("phantom"), "Uses")
    problems = problems_of(builder)
    assert any("'web' refers to resource 'ghost'" in p for p in problems)
    assert any("'web' has a 'Uses' relationship to resource 'phantom'" in p for p in problems)


def test_endpoint_that_does_not_exist(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("api", "python").with_http_endpoint()
    web = builder.add_executable("web", "python").with_environment("API", api.get_endpoint("htp"))
    web.with_reference(api.get_endpoint("grpc"))
    problems = problems_of(builder)
    assert (
        "Resource 'web' uses endpoint 'htp' of resource 'api', which has no such endpoint (its endpoints: http)."
        in problems
    )
    assert any("uses endpoint 'grpc' of resource 'api'" in p for p in problems)


def test_two_parents(builder: aspyre.DistributedApplicationBuilder) -> None:
    a = builder.add_executable("a", "python")
    b = builder.add_executable("b", "python")
    child = builder.add_resource(Child("child", parent=a.resource))
    with pytest.raises(ValueError, match="already has the parent 'a'"):
        child.with_parent_relationship(b)  # caught at the call...
    child.resource.annotations.add(aspyre.annotations.ResourceRelationshipAnnotation(b.resource, KnownRelationshipTypes.PARENT))
    (p,) = problems_of(builder)  # ... and by build() when added by other means
    assert p == "Resource 'child' has 2 parents ('a', 'b'); a resource can have only one parent."


def test_parent_cycle(builder: aspyre.DistributedApplicationBuilder) -> None:
    a = builder.add_executable("a", "python")
    b = builder.add_executable("b", "python").with_parent_relationship(a)
    c = builder.add_executable("c", "python").with_parent_relationship(b)
    a.with_parent_relationship(c)
    (p,) = problems_of(builder)
    assert p.startswith("Resources form a parent cycle: ")
    assert all(f"'{n}'" in p for n in "abc")


def test_lifecycle_parent_cycle_is_reported_once(builder: aspyre.DistributedApplicationBuilder) -> None:
    first = Child("first", parent=aspyre.Resource("placeholder"))
    second = Child("second", parent=first)
    first.parent = second
    builder.add_resource(first)
    builder.add_resource(second)
    (p,) = problems_of(builder)
    assert p.startswith("Resources form a parent cycle")


def test_wait_cycle(builder: aspyre.DistributedApplicationBuilder) -> None:
    a = builder.add_executable("a", "python")
    b = builder.add_executable("b", "python").wait_for(a)
    c = builder.add_executable("c", "python").wait_for_start(b)
    a.wait_for_completion(c)  # each call is fine on its own
    (p,) = problems_of(builder)
    assert p.startswith("Resources wait for each other in a cycle: ")
    assert "remove one of the waits" in p


def test_wait_cycle_through_a_parent(builder: aspyre.DistributedApplicationBuilder) -> None:
    server = builder.add_executable("server", "python")
    db = builder.add_resource(Child("db", parent=server.resource))
    other = builder.add_executable("other", "python").wait_for(db)  # also waits for server (implicit)
    assert [w.resource.name for w in other.resource.annotations.all(WaitAnnotation)] == ["server", "db"]
    wait(server.resource, other.resource)
    problems = problems_of(builder)
    assert problems
    assert all(p.startswith("Resources wait for each other in a cycle") for p in problems)


def test_waits_on_self_and_parent(builder: aspyre.DistributedApplicationBuilder) -> None:
    server = builder.add_executable("server", "python")
    db = builder.add_resource(Child("db", parent=server.resource))
    with pytest.raises(ValueError, match="The 'server' resource cannot wait for itself"):
        server.wait_for(server)
    with pytest.raises(ValueError, match="The 'db' resource cannot wait for its parent 'server'"):
        db.wait_for(server)
    wait(server.resource, server.resource)
    wait(db.resource, server.resource)
    problems = problems_of(builder)
    assert "The 'server' resource cannot wait for itself; remove that wait." in problems
    assert any(p.startswith("The 'db' resource cannot wait for its parent 'server'") for p in problems)


def test_every_problem_in_one_error(builder: aspyre.DistributedApplicationBuilder) -> None:
    a = builder.add_executable("a", "python")
    b = builder.add_executable("b", "python").wait_for(a)
    wait(a.resource, b.resource)
    wait(a.resource, a.resource)
    builder._resources.append(aspyre.Resource("A"))
    b.wait_for(aspyre.ContainerResource("nowhere"))  # (a free-standing parameter in a value would be adopted)
    problems = problems_of(builder)
    kinds = {
        "Multiple resources": False,
        "not part of this app model": False,
        "cannot wait for itself": False,
        "wait for each other in a cycle": False,
    }
    for p in problems:
        for k in kinds:
            kinds[k] = kinds[k] or k in p
    assert all(kinds.values()), problems


def test_dependencies_from_waits_parents_and_values(builder: aspyre.DistributedApplicationBuilder) -> None:
    pw = builder.add_parameter("pw", secret=True)
    cache = builder.add_container("cache", "redis").with_endpoint(target_port=6379, name="tcp")
    cs = builder.add_connection_string(
        "cs", ReferenceExpression.format("{}:{}", cache.get_endpoint("tcp").property(aspyre.EndpointProperty.HOST), pw)
    )
    api = builder.add_executable("api", "python").with_http_endpoint()
    server = builder.add_executable("server", "python")
    child = builder.add_resource(Child("child", parent=server.resource))
    token = builder.add_parameter("token")
    label = builder.add_parameter("label")
    web = (
        builder.add_python_app("web", "web.py")
        .with_reference(cs)
        .with_environment("API", ReferenceExpression.format("{}/x", api.get_endpoint("http")))
        .with_args(token)
        .wait_for(child)
    )
    web.with_relationship(label, "Informational")  # relationships are not dependencies
    model = builder.build().model
    assert model.dependencies("web") == [server.resource, child.resource, cs.resource, api.resource, token.resource]
    assert set(model.dependencies(web.resource, recursive=True)) == {
        server.resource,
        child.resource,
        cs.resource,
        api.resource,
        token.resource,
        cache.resource,
        pw.resource,
    }
    assert model.dependencies("child") == [server.resource]
    assert model.children_of(server.resource) == [child.resource]
    assert model.dependencies("cs") == [cache.resource, pw.resource]
    assert model.of_type(aspyre.ParameterResource) == [pw.resource, token.resource, label.resource]


def test_model_lookup(builder: aspyre.DistributedApplicationBuilder) -> None:
    builder.add_executable("api", "python")
    model = builder.build().model
    assert model.get("nope") is None
    with pytest.raises(KeyError, match="No resource named 'nope'"):
        model["nope"]
    assert len(model) == 1
    assert isinstance(model.resources, tuple)


def test_long_wait_chains_and_a_cycle_at_their_end(builder: aspyre.DistributedApplicationBuilder) -> None:
    previous = builder.add_executable("r0", "python")
    first = previous
    for i in range(1, 3000):  # deeper than the recursion limit
        previous = builder.add_executable(f"r{i}", "python").wait_for(previous)
    first.wait_for(previous)
    (p,) = problems_of(builder)
    assert p.startswith("Resources wait for each other in a cycle: 'r0' -> 'r2999' -> 'r2998'")
    assert "... (2992 more) ... -> 'r2' -> 'r1' -> 'r0'." in p
