"""The example of "Names the engine accepts" in docs/containers.md runs and prints what its comment says
(the page's other examples need a container engine and are exercised by the container tests)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.reliability

PAGE = Path(__file__).resolve().parents[2] / "docs" / "containers.md"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PRINTS = re.compile(r"^\s*print\(.*?\)\s+#\s(?P<expected>.+)$")


def section(title: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"### {title}\n")
    end = text.index("\n#", start + 4)
    return text[start:end]


def test_names_the_engine_accepts(tmp_path: Path) -> None:
    (block,) = FENCE.findall(section("Names the engine accepts"))
    script = "import aspyre\n\nbuilder = aspyre.DistributedApplication.create_builder([])\n" + block
    (tmp_path / "apphost.py").write_text(script, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "apphost.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    expected = [m.group("expected").strip() for line in block.splitlines() if (m := PRINTS.match(line))]
    assert expected
    assert done.stdout.splitlines() == expected
