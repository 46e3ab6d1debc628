"""The examples of docs/apps.md run as written.

A fenced block right after ``<!-- file: PATH -->`` is the file PATH of an example; the test writes every such
file into a fresh directory and runs the example app hosts (``*/apphost.py``) with the pytest plugin.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import aspyre
from aspyre.pytest_plugin import AspyreAppFactory

from .helpers import log_text, require_node

PAGE = Path(__file__).resolve().parents[2] / "docs" / "apps.md"
FILE = re.compile(r"^<!-- file: (?P<path>\S+) -->\n```\w*\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def example_files() -> dict[str, str]:
    return {m["path"]: m["body"] for m in FILE.finditer(PAGE.read_text(encoding="utf-8"))}


def write_examples(where: Path) -> None:
    for path, body in example_files().items():
        target = where / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")


def test_the_page_has_its_examples_and_names_every_method() -> None:
    assert sorted(example_files()) == [
        "front/api.py",
        "front/apphost.py",
        "front/web/index.html",
        "front/web/package.json",
        "front/web/vite.config.js",
        "jobs/apphost.py",
        "jobs/report/report/__init__.py",
        "jobs/report/report/main.py",
        "jobs/report/requirements.txt",
        "jobs/web/server.js",
        "shop/api/main.py",
        "shop/api/pyproject.toml",
        "shop/apphost.py",
    ]
    text = PAGE.read_text(encoding="utf-8")
    for method in (
        "add_python_app", "add_python_module", "add_python_executable", "add_uvicorn_app", "with_uv",
        "with_pip", "with_virtual_environment", "with_debugpy", "with_auto_instrumentation", "add_node_app",
        "add_npm_app", "add_vite_app", "with_npm",
    ):  # fmt: skip
        assert f"`{method}(" in text, method
    for block in re.findall(r"^```json\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        json.loads(block)  # package.json and the VS Code configuration are valid JSON


@pytest.mark.docker
@pytest.mark.anyio
async def test_the_python_example_runs_and_installs_once(aspyre_app_factory: AspyreAppFactory, tmp_path: Path) -> None:
    write_examples(tmp_path)
    for run in (1, 2):
        app = await aspyre_app_factory(tmp_path / "shop" / "apphost.py")
        await app.resource_notifications.wait_for_resource_healthy("api")
        async with app.http_client("api") as client:
            assert (await client.get("/visits")).json() == {"visits": 1}  # a new Redis each run
        text = log_text(app, "api")
        await app.stop()
        assert ("Installing packages: uv sync" in text) == (run == 1)
    assert "Packages unchanged since the last install (uv): not installing" in text


@pytest.mark.anyio
async def test_the_javascript_example_runs(aspyre_app_factory: AspyreAppFactory, tmp_path: Path) -> None:
    require_node()
    write_examples(tmp_path)
    app = await aspyre_app_factory(tmp_path / "front" / "apphost.py")
    await app.resource_notifications.wait_for_resource_healthy("web")
    async with app.http_client("web") as client:
        assert "<h1>Shop</h1>" in (await client.get("/")).text
        assert (await client.get("/api/hello")).json() == {"hello": "from the API", "path": "/hello"}


@pytest.mark.anyio
async def test_the_job_example_runs(aspyre_app_factory: AspyreAppFactory, tmp_path: Path) -> None:
    require_node()
    write_examples(tmp_path)
    app = await aspyre_app_factory(tmp_path / "jobs" / "apphost.py")
    snapshot = await app.resource_notifications.wait_for_resource("report", aspyre.KnownResourceStates.FINISHED)
    text = log_text(app, "report")
    assert snapshot.exit_code == 0, text
    assert "Installing packages: python -m pip install -r requirements.txt" in text
    assert "report: {'from': 'node', 'path': '/stock'}" in text
    assert (tmp_path / "jobs" / "report" / ".venv" / "bin" / "python").exists()
