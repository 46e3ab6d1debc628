"""The example third-party publisher (examples/publisher_example), installed and used through --publisher."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import aspyre

from .helpers import check_manifest, publish_app_host, run_app_host

APPHOSTS = Path(__file__).parent / "apphosts"
DEMO = Path(__file__).resolve().parents[2] / "examples" / "publisher_example" / "demo" / "apphost.py"
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/aspyre-test/docker.sock"}


@pytest.fixture(scope="module", autouse=True)
def _compose_publisher_installed() -> None:
    if not aspyre.plugins.registry().find("aspyre.publishers", "compose"):
        pytest.fail(
            "the example publisher is not installed: .venv/bin/pip install -e examples/publisher_example "
            f"(installed publishers: {', '.join(aspyre.publishing.publisher_names())})"
        )


def publish_compose(tmp_path: Path) -> tuple[dict[str, Any], str, str]:
    yaml = pytest.importorskip("yaml")  # a dependency of the example distribution
    script = tmp_path / "apphost.py"
    shutil.copy(APPHOSTS / "compose_app.py", script)
    code, _, err = run_app_host(script, ["--publisher", "compose", "--output-path", "deploy"], env=NO_DOCKER)
    assert code == 0, err
    compose_text = (tmp_path / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    env_text = (tmp_path / "deploy" / ".env").read_text(encoding="utf-8")
    return yaml.safe_load(compose_text), env_text, err


def env_values(env_text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in env_text.splitlines() if line and not line.startswith("#"))


def test_the_example_is_an_installed_publisher() -> None:
    assert any(n.startswith("compose (aspyre-publisher-compose ") for n in aspyre.publishing.publisher_names())
    publisher = aspyre.publishing.resolve_publisher("compose")
    assert isinstance(publisher, aspyre.publishing.Publisher)
    assert type(publisher).__module__ == "aspyre_publisher_compose"


def test_publish_with_the_compose_publisher(tmp_path: Path) -> None:
    compose, env_text, err = publish_compose(tmp_path)
    services = compose["services"]
    assert list(services) == ["cache", "pg", "api", "web"]
    assert "Resource 'seed' is a process (executable.v0), not a container" in err

    cache = services["cache"]
    assert cache["image"] == "docker.io/library/redis:8.6"
    assert cache["environment"] == {"REDIS_PASSWORD": "${CACHE_PASSWORD}"}
    # a literal "$" in the model is escaped so Compose does not interpolate it
    assert any("$$REDIS_PASSWORD" in a for a in cache["command"])

    assert services["pg"]["volumes"] == ["pg-data:/var/lib/postgresql/data"]
    assert compose["volumes"] == {"pg-data": {}}

    api = services["api"]
    assert api["build"] == {"context": "../api", "dockerfile": "../api/Dockerfile", "target": "prod"}
    env = api["environment"]
    assert env["PORT"] == "8000"
    assert env["ConnectionStrings__cache"] == "cache:6379,password=${CACHE_PASSWORD}"
    assert env["CACHE_URI"] == "redis://:${CACHE_PASSWORD_URI_ENCODED}@cache:6379"
    assert (
        env["ConnectionStrings__orders"]
        == "Host=pg;Port=5432;Username=postgres;Password=${PG_PASSWORD};Database=orders"
    )
    assert env["GREETING"] == "${GREETING}"
    # waiting for a database means waiting for the server that runs it
    assert api["depends_on"] == {"pg": {"condition": "service_started"}, "cache": {"condition": "service_started"}}

    web = services["web"]
    assert web["ports"] == ["8080:80"]
    assert web["environment"]["services__api__http__0"] == "http://api:8000"
    assert web["volumes"] == ["../site:/usr/share/nginx/html:ro"]
    assert web["depends_on"] == {"api": {"condition": "service_started"}}

    values = env_values(env_text)
    assert len(values["CACHE_PASSWORD"]) == 22
    assert len(values["PG_PASSWORD"]) == 22
    assert values["CACHE_PASSWORD_URI_ENCODED"] == urllib.parse.quote(values["CACHE_PASSWORD"], safe="")
    assert values["GREETING"] == "'hello $USER # not a comment'"
    assert "# Parameter pg-password (secret), generated" in env_text


def test_generated_values_are_kept_across_publishes(tmp_path: Path) -> None:
    _, first, _ = publish_compose(tmp_path)
    env_path = tmp_path / "deploy" / ".env"
    env_path.write_text(first.replace("GREETING='hello $USER # not a comment'", "GREETING=hi"), encoding="utf-8")
    _, second, _ = publish_compose(tmp_path)
    before, after = env_values(first), env_values(second)
    assert after["CACHE_PASSWORD"] == before["CACHE_PASSWORD"]
    assert after["PG_PASSWORD"] == before["PG_PASSWORD"]
    assert after["GREETING"] == "hi"


def test_the_demo_publishes_with_both_publishers(tmp_path: Path) -> None:
    for publisher in ("manifest", "compose"):
        code, _, err = run_app_host(
            DEMO, ["--publisher", publisher, "--output-path", str(tmp_path / publisher)], env=NO_DOCKER
        )
        assert code == 0, err
    document = check_manifest((tmp_path / "manifest" / "aspire-manifest.json").read_text(encoding="utf-8"))
    assert document["resources"]["api"]["type"] == "container.v1"
    assert "api:" in (tmp_path / "compose" / "compose.yaml").read_text(encoding="utf-8")


@pytest.mark.anyio
async def test_the_demo_manifest_validates_against_aspires_schema(
    tmp_path: Path, manifest_schema_errors: Callable[[object], list[str]]
) -> None:
    text = await publish_app_host(DEMO, tmp_path / "manifest")
    assert manifest_schema_errors(json.loads(text)) == []
