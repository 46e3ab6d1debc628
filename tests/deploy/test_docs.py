"""The examples of docs/deploy.md publish with both publishers and do what the page says."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from .helpers import HERE, REPO_ROOT, publish

DOC = REPO_ROOT / "docs" / "deploy.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_page_has_its_examples() -> None:
    assert len(blocks()) == 2


@pytest.mark.parametrize("publisher", ["docker-compose", "kubernetes"])
def test_the_app_host_of_the_page_publishes(tmp_path: Path, publisher: str) -> None:
    shutil.copytree(HERE / "stack" / "app", tmp_path / "app")
    (tmp_path / "app" / "wheels").mkdir()  # the page's wheelhouse
    app_host = tmp_path / "apphost.py"
    app_host.write_text(blocks()[0], encoding="utf-8")
    publish(app_host, publisher, output="deploy", args=["--parameter", "api-key=x"])
    out = tmp_path / "deploy"
    dockerfile = (out / "api" / "Dockerfile").read_text(encoding="utf-8")
    wheelhouse = "--no-index --find-links /tmp/wheels -r requirements.txt" in dockerfile
    assert wheelhouse == (publisher == "docker-compose")  # only the Compose environment names one
    if publisher == "kubernetes":
        deployment = next(yaml.safe_load_all((out / "resources" / "api.yaml").read_text(encoding="utf-8")))
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == "registry.example.com/shop/api:latest"
    else:
        assert "ConnectionStrings__appdb: Host=pg;Port=5432" in (out / "docker-compose.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("publisher", ["docker-compose", "kubernetes"])
def test_the_customisation_example(tmp_path: Path, publisher: str) -> None:
    app_host = tmp_path / "apphost.py"
    app_host.write_text(
        "import aspyre\nbuilder = aspyre.DistributedApplication.create_builder()\n"
        + blocks()[1]
        + "builder.build().run()\n",
        encoding="utf-8",
    )
    publish(app_host, publisher)
    out = tmp_path / "out"
    if publisher == "docker-compose":
        web = yaml.safe_load((out / "docker-compose.yaml").read_text(encoding="utf-8"))["services"]["web"]
        assert web["ports"] == ["8080:80"] and web["labels"] == {"team": "web"}
    else:
        deployment = next(yaml.safe_load_all((out / "resources" / "web.yaml").read_text(encoding="utf-8")))
        assert deployment["spec"]["replicas"] == 3
