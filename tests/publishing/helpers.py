"""Helpers for the publishing tests: schema validation, golden files, publishing an app in-process."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import aspyre

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
#: Set ASPYRE_UPDATE_GOLDEN=1 to rewrite the golden files from the current output (then review the diff).
UPDATE_GOLDEN = os.environ.get("ASPYRE_UPDATE_GOLDEN") == "1"
REQUIRE_SCHEMA = os.environ.get("ASPYRE_REQUIRE_SCHEMA") == "1"


def schema_path() -> Path:
    """Aspire's manifest schema: ``$ASPYRE_ASPIRE_SCHEMA``, else ``../shared/aspire-schema/aspire-8.0.json``."""
    explicit = os.environ.get("ASPYRE_ASPIRE_SCHEMA")
    if explicit:
        return Path(explicit)
    return REPO_ROOT.parent / "shared" / "aspire-schema" / "aspire-8.0.json"


@functools.cache
def _validator() -> Any:
    import jsonschema

    path = schema_path()
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def schema_validator() -> Any:
    """The Draft-07 validator of Aspire's schema; skips (fails under ASPYRE_REQUIRE_SCHEMA=1) without it."""
    validator = _validator()
    if validator is None:
        msg = (
            f"Aspire's manifest schema is not at {schema_path()} (set ASPYRE_ASPIRE_SCHEMA to its path, "
            "or put shared/aspire-schema/ beside the repository)"
        )
        if REQUIRE_SCHEMA:
            pytest.fail(f"ASPYRE_REQUIRE_SCHEMA=1 but {msg}")
        pytest.skip(msg)
    return validator


def schema_errors(document: object) -> list[str]:
    """Every schema violation in ``document``, as ``path: message`` lines."""
    validator = schema_validator()
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return ["/".join(str(p) for p in e.absolute_path) + ": " + e.message for e in errors]


def check_manifest(text: str) -> dict[str, Any]:
    """Validate a manifest against Aspire's schema and check it round-trips through the typed model."""
    document = json.loads(text)
    errors = schema_errors(document)
    assert not errors, "the manifest does not validate against Aspire's schema:\n" + "\n".join(errors)
    assert_round_trips(text)
    return document  # type: ignore[no-any-return]


def assert_round_trips(text: str) -> None:
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    manifest = aspyre.publishing.manifest_from_json(text)
    assert aspyre.publishing.manifest_to_json(manifest) == text
    assert aspyre.publishing.manifest_from_json(aspyre.publishing.manifest_to_json(manifest)) == manifest


def assert_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``golden/<name>.json`` (rewrite it under ASPYRE_UPDATE_GOLDEN=1)."""
    path = GOLDEN_DIR / f"{name}.json"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.is_file(), f"golden file {path} is missing: run the tests with ASPYRE_UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"the manifest differs from {path} (ASPYRE_UPDATE_GOLDEN=1 rewrites it)"


def publish_builder(
    app_dir: Path, output: str = "out", publisher: str = "manifest"
) -> aspyre.DistributedApplicationBuilder:
    """A publish-mode builder whose app host lives in ``app_dir``."""
    return aspyre.DistributedApplication.create_builder(
        ["--publisher", publisher, "--output-path", str(app_dir / output)], app_host_path=app_dir / "apphost.py"
    )


async def publish(builder: aspyre.DistributedApplicationBuilder) -> tuple[Path, str]:
    """Build and publish; returns the manifest path and its text."""
    app = builder.build()
    path = await app.publish_async()
    return path, path.read_text(encoding="utf-8")


def run_app_host(
    script: Path, args: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, str, str]:
    """Run an app host file with this interpreter; returns (exit code, stdout, stderr)."""
    import subprocess

    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd or script.parent,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr
