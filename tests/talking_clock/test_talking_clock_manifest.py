"""Publish mode: the talking clock and its hands stay out of the manifest."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

import aspyre

SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "aspire-schema" / "aspire-8.0.json"


def _schema_errors(document: object) -> list[str]:
    path = Path(os.environ.get("ASPYRE_ASPIRE_SCHEMA") or SCHEMA)
    if not path.is_file():
        msg = f"Aspire's manifest schema is not at {path} (set ASPYRE_ASPIRE_SCHEMA)"
        if os.environ.get("ASPYRE_REQUIRE_SCHEMA") == "1":
            pytest.fail(f"ASPYRE_REQUIRE_SCHEMA=1 but {msg}")
        pytest.skip(msg)
    import jsonschema

    validator = jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.anyio
async def test_the_clock_and_its_hands_are_not_in_the_manifest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder = aspyre.DistributedApplication.create_builder(["--publisher", "manifest", "--output-path", str(tmp_path)])
    builder.add_talking_clock("clock")
    builder.add_container("web", "nginx", "1.27")
    started: list[str] = []
    builder.eventing.subscribe(aspyre.events.InitializeResourceEvent, lambda e: started.append(e.resource.name))
    builder.eventing.subscribe(aspyre.events.BeforeResourceStartedEvent, lambda e: started.append(e.resource.name))
    app = builder.build()
    with caplog.at_level(logging.WARNING):
        path = await app.publish_async()

    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document["resources"]) == ["web"]
    assert _schema_errors(document) == []
    # Nothing runs in publish mode: the clock's lifecycle never started.
    assert started == []
    # Excluded on purpose: no "has no manifest form" complaint about the clock or its hands.
    assert [r.getMessage() for r in caplog.records] == []
