"""A model of many interlinked resources (what ``bench/bench_publish.py`` measures, smaller): ``build()`` and
publishing leave no garbage for the cyclic collector, and what they find out about the model once is never
kept past a change of the model."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

import aspyre
from aspyre._publishing._manifest import build_manifest

from .helpers import publish, publish_builder


def describe(builder: aspyre.DistributedApplicationBuilder, n: int) -> None:
    """Parameters, composed connection strings, containers and executables, each using about three others."""
    params: list[Any] = []
    containers: list[Any] = []
    connections: list[Any] = []
    for i in range(n):
        kind = i % 4
        if kind == 0 or not params:
            params.append(builder.add_parameter(f"param-{i}", secret=i % 8 == 0))
        elif kind == 1 and containers:
            ep = containers[-1].get_endpoint("tcp")
            expr = aspyre.ReferenceExpression.format(
                "Host={h};Port={p};Password={pw:uri}",
                h=ep.property(aspyre.EndpointProperty.HOST),
                p=ep.property(aspyre.EndpointProperty.PORT),
                pw=params[-1],
            )
            connections.append(builder.add_connection_string(f"conn-{i}", expr))
        elif kind == 2 or not containers:
            c = builder.add_container(f"container-{i}", "acme/service", "1.0")
            c.with_endpoint(target_port=6000 + i, name="tcp")
            c.with_environment("SECRET", params[-1])
            if connections:
                c.with_reference(connections[-1])
            if containers:
                c.with_environment("PEER", containers[-1].get_endpoint("tcp"))
            containers.append(c)
        else:
            e = builder.add_executable(f"exe-{i}", "acme-worker", "--id", str(i))
            e.with_http_endpoint(env="PORT")
            e.with_environment("PEER", containers[-1].get_endpoint("tcp"))
            e.with_environment("TOKEN", params[-1])
            if connections:
                e.with_reference(connections[-1])


@pytest.mark.anyio
async def test_build_and_publishing_leave_no_reference_cycles_behind(tmp_path: Path) -> None:
    """Walking values with recursive closures left one reference cycle per walk (a few hundred thousand objects
    for the collector to find at 10,000 resources); nothing walked should need the collector to be freed."""
    builder = publish_builder(tmp_path)
    describe(builder, 200)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        app = builder.build()
        assert gc.collect() == 0
        manifest = await build_manifest(app.model, manifest_path=tmp_path / "out" / "aspire-manifest.json")
        assert len(manifest.resources) > 200  # the resources and the parameters' uri-encoded values
        del manifest
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


@pytest.mark.anyio
async def test_a_model_changed_after_build_and_publish_is_validated_and_published_afresh(tmp_path: Path) -> None:
    """``build()`` groups each resource's annotations by kind and keeps the groups: every change must forget them."""
    builder = publish_builder(tmp_path)
    describe(builder, 40)
    app = builder.build()
    first = (await app.publish_async()).read_text(encoding="utf-8")
    worker = builder.create_resource_builder(builder.get_resource("exe-3"))
    assert json.loads(first)["resources"]["exe-3"]["env"]["PEER"] == "{container-2.bindings.tcp.url}"
    # Changed after build() and a first publish: a variable, an argument and an endpoint more, published again.
    worker.with_environment("ADDED", "later")
    worker.with_args("--added")
    worker.with_endpoint(target_port=7000, name="extra")
    second = (await app.publish_async()).read_text(encoding="utf-8")
    entry = json.loads(second)["resources"]["exe-3"]
    assert entry["env"]["ADDED"] == "later"
    assert entry["args"][-1] == "--added"
    assert "extra" in entry["bindings"]
    _, third = await publish(builder)  # built again
    assert third == second
    # ...and validation sees the change too: a wait on a resource that is not in the model.
    outsider = aspyre.ContainerResource("outsider")
    healthy = aspyre.annotations.WaitType.WAIT_UNTIL_HEALTHY
    worker.with_annotation(aspyre.annotations.WaitAnnotation(builder.get_resource("container-2"), healthy))
    worker.with_annotation(aspyre.annotations.WaitAnnotation(outsider, healthy))
    with pytest.raises(aspyre.ModelValidationError, match="'exe-3' refers to resource 'outsider'"):
        builder.build()
