"""Where Aspire's own writer and Aspire's own schema disagree, aspyre writes what Aspire writes.

Each test pins the Aspire-compatible output and checks that the schema rejects exactly that
spot (and nothing else), so a change on either side is noticed. docs/publishing.md lists them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import aspyre

from .apps import TopicResource
from .helpers import assert_round_trips, publish, publish_builder

pytestmark = pytest.mark.anyio

SchemaErrors = Callable[[object], list[str]]


async def test_anonymous_volume_has_no_name(tmp_path: Path, manifest_schema_errors: SchemaErrors) -> None:
    builder = publish_builder(tmp_path)
    builder.add_container("web", "nginx").with_volume("/var/cache/nginx")
    _, text = await publish(builder)
    assert_round_trips(text)
    document = json.loads(text)
    assert document["resources"]["web"]["volumes"] == [{"target": "/var/cache/nginx", "readOnly": False}]
    errors = manifest_schema_errors(document)
    assert len(errors) == 1
    assert errors[0].startswith("resources/web: ")
    assert "is not valid under any of the given schemas" in errors[0]
    document["resources"]["web"]["volumes"][0]["name"] = "named"
    assert manifest_schema_errors(document) == []


async def test_unsupported_resource_error_entry(tmp_path: Path, manifest_schema_errors: SchemaErrors) -> None:
    builder = publish_builder(tmp_path)
    builder.add_resource(TopicResource("events"))
    _, text = await publish(builder)
    assert_round_trips(text)
    document = json.loads(text)
    errors = manifest_schema_errors(document)
    assert sorted(errors) == [
        "resources/events: 'type' is a required property",
        "resources/events: {'error': 'This resource does not support generation in the manifest.'} is not valid "
        "under any of the given schemas",
    ]


async def test_build_argument_taken_from_the_environment_is_null(tmp_path: Path, manifest_schema_errors: SchemaErrors) -> None:
    builder = publish_builder(tmp_path)
    web = builder.add_container("web", "ignored")
    web.with_annotation(
        aspyre.annotations.DockerfileBuildAnnotation(
            tmp_path / "web", tmp_path / "web" / "Dockerfile", build_args=(("TOKEN", None),)
        )
    )
    _, text = await publish(builder)
    assert_round_trips(text)
    document = json.loads(text)
    assert document["resources"]["web"]["build"]["args"] == {"TOKEN": None}
    errors = manifest_schema_errors(document)
    assert len(errors) == 1
    assert errors[0].startswith("resources/web: ")
    document["resources"]["web"]["build"]["args"]["TOKEN"] = "value"
    assert manifest_schema_errors(document) == []


async def test_udp_endpoint_transport(tmp_path: Path, manifest_schema_errors: SchemaErrors) -> None:
    builder = publish_builder(tmp_path)
    builder.add_container("dns", "coredns/coredns").with_endpoint(
        target_port=53, name="dns", protocol=aspyre.EndpointProtocol.UDP
    )
    _, text = await publish(builder)
    assert_round_trips(text)
    document = json.loads(text)
    assert document["resources"]["dns"]["bindings"]["dns"] == {
        "scheme": "udp",
        "protocol": "udp",
        "transport": "udp",
        "targetPort": 53,
    }
    errors = manifest_schema_errors(document)
    assert len(errors) == 1
    assert errors[0].startswith("resources/dns: ")
    document["resources"]["dns"]["bindings"]["dns"]["transport"] = "tcp"
    assert manifest_schema_errors(document) == []
