"""Which containers share the session network (``_orchestrator/_peers.py``): from the model, and from the values
callbacks return. Pure: no engine (the traffic is proved in test_containers_run_mode.py and test_container_runtime.py)."""

from __future__ import annotations

from pathlib import Path

import aspyre
from aspyre._orchestrator._peers import containers_reached, model_peers, resources_in


def _builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


def test_containers_that_reach_no_other_container_need_no_network(tmp_path: Path) -> None:
    b = _builder(tmp_path)
    cache = b.add_redis("cache")
    b.add_postgres("pg").add_database("appdb")
    b.add_executable("worker", "python", "w.py").with_reference(cache).wait_for(cache)
    api = b.add_executable("api", "python", "api.py").with_http_endpoint(name="http")
    # a container reaching a host process goes through host.docker.internal, not the session network
    b.add_container("front", "nginx").with_environment("API", api.get_endpoint("http"))
    assert model_peers(b.build().model) == set()


def test_a_container_that_references_another_shares_the_network_with_it_only(tmp_path: Path) -> None:
    b = _builder(tmp_path)
    cache = b.add_redis("cache")
    b.add_redis("other")
    b.add_container("app", "img").with_reference(cache)
    assert model_peers(b.build().model) == {"app", "cache"}


def test_a_database_stands_for_its_server_and_a_connection_string_for_what_it_names(tmp_path: Path) -> None:
    b = _builder(tmp_path)
    db = b.add_postgres("pg").add_database("appdb")
    cache = b.add_redis("cache")
    endpoint = cache.resource.primary_endpoint.property(aspyre.EndpointProperty.HOST_AND_PORT)
    composed = b.add_connection_string("composed", aspyre.ReferenceExpression.format("{}", endpoint))
    b.add_container("one", "img").with_environment("DB", db)
    b.add_container("two", "img").with_reference(composed)
    assert model_peers(b.build().model) == {"one", "pg", "two", "cache"}


def test_waits_and_relationships_count(tmp_path: Path) -> None:
    b = _builder(tmp_path)
    server = b.add_postgres("pg")
    b.add_container("tool", "img").with_relationship(server.resource, "Tool")  # lists the server by name
    b.add_container("later", "img").wait_for(b.add_container("first", "img"))
    assert model_peers(b.build().model) == {"tool", "pg", "later", "first"}


def test_values_a_callback_returned_are_found_when_resolved(tmp_path: Path) -> None:
    b = _builder(tmp_path)
    cache = b.add_redis("cache")
    db = b.add_postgres("pg").add_database("appdb")
    app = b.add_container("app", "img")
    host = cache.resource.primary_endpoint.property(aspyre.EndpointProperty.HOST)
    values = ["plain", aspyre.ReferenceExpression.format("redis://{}", host), db.resource]
    assert containers_reached(app.resource, resources_in(values)) == {"cache", "pg"}
    assert containers_reached(app.resource, resources_in(["plain"])) == set()
    # its own endpoint is not a peer
    own = app.with_endpoint(target_port=80, name="http").resource
    assert containers_reached(own, resources_in([app.get_endpoint("http")])) == set()
