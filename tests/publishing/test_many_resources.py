"""A model of many interlinked resources (what ``bench/bench_publish.py`` measures, smaller): ``build()`` and
publishing leave no garbage for the cyclic collector, and what they find out about the model once is never
kept past a change of the model."""

from __future__ import annotations

import gc
import json
import logging
from pathlib import Path
from typing import Any

import pytest

import aspyre
from aspyre._model._execution import ExecutionContext, Operation
from aspyre._publishing._manifest import build_manifest
from aspyre._publishing._manifest_writer import _ManifestWriter

from .helpers import publish, publish_builder


def model_context(app_dir: Path) -> ExecutionContext:
    return ExecutionContext(Operation.PUBLISH, "manifest", app_dir / "out")


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
    warm = publish_builder(tmp_path / "warm")  # modules build() imports on first use (their garbage) loaded first
    describe(warm, 8)
    warm.build()
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


@pytest.mark.anyio
async def test_resources_outside_the_model_that_values_refer_to_are_written_after_it_in_the_order_met(
    tmp_path: Path,
) -> None:
    """Values refer to resources directly (a connection string, an endpoint) or through expressions, however deep;
    those outside the model get their entries after the model's, in the order the values first mention them."""
    builder = publish_builder(tmp_path)
    pw = builder.add_parameter("pw", secret=True)
    outside_cs = aspyre.ConnectionStringResource(
        "outside-cs", expression=aspyre.ReferenceExpression.format("Password={p}", p=pw)
    )
    outside_a = aspyre.ParameterResource("outside-a")
    outside_b = aspyre.ParameterResource("outside-b", secret=True)
    outside_c = aspyre.ParameterResource("outside-c")

    def environment(ctx: aspyre.annotations.EnvironmentCallbackContext) -> None:
        ctx.environment["CS"] = aspyre.model.ConnectionStringReference(outside_cs)  # refers to a resource only
        inner = aspyre.ReferenceExpression.format("{b}", b=outside_b)  # an expression of resources only
        ctx.environment["DEEP"] = aspyre.ReferenceExpression.format(
            "{a}/{inner}/{c:uri}/{cs}",
            a=outside_a,
            inner=inner,
            c=outside_c,
            cs=aspyre.model.ConnectionStringReference(outside_cs),
        )

    builder.add_executable("worker", "acme-worker").with_environment(environment)
    _, text = await publish(builder)
    names = list(json.loads(text)["resources"])
    assert names == ["pw", "worker", "outside-cs", "outside-a", "outside-b", "outside-c", "outside-c-uri-encoded"]
    env = json.loads(text)["resources"]["worker"]["env"]
    assert env == {
        "CS": "{outside-cs.connectionString}",
        "DEEP": "{outside-a.value}/{outside-b.value}/{outside-c-uri-encoded.value}/{outside-cs.connectionString}",
    }


@pytest.mark.anyio
async def test_resources_written_without_awaiting_read_as_through_the_general_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resources without callbacks are written without awaiting anything (most of a model); the general, awaited
    way (callbacks) writes the same entries, in the same order, with the same uri-encoded parameter entries."""
    texts = []
    for way in ("now", "awaited"):
        builder = publish_builder(tmp_path / way)
        describe(builder, 60)
        loose = aspyre.ParameterResource("loose", secret=True)  # adopted by build(), written after the model
        by_hand = aspyre.ReferenceExpression.format("k={k:uri};p={p}", k=loose, p="x")
        builder.add_connection_string("by-hand", by_hand)
        worker = builder.add_executable("worker", "acme-worker", "--pw", loose).with_environment("PW", loose)
        dsn = aspyre.ReferenceExpression.format("{a:uri}@{b}", a=loose, b=builder.get_resource("conn-5"))
        worker.with_environment("DSN", dsn)
        if way == "awaited":
            monkeypatch.setattr(_ManifestWriter, "_write_now", lambda self, resource: False)
        _, text = await publish(builder)
        texts.append(text)
    assert texts[0] == texts[1]
    resources = json.loads(texts[0])["resources"]
    names = list(resources)
    assert names.index("by-hand") < names.index("worker") < names.index("loose") < names.index("loose-uri-encoded")
    assert names[-1] == "param-56-uri-encoded"  # parameters written before their first uri use: at the end
    assert resources["worker"]["env"]["DSN"] == "{loose-uri-encoded.value}@{conn-5.connectionString}"


def test_composed_values_are_tracked_as_track_then_expression_would(tmp_path: Path) -> None:
    """``composed`` writes and tracks an expression whose slots are resources or values of one resource in one pass;
    any expression gives the text, the resources noted (in order) and the uri-encoded entries that ``track`` then
    ``expression`` give."""
    builder = publish_builder(tmp_path)
    pw = builder.add_parameter("pw", secret=True)
    api = builder.add_container("api", "img").with_endpoint(target_port=80, name="http")
    model = builder.build().model
    outside = aspyre.ContainerResource("outside")
    outside_pw = aspyre.ParameterResource("outside-pw")
    outside_cs = aspyre.ConnectionStringResource("outside-cs", expression=aspyre.ReferenceExpression.format("x"))
    host = aspyre.EndpointProperty.HOST
    expressions = [
        aspyre.ReferenceExpression.format("{a}:{b}/{c:uri}", a=api.get_endpoint("http").property(host), b=pw, c=pw),
        aspyre.ReferenceExpression.format(
            "{o}|{p:uri}|{q}|{cs}",
            o=aspyre.EndpointReference(outside, "http").property(host),
            p=outside_pw,
            q=aspyre.EndpointReference(outside, "http"),
            cs=aspyre.model.ConnectionStringReference(outside_cs),
        ),
        aspyre.ReferenceExpression.format(  # a nested expression: the general way, from its first slot
            "{a:uri}-{n}-{b:uri}", a=outside_pw, n=aspyre.ReferenceExpression.format("{x:uri}", x=pw), b=pw
        ),
        aspyre.ReferenceExpression.format("{e:uri}", e=api.get_endpoint("http")),  # a format on a non-parameter
        aspyre.ReferenceExpression.format("plain text only"),
    ]
    path = tmp_path / "out" / "aspire-manifest.json"
    one_pass = _ManifestWriter(model, path, model_context(tmp_path), logging.getLogger("test"))
    two_passes = _ManifestWriter(model, path, model_context(tmp_path), logging.getLogger("test"))
    for expr in expressions:
        text = one_pass.composed(expr)
        two_passes.track(expr)
        assert text == two_passes.expression(expr)
        assert list(one_pass._referenced) == list(two_passes._referenced)
        assert [(p.name, f) for p, f in one_pass._formatted.values()] == [
            (p.name, f) for p, f in two_passes._formatted.values()
        ]
        assert one_pass._names == two_passes._names
    assert list(one_pass._referenced) == ["outside", "outside-pw", "outside-cs"]
    assert one_pass.composed(expressions[0]) == "{api.bindings.http.host}:{pw.value}/{pw-uri-encoded.value}"
