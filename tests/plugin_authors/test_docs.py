"""The complete examples of docs/plugin-api.md run (``# example: NAME.py`` blocks), and print what they promise.

Each runs on its own in a temporary directory, with warnings as errors; ``print(...)  # expected`` promises a line
of its output (a trailing ``...`` means "starts with"); comment lines right after a print promise more lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "plugin-api.md"
FENCE = re.compile(r"^```python[ \t]*\n(# example: (?P<name>\S+)\n.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PRINTS = re.compile(r"^\s*.*\bprint\(.*\)(?:\s+#\s(?P<expected>.+))?$")


def examples() -> list[tuple[str, str]]:
    return [(m["name"], m.group(1)) for m in FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def expected_lines(script: str) -> list[str]:
    out: list[str] = []
    lines = script.splitlines()
    for i, line in enumerate(lines):
        m = PRINTS.match(line)
        if not m:
            continue
        if m["expected"]:
            out.append(m["expected"].strip())
        for follow in lines[i + 1 :]:  # "# more expected output" lines right after the print
            stripped = follow.strip()
            if not stripped.startswith("# "):
                break
            out.append(stripped[2:])
    return out


def test_the_page_has_its_examples() -> None:
    assert [name for name, _ in examples()] == ["versions.py", "hooks.py", "conflicts.py", "lazy_types.py", "lazy_exports.py", "plugin_cache.py", "switch_off.py"]


@pytest.mark.parametrize(("name", "script"), examples(), ids=[name for name, _ in examples()])
def test_example_runs(name: str, script: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASPYRE_")}
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout.splitlines()
    expected = expected_lines(script)
    assert expected, "the example promises nothing"
    for line in expected:
        if line.endswith("..."):
            assert any(o.startswith(line[:-3].rstrip()) for o in output), (line, output)
        else:
            assert line in output, (line, output)
