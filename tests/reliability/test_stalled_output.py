"""A console nobody reads (``aspyre run | less``, paused) does not stop the app.

The app host's stdout is a pipe (or a terminal) that is never read. Its resources must still start in
order and stop on Ctrl-C: a resource that waits for a chatty one to finish starts and writes a file (the side
channel), and the app exits after Ctrl-C, leaving nothing running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from .consoles import ASPYRE, ON_A_TERMINAL
from .processes import TOKEN_VARIABLE, processes_with, tokened, wait_until_gone

pytestmark = pytest.mark.reliability

GUARD_SECONDS = 60

APP_HOST = """
import sys

import aspyre

builder = aspyre.DistributedApplication.create_builder()
# 3 MB of output at once: far more than a pipe or a terminal holds while nobody reads.
chatty = builder.add_executable("chatty", sys.executable, "-c", "import sys; sys.stdout.write(('y' * 99 + '\\\\n') * 30000)")
late = builder.add_executable(
    "late",
    sys.executable,
    "-c",
    "import pathlib, time; pathlib.Path('late.started').write_text('yes'); time.sleep(600)",
).wait_for_completion(chatty)
builder.build().run()
"""

MODES = {
    "live table": [str(ASPYRE), "run", "apphost.py"],
    "aspyre run --plain": [str(ASPYRE), "run", "--plain", "apphost.py"],
    "python apphost.py": [sys.executable, "apphost.py"],
}


def _wait_for(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("mode", list(MODES))
def test_an_unread_stdout_does_not_stop_the_app(tmp_path: Path, mode: str) -> None:
    (tmp_path / "apphost.py").write_text(textwrap.dedent(APP_HOST))
    stderr_path = tmp_path / "stderr.txt"
    with tokened() as token, stderr_path.open("wb") as stderr:
        env = {**os.environ, TOKEN_VARIABLE: token, "TERM": "xterm-256color"}
        env.pop("COLUMNS", None)
        fds: list[int] = []
        if mode == "live table":
            master, slave = os.openpty()  # a terminal whose screen is never read
            fds = [master, slave]
            args = [sys.executable, "-c", ON_A_TERMINAL, *MODES[mode]]
            proc = subprocess.Popen(
                args, cwd=tmp_path, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
            )
        else:
            read_end, write_end = os.pipe()  # a pipe nobody reads
            fds = [read_end, write_end]
            proc = subprocess.Popen(
                MODES[mode],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=write_end,
                stderr=stderr,
                start_new_session=True,
            )
        try:
            started = _wait_for(tmp_path / "late.started", GUARD_SECONDS)
            assert started, f"{mode}: the resource after the chatty one never started: the app froze"
            late = processes_with(token)
            assert late, "the late resource is not running"
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=GUARD_SECONDS)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{mode}: the app did not stop on Ctrl-C while its stdout was unread") from None
            print(f"{mode}: stopped {time.monotonic() - sent:.2f} s after SIGINT with stdout unread")
            assert proc.returncode == 0, stderr_path.read_text()
            assert wait_until_gone(late, 10) == []
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            for fd in fds:
                os.close(fd)
