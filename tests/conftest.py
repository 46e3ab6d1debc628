"""Shared fixtures.

Docker: tests marked ``@pytest.mark.docker`` (or using the ``docker_client`` fixture) need a
reachable Docker engine. Without one they skip, with a reason, unless ``ASPYRE_REQUIRE_DOCKER=1``
(CI sets it), in which case they fail.

Aspire's manifest schema: tests using the ``manifest_schema_errors`` fixture validate against it.
Without it they skip, unless ``ASPYRE_REQUIRE_SCHEMA=1`` (CI sets it). Only schema tests use the
fixture, so golden-file and content checks never skip for want of the schema.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REQUIRE_DOCKER = os.environ.get("ASPYRE_REQUIRE_DOCKER") == "1"
REQUIRE_SCHEMA = os.environ.get("ASPYRE_REQUIRE_SCHEMA") == "1"
REPO_ROOT = Path(__file__).resolve().parents[1]


def _docker_problem() -> str | None:
    try:
        import docker
    except ImportError as exc:  # pragma: no cover
        return f"the docker SDK is not installed ({exc})"
    try:
        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
    except Exception as exc:
        return f"no Docker engine reachable ({type(exc).__name__}: {exc}); run ../shared/container-fixtures/setup-docker.sh"
    return None


_DOCKER_PROBLEM: list[str | None] = []


def docker_problem() -> str | None:
    if not _DOCKER_PROBLEM:
        _DOCKER_PROBLEM.append(_docker_problem())
    return _DOCKER_PROBLEM[0]


def require_docker() -> None:
    """Skip (or fail under ASPYRE_REQUIRE_DOCKER=1) when there is no Docker engine."""
    problem = docker_problem()
    if problem is None:
        return
    if REQUIRE_DOCKER:
        pytest.fail(f"ASPYRE_REQUIRE_DOCKER=1 but {problem}")
    pytest.skip(problem)


def pytest_configure(config: pytest.Config) -> None:
    # A run started in the background of a shell without job control (`scripts/test &`, some CI runners)
    # inherits SIGINT ignored, and so would every process the tests start: a Python process then never
    # turns SIGINT into KeyboardInterrupt, and the tests of Ctrl-C (an inner pytest run interrupted, an
    # app host stopped by SIGINT before it installed its own handler) would test nothing but that. The
    # tests' processes start as from a terminal, with SIGINT's default.
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is not None:
        require_docker()


@pytest.fixture
def docker_client() -> Iterator[Any]:
    require_docker()
    import docker

    client = docker.from_env()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _isolated_secrets(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Generated secrets go to a temporary store, never the developer's home."""
    path = tmp_path_factory.mktemp("secrets")
    monkeypatch.setenv("ASPYRE_SECRETS_DIR", str(path))
    return path


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def remove_labelled(client: Any, label: str) -> None:
    """Remove every container (with its anonymous volumes), network and volume carrying ``label``."""
    import docker.errors

    for container in client.containers.list(all=True, filters={"label": label}):
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
    for network in client.networks.list(filters={"label": label}):
        network.reload()
        for container in network.containers:
            try:
                network.disconnect(container, force=True)
            except docker.errors.APIError:
                pass
        try:
            network.remove()
        except docker.errors.NotFound:
            pass
    for volume in client.volumes.list(filters={"label": label}):
        try:
            volume.remove(force=True)
        except docker.errors.NotFound:
            pass


@pytest.fixture
def app_host(tmp_path: Path, docker_client: Any) -> Iterator[Path]:
    """A fresh app host path; everything Docker holds under its ``aspyre.app-host`` label is removed after the test."""
    path = tmp_path / "apphost.py"
    path.write_text("# app host\n")
    yield path
    remove_labelled(docker_client, f"aspyre.app-host={path}")


def aspire_schema_path() -> Path:
    """Aspire's manifest schema: ``$ASPYRE_ASPIRE_SCHEMA``, else ``../shared/aspire-schema/aspire-8.0.json``."""
    explicit = os.environ.get("ASPYRE_ASPIRE_SCHEMA")
    if explicit:
        return Path(explicit)
    return REPO_ROOT.parent / "shared" / "aspire-schema" / "aspire-8.0.json"


@functools.cache
def _schema_validator(path: Path) -> Any:
    import jsonschema

    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture
def manifest_schema_errors() -> Callable[[object], list[str]]:
    """``errors(document)``: every violation of Aspire's manifest schema, as ``path: message`` lines.

    Skips the test (fails it under ``ASPYRE_REQUIRE_SCHEMA=1``) when the schema is not there.
    """
    path = aspire_schema_path()
    if not path.is_file():
        msg = (
            f"Aspire's manifest schema is not at {path} (set ASPYRE_ASPIRE_SCHEMA to its path, "
            "or put shared/aspire-schema/ beside the repository)"
        )
        if REQUIRE_SCHEMA:
            pytest.fail(f"ASPYRE_REQUIRE_SCHEMA=1 but {msg}")
        pytest.skip(msg)
    validator = _schema_validator(path)

    def errors(document: object) -> list[str]:
        found = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        return ["/".join(str(p) for p in e.absolute_path) + ": " + e.message for e in found]

    return errors
