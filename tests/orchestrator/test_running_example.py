"""The example of docs/running.md runs as documented."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_running_example(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "running.md").read_text()
    example = ROOT / "examples" / "running" / "apphost.py"
    assert example.read_text().strip() in doc, "docs/running.md and examples/running/apphost.py differ"
    proc = subprocess.Popen(
        [sys.executable, str(example)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        for raw in proc.stdout:
            lines.append(" ".join(raw.split()))
            if lines[-1].startswith("api : Running (Healthy)"):
                break
            assert time.monotonic() < deadline, lines
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
        lines += [" ".join(line.split()) for line in rest.splitlines()]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, lines
    assert "migrate | migrated" in lines
    assert "migrate : Finished (exit code 0)" in lines
    assert lines.index("api : Waiting") < lines.index("migrate : Finished (exit code 0)")
    assert any(line.startswith("api : Running (Healthy) http://127.0.0.1:") for line in lines)
