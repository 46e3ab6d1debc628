"""Helpers for the publishing tests: golden files, round trips, publishing an app in-process or in a subprocess."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aspyre

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
#: Set ASPYRE_UPDATE_GOLDEN=1 to rewrite the golden files from the current output (then review the diff).
UPDATE_GOLDEN = os.environ.get("ASPYRE_UPDATE_GOLDEN") == "1"


def check_manifest(text: str) -> dict[str, Any]:
    """Parse a manifest and check it round-trips through the typed model; returns the JSON document.

    Schema validation is not done here: it is a test of its own (the ``manifest_schema_errors``
    fixture), so a missing schema never skips the checks of the test calling this.
    """
    document = json.loads(text)
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


async def publish_app_host(script: Path, output: Path) -> str:
    """Load an app host file in-process (up to its ``run()``), publish its manifest to ``output``; the text."""
    app = aspyre.testing.load_app_host(script, ["--publisher", "manifest", "--output-path", str(output)])
    path = await app.publish_async()
    return path.read_text(encoding="utf-8")
