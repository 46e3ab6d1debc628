"""The examples of docs/concepts.md run, and print what their comments say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "concepts.md"]

FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# "print(x)  # expected output" / "anyio.run(f)  # expected output"; a trailing "..." means "starts with".
PRINTS = re.compile(r"^\s*(?:print\(|anyio\.run\().*?\)\s+#\s(?P<expected>.+)$")


def python_blocks(page: Path) -> list[str]:
    return FENCE.findall(page.read_text(encoding="utf-8"))


def expected_lines(script: str) -> list[str]:
    return [m.group("expected").strip() for line in script.splitlines() if (m := PRINTS.match(line))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    blocks = python_blocks(page)
    assert len(blocks) >= 10, "the page lost its examples"
    script = "\n\n".join(blocks)
    app_host = tmp_path / "apphost.py"
    app_host.write_text(script, encoding="utf-8")
    env = dict(os.environ)
    env.pop("Parameters__region", None)
    proc = subprocess.run(
        [sys.executable, str(app_host)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout.splitlines()
    for expected in expected_lines(script):
        if expected.endswith("..."):
            prefix = expected[:-3].rstrip()
            assert any(line.startswith(prefix) for line in output), (expected, output)
        else:
            assert expected in output, (expected, output)


def test_expected_output_comments_are_found() -> None:
    sample = "print(exc)  # Resource name is invalid. ...\nanyio.run(show)  # postgres://x\nx = 1  # not output\n"
    assert expected_lines(sample) == ["Resource name is invalid. ...", "postgres://x"]
