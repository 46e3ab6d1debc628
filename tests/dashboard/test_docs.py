"""The example of docs/dashboard.md runs and prints what its comments say; the page shows its screenshots."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "dashboard.md"
FENCE = re.compile(r"^```python[ \t]*\n(# example: (?P<name>\S+)\n.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PRINTS = re.compile(r"^.*\bprint\(.*\)\s+#\s(?P<expected>.+)$")


def test_the_example_runs(tmp_path: Path) -> None:
    (example,) = FENCE.finditer(PAGE.read_text(encoding="utf-8"))
    script = example.group(1)
    path = tmp_path / example["name"]
    path.write_text(script, encoding="utf-8")
    env = dict(os.environ)
    env.pop("ASPYRE_DISABLE_PLUGINS", None)
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    expected = [m["expected"].strip() for line in script.splitlines() if (m := PRINTS.match(line))]
    assert expected == ["True", "Reset the worker's counters?", "{'ok': True}", "['worker']"]
    assert proc.stdout.splitlines() == expected


def test_the_screenshots_are_there_and_shown() -> None:
    # The dashboard's page and the telemetry page (its Structured logs, Traces and Metrics pages).
    text = PAGE.read_text(encoding="utf-8") + PAGE.with_name("telemetry.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]*\]\((images/[^)]+)\)", text)
    assert len(shown) >= 6
    for image in shown:
        path = PAGE.parent / image
        assert path.is_file(), image
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    made = {p.name for p in (PAGE.parent / "images").glob("dashboard-*.png")}
    assert made == {Path(s).name for s in shown}  # every screenshot the script makes is on the page
