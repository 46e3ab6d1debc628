"""docker-compose itself checks the Compose output: ``config`` accepts every golden app, and ``up`` brings the
stack (Redis, Postgres with a database, two Python apps built from the generated Dockerfiles) to healthy."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import build_wheelhouse, copy_app, publish, require_compose

pytestmark = pytest.mark.docker


def compose(command: list[str], out: Path, project: str, *args: str, timeout: float = 300) -> str:
    proc = subprocess.run(
        [*command, "-p", project, *args],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.mark.parametrize("app", ["demo", "redis", "postgres", "stack"])
def test_compose_config_accepts_the_output(tmp_path: Path, app: str) -> None:
    command = require_compose()
    app_host = copy_app(app, tmp_path)
    publish(app_host, "docker-compose", args=["--parameter", "api-key=k"] if app == "stack" else [])
    out = app_host.parent / "out"
    config = compose(command, out, f"aspyre-config-{uuid.uuid4().hex[:8]}", "config")
    assert "services:" in config


def test_compose_config_names_a_missing_secret(tmp_path: Path) -> None:
    command = require_compose()
    app_host = copy_app("stack", tmp_path)
    publish(app_host, "docker-compose")  # api-key has no value
    proc = subprocess.run([*command, "config"], cwd=app_host.parent / "out", capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "set API_KEY in .env (parameter api-key)" in proc.stderr


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[list[str], Path, str]]:
    """The stack app published with a wheelhouse (containers reach no package index); torn down after."""
    command = require_compose()
    app_host = copy_app("stack", tmp_path)
    app_dir = app_host.parent / "app"
    build_wheelhouse(app_dir / "requirements.txt", app_dir / "wheels")
    text = app_host.read_text(encoding="utf-8").replace(
        'cache = builder.add_redis("cache")',
        'builder.add_docker_compose_environment("compose", wheelhouse="wheels")\ncache = builder.add_redis("cache")',
    )
    app_host.write_text(text, encoding="utf-8")
    publish(app_host, "docker-compose", args=["--parameter", "api-key=deployed-key"])
    out = app_host.parent / "out"
    project = f"aspyre-test-{uuid.uuid4().hex[:10]}"
    try:
        yield command, out, project
    finally:
        subprocess.run(
            [*command, "-p", project, "down", "-v", "--rmi", "local", "--remove-orphans"],
            cwd=out,
            capture_output=True,
            timeout=300,
            check=False,
        )


def _containers(project: str) -> list[dict[str, Any]]:
    ids = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not ids:
        return []
    return json.loads(subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, check=True).stdout)


def _leftovers(project: str) -> dict[str, list[str]]:
    label = f"label=com.docker.compose.project={project}"
    found: dict[str, list[str]] = {}
    for kind in ("container", "volume", "network"):
        args = ["docker", kind, "ls", "-q", "--filter", label] if kind != "container" else ["docker", "ps", "-aq", "--filter", label]
        found[kind] = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
    images = subprocess.run(["docker", "images", "-q", f"{project}_*"], capture_output=True, text=True, check=True)
    found["image"] = images.stdout.split()
    return found


@pytest.mark.slow
def test_up_brings_the_stack_to_healthy_and_down_leaves_nothing(stack: tuple[list[str], Path, str]) -> None:
    command, out, project = stack
    compose(command, out, project, "up", "-d", "--build", timeout=600)
    deadline = time.monotonic() + 180
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {}
        for c in _containers(project):
            service = c["Config"]["Labels"]["com.docker.compose.service"]
            health = c["State"].get("Health", {}).get("Status")
            states[service] = health or c["State"]["Status"]
        if states.get("api") == "healthy" and states.get("cache") == "healthy" and states.get("pg") == "healthy":
            break
        time.sleep(1)
    assert states == {"cache": "healthy", "pg": "healthy", "migrate": "exited", "api": "healthy"}, states
    migrate = next(c for c in _containers(project) if c["Config"]["Labels"]["com.docker.compose.service"] == "migrate")
    assert migrate["State"]["ExitCode"] == 0

    # The app reached both through the generated addresses: it counts in Redis and reads what migrate wrote
    # into the database the deployment created.
    probe = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/').read().decode())"
    first = json.loads(compose(command, out, project, "exec", "-T", "api", "python", "-c", probe))
    second = json.loads(compose(command, out, project, "exec", "-T", "api", "python", "-c", probe))
    assert first["database"] == "appdb"
    assert first["notes"] == ["written by migrate"]
    assert first["redis_host"] == "cache"
    assert second["visits"] == first["visits"] + 1
    assert first["greeting"] == "hello from $HOME, 100% # deployed"  # a parameter's default, not interpolated
    assert first["api_key_length"] == len("deployed-key")
    # The Redis server really requires the generated password.
    noauth = subprocess.run(
        [*command, "-p", project, "exec", "-T", "cache", "redis-cli", "ping"], cwd=out, capture_output=True, text=True
    )
    assert "NOAUTH" in noauth.stdout + noauth.stderr

    assert _leftovers(project)["volume"], "the data volume should exist while the stack runs"
    compose(command, out, project, "down", "-v", "--rmi", "local")
    assert _leftovers(project) == {"container": [], "volume": [], "network": [], "image": []}
