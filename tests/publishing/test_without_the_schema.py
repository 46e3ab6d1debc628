"""Without Aspire's schema only the schema tests skip: golden-file and secret checks still run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .helpers import REPO_ROOT

#: Tests whose checks must never depend on the schema being there.
CHECKS = [
    "tests/publishing/test_golden.py::test_every_resource_type_and_value_kind",
    "tests/publishing/test_golden.py::test_redis",
    "tests/publishing/test_golden.py::test_postgres",
    "tests/publishing/test_publish_mode.py::test_secret_values_never_appear",
    "tests/redis/test_redis_manifest.py::test_golden_manifest",
    "tests/postgres/test_postgres_manifest.py::test_golden_manifest",
]
SCHEMA_TEST = "tests/publishing/test_golden.py::test_golden_manifests_validate_against_aspires_schema[redis]"


def run_pytest(tmp_path: Path, *tests: str, require: bool) -> str:
    env = dict(os.environ)
    env["ASPYRE_ASPIRE_SCHEMA"] = str(tmp_path / "no-schema-here.json")
    env.pop("ASPYRE_REQUIRE_SCHEMA", None)
    if require:
        env["ASPYRE_REQUIRE_SCHEMA"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *tests],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return proc.stdout + proc.stderr


def test_golden_and_secret_checks_run_and_only_the_schema_test_skips(tmp_path: Path) -> None:
    out = run_pytest(tmp_path, *CHECKS, SCHEMA_TEST, require=False)
    summary = out.strip().splitlines()[-1]
    assert re.search(rf"\b{len(CHECKS)} passed, 1 skipped\b", summary), out
    assert "SKIPPED [1] tests/publishing/test_golden.py" in out, out
    assert "Aspire's manifest schema is not at" in out


def test_a_required_schema_that_is_missing_fails_the_schema_test(tmp_path: Path) -> None:
    out = run_pytest(tmp_path, SCHEMA_TEST, require=True)
    assert re.search(r"\b1 (failed|error)\b", out.strip().splitlines()[-1]), out  # failed in the fixture: an error
    assert "ASPYRE_REQUIRE_SCHEMA=1 but Aspire's manifest schema is not at" in out
