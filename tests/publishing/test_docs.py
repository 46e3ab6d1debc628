"""The examples in docs/publishing.md run, and publish valid manifests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import REPO_ROOT, check_manifest, publish_app_host, run_app_host

DOC = REPO_ROOT / "docs" / "publishing.md"
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/aspyre-test/docker.sock"}


def app_hosts() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return [b for b in blocks if "builder.build().run()" in b]


def test_the_doc_has_runnable_app_hosts() -> None:
    assert len(app_hosts()) >= 2


@pytest.mark.parametrize("index", range(len(app_hosts())))
def test_doc_app_host_publishes(tmp_path: Path, index: int) -> None:
    script = tmp_path / "apphost.py"
    script.write_text(app_hosts()[index], encoding="utf-8")
    code, _, err = run_app_host(script, ["--publisher", "manifest", "--output-path", "out/"], env=NO_DOCKER)
    assert code == 0, err
    check_manifest((tmp_path / "out" / "aspire-manifest.json").read_text(encoding="utf-8"))


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(app_hosts())))
async def test_doc_app_host_manifest_validates_against_aspires_schema(
    tmp_path: Path, index: int, manifest_schema_errors: Callable[[object], list[str]]
) -> None:
    script = tmp_path / "apphost.py"
    script.write_text(app_hosts()[index], encoding="utf-8")
    text = await publish_app_host(script, tmp_path / "out")
    assert manifest_schema_errors(json.loads(text)) == []


def test_the_demo_app_host_is_the_one_in_the_doc() -> None:
    demo = (REPO_ROOT / "examples" / "publisher_example" / "demo" / "apphost.py").read_text(encoding="utf-8")
    body = demo.split('"""', 2)[2].strip()  # without the module docstring
    assert any(block.strip() == body for block in app_hosts())
