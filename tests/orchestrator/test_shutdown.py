"""``python apphost.py`` stops everything on Ctrl-C (SIGINT) and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

APPHOST = """
import sys
import aspyre

builder = aspyre.DistributedApplication.create_builder()
builder.add_executable("worker", sys.executable, {worker!r})
builder.add_executable("quick", sys.executable, "-c", "print('quick done')")
builder.build().run()
"""

WORKER = """
import os, signal, sys, time, pathlib
def bye(*_):
    print("worker got SIGTERM", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)
pathlib.Path({pidfile!r}).write_text(str(os.getpid()))
print("worker up", flush=True)
while True:
    time.sleep(0.1)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_the_app_and_its_processes(tmp_path: Path, sig: signal.Signals) -> None:
    pidfile = tmp_path / "worker.pid"
    (tmp_path / "worker.py").write_text(WORKER.format(pidfile=str(pidfile)))
    (tmp_path / "apphost.py").write_text(APPHOST.format(worker=str(tmp_path / "worker.py")))
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "apphost.py")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not pidfile.exists() or not pidfile.read_text():
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the worker never started"
            time.sleep(0.05)
        worker_pid = int(pidfile.read_text())
        assert _alive(worker_pid)
        time.sleep(0.3)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert not _alive(worker_pid)
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "worker | worker up" in lines
    assert "worker | worker got SIGTERM" in lines
    assert "quick | quick done" in lines
    assert "worker : Running (Healthy)" in lines
    assert "worker : Finished (exit code 0)" in lines
