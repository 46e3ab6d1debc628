"""Golden-file tests: the manifest of apps with every resource type and value kind."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

import aspyre

from .apps import build_everything
from .helpers import GOLDEN_DIR, assert_golden, check_manifest, publish, publish_builder

pytestmark = pytest.mark.anyio


async def test_every_resource_type_and_value_kind(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    builder = publish_builder(tmp_path)
    build_everything(builder)
    with caplog.at_level(logging.WARNING, logger="aspyre.publishing"):
        path, text = await publish(builder)
    assert path == tmp_path / "out" / "aspire-manifest.json"
    check_manifest(text)
    assert_golden("everything", text)
    # the secret parameter's constant default is left out, and the user is told why
    assert "not-in-the-manifest" not in text
    assert any("'admin-token' is secret" in r.getMessage() for r in caplog.records)


async def test_output_is_deterministic(tmp_path: Path) -> None:
    texts = []
    for _ in range(2):
        builder = publish_builder(tmp_path)
        build_everything(builder)
        texts.append((await publish(builder))[1])
    assert texts[0] == texts[1]


async def test_redis(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    cache = builder.add_redis("cache")
    builder.add_container("web", "nginx", "1.27").with_reference(cache).wait_for(cache)
    _, text = await publish(builder)
    check_manifest(text)
    assert_golden("redis", text)


async def test_postgres(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    pg = builder.add_postgres("pg")
    db = pg.add_database("appdb")
    builder.add_executable("migrate", "alembic", "upgrade", "head").with_reference(db).wait_for(db)
    _, text = await publish(builder)
    check_manifest(text)
    assert_golden("postgres", text)


async def test_the_manifest_is_aspyres_typed_model(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    build_everything(builder)
    _, text = await publish(builder)
    manifest = aspyre.publishing.manifest_from_json(text)
    api = manifest.resources["api"]
    assert isinstance(api, aspyre.publishing.ManifestExecutable)
    assert api.command == "python"
    assert api.args is not None
    assert api.args[:2] == ("-u", "../api/main.py")
    frontend = manifest.resources["frontend"]
    assert isinstance(frontend, aspyre.publishing.ManifestContainer)
    assert frontend.type == "container.v1"
    assert frontend.build == aspyre.publishing.ManifestBuild(
        context="../frontend", dockerfile="../frontend/Dockerfile.prod", stage="runtime"
    )
    # the python entry (interpreter arguments and script) is the image's business, not the container's args
    assert frontend.args == ("--theme", "dark")
    topic = manifest.resources["events"]
    assert isinstance(topic, aspyre.publishing.ManifestRawResource)
    assert topic.type == "acme.topic.v0"
    assert "dashboard" not in manifest.resources
    # model order, then referenced resources that are not in the model, then formatted parameters
    names = list(manifest.resources)
    assert names.index("callback-secret") > names.index("tools")
    assert names[-2:] == ["queue-password-uri-encoded", "api-key-uri-encoded"]


@pytest.mark.parametrize("name", ["everything", "redis", "postgres"])
def test_golden_manifests_validate_against_aspires_schema(
    name: str, manifest_schema_errors: Callable[[object], list[str]]
) -> None:
    """The golden tests pin the output to these files; here the files meet Aspire's schema."""
    document = json.loads((GOLDEN_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert manifest_schema_errors(document) == []


def test_every_golden_file_is_validated() -> None:
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.json")) == ["everything", "postgres", "redis"]
