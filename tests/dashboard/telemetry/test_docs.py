"""The examples of docs/telemetry.md run and print what their comments say (with the dashboard on)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "telemetry.md"
FENCE = re.compile(r"^```python[ \t]*\n(# example: (?P<name>\S+)\n.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PRINTS = re.compile(r"^\s*print\(.*\)\s+#\s(?P<expected>.+)$")
EXAMPLES = {m["name"]: m.group(1) for m in FENCE.finditer(PAGE.read_text(encoding="utf-8"))}


def test_the_page_has_its_examples() -> None:
    assert set(EXAMPLES) == {"export.py", "own_collector.py"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_example_runs(name: str, tmp_path: Path) -> None:
    script = EXAMPLES[name]
    (tmp_path / name).write_text(script, encoding="utf-8")
    env = dict(os.environ)
    env.pop("ASPYRE_DISABLE_PLUGINS", None)
    env.pop("ASPYRE_OTLP_ENDPOINT_URL", None)
    proc = subprocess.run(
        [sys.executable, "-W", "error", name], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    expected = [m["expected"].strip() for line in script.splitlines() if (m := PRINTS.match(line))]
    assert expected
    assert [line for line in proc.stdout.splitlines() if not line.startswith("Dashboard: ")] == expected
