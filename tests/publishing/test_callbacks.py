"""Custom manifest entries (ManifestPublishingCallbackAnnotation) and exclusion."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import attrs
import pytest

import aspyre

from .apps import TopicResource
from .helpers import assert_round_trips, check_manifest, publish, publish_builder, schema_errors

pytestmark = pytest.mark.anyio


async def test_a_callback_writes_its_own_entry_with_the_context_helpers(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    key = builder.add_parameter("key", secret=True)
    api = builder.add_executable("api", "acme-api", working_dir="services/api").with_http_endpoint(env="PORT")
    api.with_environment("KEY", key).with_args("--key", key)
    seen: dict[str, object] = {}

    async def as_function_app(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
        seen["resource"] = ctx.resource
        seen["publish_mode"] = ctx.execution_context.is_publish_mode
        seen["manifest_path"] = ctx.manifest_path
        seen["output_path"] = ctx.output_path
        ctx.entry["type"] = "acme.function.v0"
        ctx.entry["path"] = ctx.relative_path(tmp_path / "services" / "api")
        ctx.entry["env"] = await ctx.environment()
        ctx.entry["args"] = await ctx.arguments()
        ctx.entry["bindings"] = {n: attrs.asdict(b) for n, b in ctx.bindings().items()}
        ctx.entry["endpoint"] = ctx.expression(api.get_endpoint("http"))

    api.with_manifest_publishing_callback(as_function_app)
    _, text = await publish(builder)
    check_manifest(text)
    entry = json.loads(text)["resources"]["api"]
    assert seen == {
        "resource": api.resource,
        "publish_mode": True,
        "manifest_path": tmp_path / "out" / "aspire-manifest.json",
        "output_path": tmp_path / "out",
    }
    assert entry == {
        "type": "acme.function.v0",
        "path": "../services/api",
        "env": {"PORT": "{api.bindings.http.targetPort}", "KEY": "{key.value}"},
        "args": ["--key", "{key.value}"],
        "bindings": {
            "http": {
                "scheme": "http",
                "protocol": "tcp",
                "transport": "http",
                "port": None,
                "target_port": 8000,
                "external": False,
            }
        },
        "endpoint": "{api.bindings.http.url}",
    }


async def test_a_callback_can_start_from_the_default_entry(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    worker = builder.add_executable("worker", "acme-worker").with_http_endpoint(port=9000)

    def as_container(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
        # Aspire's PublishAsContainer, by hand: an executable published as an image
        ctx.write(aspyre.publishing.ManifestContainer(image="acme/worker:2.0", bindings=ctx.bindings()))

    worker.with_manifest_publishing_callback(as_container)
    _, text = await publish(builder)
    check_manifest(text)
    manifest = aspyre.publishing.manifest_from_json(text)
    assert manifest.resources["worker"] == aspyre.publishing.ManifestContainer(
        image="acme/worker:2.0",
        bindings={"http": aspyre.publishing.ManifestBinding("http", "tcp", "http", target_port=9000)},
    )


async def test_a_callback_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    builder.add_resource(TopicResource("events")).with_manifest_publishing_callback(lambda ctx: None)
    with pytest.raises(aspyre.publishing.ManifestPublishingError, match=r"resource 'events' wrote nothing.*exclude_from_manifest"):
        await builder.build().publish_async()


async def test_a_callback_entry_of_a_known_type_with_other_fields_is_kept_as_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder = publish_builder(tmp_path)
    odd = {"type": "value.v0", "connectionString": "x", "comment": "made by hand"}
    builder.add_resource(TopicResource("events")).with_manifest_publishing_callback(lambda ctx: ctx.write(odd))
    with caplog.at_level(logging.WARNING):
        _, text = await publish(builder)
    assert json.loads(text)["resources"]["events"] == odd
    assert_round_trips(text)
    # the schema forbids the extra field: the warning was right
    assert [e.split(": ", 1)[0] for e in schema_errors(json.loads(text))] == ["resources/events"]
    assert any("has type 'value.v0' but not the fields aspyre writes" in r.getMessage() for r in caplog.records)


async def test_excluded_resources_are_left_out(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    debug_password = builder.add_parameter("debug-password", secret=True).exclude_from_manifest()
    builder.add_container("debugger", "acme/debugger").with_environment("PW", debug_password).exclude_from_manifest()
    builder.add_container("web", "nginx")
    _, text = await publish(builder)
    check_manifest(text)
    assert list(json.loads(text)["resources"]) == ["web"]


async def test_a_resource_without_a_manifest_form_gets_aspires_error_entry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder = publish_builder(tmp_path)
    builder.add_resource(TopicResource("events"))
    with caplog.at_level(logging.WARNING):
        _, text = await publish(builder)
    assert json.loads(text)["resources"]["events"] == {
        "error": "This resource does not support generation in the manifest."
    }
    assert_round_trips(text)  # (the schema rejects error entries: see test_schema_gaps.py)
    assert any(
        "'events' (TopicResource) has no manifest form" in r.getMessage()
        and "exclude_from_manifest()" in r.getMessage()
        for r in caplog.records
    )


async def test_a_callback_entry_must_be_json_data(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)

    def write_path(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
        ctx.entry["type"] = "acme.files.v0"
        ctx.entry["root"] = tmp_path  # a Path, not a string

    builder.add_resource(TopicResource("files")).with_manifest_publishing_callback(write_path)
    with pytest.raises(aspyre.publishing.ManifestPublishingError, match=r"resource 'files' is not JSON data.*context\.expression"):
        await builder.build().publish_async()
