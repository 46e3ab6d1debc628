"""The Redis manifest entries: a golden file written by ``python apphost.py --publisher manifest``.

Publish mode needs no Docker: the app host runs with ``DOCKER_HOST`` pointing nowhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import aspyre

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "redis-manifest.json"
#: ASPYRE_UPDATE_GOLDEN=1 rewrites the golden file from the current output (then review the diff).
UPDATE_GOLDEN = os.environ.get("ASPYRE_UPDATE_GOLDEN") == "1"


def publish_example(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """Copy the test app host to ``tmp_path/app`` and publish it there, without Docker."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    shutil.copy(HERE / "manifest_app" / "apphost.py", app_dir / "apphost.py")
    env = dict(os.environ)
    env["DOCKER_HOST"] = f"unix://{tmp_path}/no-docker-here.sock"
    proc = subprocess.run(
        [sys.executable, "apphost.py", "--publisher", "manifest", "--output-path", "out"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    text = (app_dir / "out" / "aspire-manifest.json").read_text(encoding="utf-8")
    return text, json.loads(text)


def test_golden_manifest(tmp_path: Path) -> None:
    text, document = publish_example(tmp_path)
    if UPDATE_GOLDEN:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8", newline="\n")
    assert text == GOLDEN.read_text(encoding="utf-8"), f"the manifest differs from {GOLDEN}"
    assert document["$schema"] == "https://json.schemastore.org/aspire-8.0.json"


def test_the_golden_manifest_validates_against_aspires_schema(
    manifest_schema_errors: Callable[[object], list[str]],
) -> None:
    """test_golden_manifest pins the output to the golden file; here the file meets Aspire's schema."""
    assert manifest_schema_errors(json.loads(GOLDEN.read_text(encoding="utf-8"))) == []


def test_manifest_entries_match_aspires(tmp_path: Path) -> None:
    """The facts Aspire's own tests check (AddRedisTests.VerifyDefaultManifest and friends)."""
    _, document = publish_example(tmp_path)
    resources = document["resources"]

    cache = resources["cache"]
    assert cache["type"] == "container.v0"
    assert (
        cache["connectionString"]
        == "{cache.bindings.tcp.host}:{cache.bindings.tcp.port},password={cache-password.value}"
    )
    assert cache["image"] == "docker.io/library/redis:8.6"
    assert cache["entrypoint"] == "/bin/sh"
    assert cache["env"] == {"REDIS_PASSWORD": "{cache-password.value}"}
    assert cache["bindings"] == {"tcp": {"scheme": "redis", "protocol": "tcp", "transport": "tcp", "targetPort": 6379}}
    assert cache["args"][0] == "-c"
    assert "--save 60 1" in cache["args"][1]
    assert cache["volumes"] == [{"name": "cache-data", "target": "/data", "readOnly": False}]
    assert resources["cache-password"]["inputs"]["value"] == {
        "type": "string",
        "secret": True,
        "default": {"generate": {"minLength": 22, "special": False}},
    }
    assert resources["cache-password-uri-encoded"] == {
        "type": "annotated.string",
        "value": "{cache-password.value}",
        "filter": "uri",
    }

    sessions = resources["sessions"]
    assert sessions["connectionString"] == "{sessions.bindings.tcp.host}:{sessions.bindings.tcp.port}"
    assert "env" not in sessions
    assert sessions["bindings"]["tcp"]["port"] == 6380
    # the generated password that with_password(None) replaced is not left for the deployment to generate
    assert "sessions-password" not in resources

    queue = resources["queue"]
    assert queue["env"] == {"REDIS_PASSWORD": "{queue-password.value}"}
    assert queue["args"][2:] == ["redis-server", "--maxmemory", "64mb"]

    # the helper containers are development tools, not part of a deployment
    assert "rediscommander" not in resources
    assert "redisinsight" not in resources

    worker_env = resources["worker"]["env"]
    assert worker_env["ConnectionStrings__cache"] == "{cache.connectionString}"
    assert worker_env["CACHE_URI"] == (
        "{cache.bindings.tcp.scheme}://:{cache-password-uri-encoded.value}@{cache.bindings.tcp.host}:{cache.bindings.tcp.port}"
    )
    assert (
        worker_env["SESSIONS_URI"]
        == "{sessions.bindings.tcp.scheme}://{sessions.bindings.tcp.host}:{sessions.bindings.tcp.port}"
    )


@pytest.mark.anyio
async def test_generated_password_stays_when_something_else_uses_it(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder(
        ["--publisher", "manifest", "--output-path", str(tmp_path / "out")], app_host_path=tmp_path / "apphost.py"
    )
    cache = builder.add_redis("cache")
    generated = cache.resource.password_parameter
    cache.with_password(None)
    builder.add_container("admin", "busybox").with_environment("ADMIN_PASSWORD", generated)
    path = await builder.build().publish_async()
    resources = json.loads(path.read_text(encoding="utf-8"))["resources"]
    assert "cache-password" in resources
    assert resources["admin"]["env"] == {"ADMIN_PASSWORD": "{cache-password.value}"}
