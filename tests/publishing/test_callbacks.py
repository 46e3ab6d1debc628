"""Custom manifest entries (ManifestPublishingCallbackAnnotation) and exclusion."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import aspyre

from .apps import TopicResource
from .helpers import assert_round_trips, check_manifest, publish, publish_builder

pytestmark = pytest.mark.anyio


def add_function_app(
    builder: aspyre.DistributedApplicationBuilder, tmp_path: Path, seen: dict[str, object]
) -> aspyre.ResourceBuilder[Any]:
    """``api``, written by a callback as an ``acme.function.v0`` entry; what the callback saw goes to ``seen``."""
    key = builder.add_parameter("key", secret=True)
    api = builder.add_executable("api", "acme-api", working_dir="services/api").with_http_endpoint(env="PORT")
    api.with_environment("KEY", key).with_args("--key", key)

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
    return api


async def test_a_callback_writes_its_own_entry_with_the_context_helpers(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    seen: dict[str, object] = {}
    api = add_function_app(builder, tmp_path, seen)
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


def add_worker_published_as_a_container(builder: aspyre.DistributedApplicationBuilder) -> None:
    worker = builder.add_executable("worker", "acme-worker").with_http_endpoint(port=9000)

    def as_container(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
        # Aspire's PublishAsContainer, by hand: an executable published as an image
        ctx.write(aspyre.publishing.ManifestContainer(image="acme/worker:2.0", bindings=ctx.bindings()))

    worker.with_manifest_publishing_callback(as_container)


async def test_a_callback_can_start_from_the_default_entry(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    add_worker_published_as_a_container(builder)
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


ODD_ENTRY = {"type": "value.v0", "connectionString": "x", "comment": "made by hand"}


def add_odd_entry(builder: aspyre.DistributedApplicationBuilder) -> None:
    """``events``, written by hand as a ``value.v0`` entry with a field Aspire does not know."""
    builder.add_resource(TopicResource("events")).with_manifest_publishing_callback(lambda ctx: ctx.write(ODD_ENTRY))


async def test_a_callback_entry_of_a_known_type_with_other_fields_is_kept_as_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder = publish_builder(tmp_path)
    add_odd_entry(builder)
    with caplog.at_level(logging.WARNING):
        _, text = await publish(builder)
    assert json.loads(text)["resources"]["events"] == ODD_ENTRY
    assert_round_trips(text)
    # the schema forbids the extra field (test_the_manifests_validate_against_aspires_schema): the warning is right
    assert any("has type 'value.v0' but not the fields aspyre writes" in r.getMessage() for r in caplog.records)


def add_excluded_debugger(builder: aspyre.DistributedApplicationBuilder) -> None:
    debug_password = builder.add_parameter("debug-password", secret=True).exclude_from_manifest()
    builder.add_container("debugger", "acme/debugger").with_environment("PW", debug_password).exclude_from_manifest()
    builder.add_container("web", "nginx")


async def test_excluded_resources_are_left_out(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    add_excluded_debugger(builder)
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


@pytest.mark.parametrize(
    ("scenario", "rejected"),
    [
        ("function app", []),
        ("worker as a container", []),
        ("excluded debugger", []),
        # the extra field of a hand-written value.v0 entry: kept as written, with a warning
        ("odd entry", ["resources/events"]),
    ],
)
async def test_the_manifests_validate_against_aspires_schema(
    tmp_path: Path, scenario: str, rejected: list[str], manifest_schema_errors: Callable[[object], list[str]]
) -> None:
    builder = publish_builder(tmp_path)
    if scenario == "function app":
        add_function_app(builder, tmp_path, {})
    elif scenario == "worker as a container":
        add_worker_published_as_a_container(builder)
    elif scenario == "excluded debugger":
        add_excluded_debugger(builder)
    else:
        add_odd_entry(builder)
    _, text = await publish(builder)
    assert [e.split(": ", 1)[0] for e in manifest_schema_errors(json.loads(text))] == rejected


async def test_the_garbage_collector_is_paused_while_writing_and_restored_after(tmp_path: Path) -> None:
    """Writing the manifest pauses the cyclic collector (a callback sees it off) and puts it back as it was,
    also when a callback fails; ``build()`` does the same around validation."""
    import gc

    seen: list[bool] = []

    def entry(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
        seen.append(gc.isenabled())
        ctx.entry["type"] = "acme.topic.v0"

    def broken(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
        raise RuntimeError("no entry")

    assert gc.isenabled()
    builder = publish_builder(tmp_path)
    builder.add_resource(TopicResource("events")).with_manifest_publishing_callback(entry)
    await builder.build().publish_async()
    assert seen == [False]
    assert gc.isenabled()

    builder = publish_builder(tmp_path)
    builder.add_resource(TopicResource("events")).with_manifest_publishing_callback(broken)
    app = builder.build()
    with pytest.raises(RuntimeError, match="no entry"):
        await app.publish_async()
    assert gc.isenabled()

    gc.disable()
    try:
        builder = publish_builder(tmp_path)
        builder.add_resource(TopicResource("events")).with_manifest_publishing_callback(entry)
        db = builder.add_container("db", "postgres")
        db.wait_for(builder.add_container("web", "nginx").wait_for(db))  # a wait cycle: build() fails
        with pytest.raises(aspyre.DistributedApplicationException):
            builder.build()
        assert not gc.isenabled()  # left off, as it was
    finally:
        gc.enable()
    with pytest.raises(aspyre.DistributedApplicationException):
        builder.build()
    assert gc.isenabled()


def test_run_gives_the_collector_everything_back_when_it_returns(tmp_path: Path) -> None:
    """``run()`` freezes what exists while the app runs; the code after it (a test, a script going on) finds
    nothing frozen, and what someone else froze before stays frozen."""
    import gc

    assert gc.get_freeze_count() == 0
    builder = publish_builder(tmp_path)
    builder.add_resource(TopicResource("events"))
    builder.build().run()
    assert (tmp_path / "out" / "aspire-manifest.json").is_file()
    assert gc.get_freeze_count() == 0

    gc.freeze()  # someone else's
    try:
        frozen = gc.get_freeze_count()
        builder = publish_builder(tmp_path)
        builder.add_resource(TopicResource("events"))
        builder.build().run()
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
