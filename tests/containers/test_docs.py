"""The examples of docs/containers.md (builds, container files) and docs/running.md (replicas, external services)
run, and print what their comments say. Each example is a ``# file: NAME`` block; the files before it on the page
(``app/app.py``, the Dockerfile) are written next to it."""

from __future__ import annotations

import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(python|dockerfile)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PRINTS = re.compile(r"^\s*print\(.*\)\s+#\s(?P<expected>.+)$")


def files_of(page: str) -> list[tuple[str, str]]:
    """``(name, text)`` of the page's file blocks, in order (the Dockerfile block is ``app/Dockerfile``)."""
    out = []
    for kind, text in FENCE.findall((ROOT / "docs" / page).read_text(encoding="utf-8")):
        if kind == "dockerfile":
            out.append(("app/Dockerfile", text))
        elif text.startswith("# file: "):
            name, _, body = text.partition("\n")
            out.append((name.removeprefix("# file: ").strip(), body))
    return out


EXAMPLES = [
    ("containers.md", "build_example.py", True),
    ("containers.md", "files_example.py", True),
    ("containers.md", "network_example.py", True),
    ("containers.md", "restart_example.py", True),
    ("running.md", "replicas_example.py", False),
    ("running.md", "external_example.py", False),
]


@pytest.mark.parametrize(("page", "example", "docker"), EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_docs_example_runs(page: str, example: str, docker: bool, tmp_path: Path, request: Any) -> None:
    if docker:
        request.getfixturevalue("docker_client")
    files = dict(files_of(page))
    assert example in files, f"{page} lost its example {example}"
    suffix = "".join(secrets.choice(string.ascii_lowercase) for _ in range(6))
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        # resource names of this run only (images and containers are shared with other tests)
        path.write_text(text.replace("docs-built-app", f"docs-built-{suffix}"), encoding="utf-8")
    try:
        proc = subprocess.run(
            [sys.executable, str(tmp_path / example)],
            cwd=tmp_path,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        if docker:
            client = request.getfixturevalue("docker_client")
            for image in client.images.list(name=f"docs-built-{suffix}"):
                for tag in image.tags:
                    client.images.remove(tag, force=True)
    assert proc.returncode == 0, proc.stderr
    expected = [m.group("expected").strip() for line in files[example].splitlines() if (m := PRINTS.match(line))]
    assert expected, "the example says nothing about its output"
    output = proc.stdout.splitlines()
    for line in expected:
        assert line in output, (line, output, proc.stderr[-2000:])
