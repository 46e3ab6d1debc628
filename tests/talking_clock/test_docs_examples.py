"""The complete examples of docs/writing-an-integration.md and docs/writing-a-lifecycle-extension.md run.

A block whose first line is ``# example: NAME.py`` is a whole script. It is run on its own, in a
temporary directory; each line with ``print(...)  # expected`` promises a line of its output (a
trailing ``...`` means "starts with").
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "writing-an-integration.md", ROOT / "docs" / "writing-a-lifecycle-extension.md"]
FENCE = re.compile(r"^```python[ \t]*\n(# example: (?P<name>\S+)\n.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PRINTS = re.compile(r"^.*\bprint\(.*\)\s+#\s(?P<expected>.+)$")


def examples() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for page in PAGES:
        for m in FENCE.finditer(page.read_text(encoding="utf-8")):
            found.append((f"{page.stem}/{m['name']}", m.group(1)))
    return found


def expected_lines(script: str) -> list[str]:
    return [m["expected"].strip() for line in script.splitlines() if (m := PRINTS.match(line))]


def test_the_pages_have_their_examples() -> None:
    names = [name for name, _ in examples()]
    assert names == [
        "writing-an-integration/clock.py",
        "writing-an-integration/process.py",
        "writing-an-integration/typed.py",
        "writing-an-integration/countdown.py",
        "writing-an-integration/explicit_start.py",
        "writing-an-integration/manifest.py",
        "writing-an-integration/tester.py",
        "writing-a-lifecycle-extension/beacon.py",
        "writing-a-lifecycle-extension/stamp.py",
    ]


@pytest.mark.parametrize(("name", "script"), examples(), ids=[name for name, _ in examples()])
def test_example_runs(name: str, script: str, tmp_path: Path) -> None:
    path = tmp_path / name.split("/")[-1]
    path.write_text(script, encoding="utf-8")
    env = dict(os.environ)
    env.pop("ASPYRE_STATE_LOG", None)
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout.splitlines()
    expected = expected_lines(script)
    assert expected, f"{name} promises no output"
    for line in expected:
        if line.endswith("..."):
            prefix = line[:-3].rstrip()
            assert any(out.startswith(prefix) for out in output), (line, output)
        else:
            assert line in output, (line, output)
