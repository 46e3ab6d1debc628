"""Publish mode: the talking clock and its hands stay out of the manifest."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

import aspyre


def clock_and_web(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    builder = aspyre.DistributedApplication.create_builder(["--publisher", "manifest", "--output-path", str(tmp_path)])
    builder.add_talking_clock("clock")
    builder.add_container("web", "nginx", "1.27")
    return builder


@pytest.mark.anyio
async def test_the_clock_and_its_hands_are_not_in_the_manifest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder = clock_and_web(tmp_path)
    started: list[str] = []
    builder.eventing.subscribe(aspyre.events.InitializeResourceEvent, lambda e: started.append(e.resource.name))
    builder.eventing.subscribe(aspyre.events.BeforeResourceStartedEvent, lambda e: started.append(e.resource.name))
    app = builder.build()
    with caplog.at_level(logging.WARNING):
        path = await app.publish_async()

    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document["resources"]) == ["web"]
    # Nothing runs in publish mode: the clock's lifecycle never started.
    assert started == []
    # Excluded on purpose: no "has no manifest form" complaint about the clock or its hands.
    assert [r.getMessage() for r in caplog.records] == []


@pytest.mark.anyio
async def test_the_manifest_validates_against_aspires_schema(
    tmp_path: Path, manifest_schema_errors: Callable[[object], list[str]]
) -> None:
    path = await clock_and_web(tmp_path).build().publish_async()
    assert manifest_schema_errors(json.loads(path.read_text(encoding="utf-8"))) == []
