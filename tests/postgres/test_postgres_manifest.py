"""Golden manifest of an app host with PostgreSQL servers and databases; publish mode needs no Docker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = HERE / "manifest_app"
GOLDEN = HERE / "golden" / "aspire-manifest.json"
#: ASPYRE_UPDATE_GOLDEN=1 rewrites the golden file from the current output (then review the diff).
UPDATE_GOLDEN = os.environ.get("ASPYRE_UPDATE_GOLDEN") == "1"


def publish_app(tmp_path: Path) -> str:
    """Copy the app host to ``tmp_path`` and publish it from the command line, with Docker unreachable."""
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    env = dict(os.environ)
    env["DOCKER_HOST"] = f"unix://{tmp_path / 'no-docker.sock'}"
    proc = subprocess.run(
        [sys.executable, "apphost.py", "--publisher", "manifest", "--output-path", "out"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"publishing failed:\n{proc.stdout}\n{proc.stderr}"
    return (app / "out" / "aspire-manifest.json").read_text(encoding="utf-8")


def test_golden_manifest(tmp_path: Path) -> None:
    text = publish_app(tmp_path)
    if UPDATE_GOLDEN:
        GOLDEN.write_text(text, encoding="utf-8", newline="\n")
    assert text == GOLDEN.read_text(encoding="utf-8"), f"the manifest differs from {GOLDEN}"


def test_manifest_matches_aspires(tmp_path: Path) -> None:
    """The entries Aspire's own tests expect (AddPostgresTests.VerifyManifest*)."""
    resources = json.loads(publish_app(tmp_path))["resources"]
    assert resources["pg"] == {
        "type": "container.v0",
        "connectionString": (
            "Host={pg.bindings.tcp.host};Port={pg.bindings.tcp.port};Username=postgres;Password={pg-password.value}"
        ),
        "image": "docker.io/library/postgres:17.6",
        "env": {
            "POSTGRES_HOST_AUTH_METHOD": "scram-sha-256",
            "POSTGRES_INITDB_ARGS": "--auth-host=scram-sha-256 --auth-local=scram-sha-256",
            "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": "{pg-password.value}",
        },
        "bindings": {"tcp": {"scheme": "tcp", "protocol": "tcp", "transport": "tcp", "targetPort": 5432}},
    }
    assert resources["appdb"] == {"type": "value.v0", "connectionString": "{pg.connectionString};Database=appdb"}
    assert resources["sales"]["connectionString"] == "{reports.connectionString};Database=sales_2026"
    assert resources["reports"]["connectionString"] == (
        "Host={reports.bindings.tcp.host};Port={reports.bindings.tcp.port};Username={reports-user.value};"
        "Password={reports-password.value}"
    )
    # the admin UIs exist only in run mode
    assert "pgadmin" not in resources and "pgweb" not in resources


def test_the_golden_manifest_validates_against_aspires_schema(
    manifest_schema_errors: Callable[[object], list[str]],
) -> None:
    """test_golden_manifest pins the output to the golden file; here the file meets Aspire's schema."""
    errors = manifest_schema_errors(json.loads(GOLDEN.read_text(encoding="utf-8")))
    assert not errors, "\n".join(errors)
