"""Run commands of the reliability suite: to completion, until a line shows up (then Ctrl-C), or on a
pseudo-terminal (the live table)."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

#: The console script installed next to the interpreter running the tests.
ASPYRE = Path(sys.executable).with_name("aspyre")
#: A guard against hangs, not a speed requirement.
GUARD_SECONDS = 240

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\r")


def strip_ansi(text: str) -> str:
    """``text`` without terminal control sequences (colours, cursor moves, carriage returns)."""
    return _ANSI.sub("", text)


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run ``args`` to completion; stdout and stderr together (it must succeed)."""
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=GUARD_SECONDS, check=False
    )
    text = done.stdout + done.stderr
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{text}"
    return text


def run_until(args: list[str], cwd: Path, env: dict[str, str], pattern: str, *, tty: bool = False) -> str:
    """Start ``args``, wait until its output matches ``pattern``, Ctrl-C it and return everything it wrote.

    With ``tty`` the output is a pseudo-terminal, so ``aspyre run`` shows its live table; the text is
    returned without control sequences.
    """
    if tty:
        primary, secondary = pty.openpty()
        os.set_blocking(primary, False)
        full_env = {**env, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "50"}
        proc = subprocess.Popen(
            args, cwd=cwd, env=full_env, stdin=secondary, stdout=secondary, stderr=secondary, start_new_session=True
        )
        os.close(secondary)
        source = primary
    else:
        proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        assert proc.stdout is not None
        source = proc.stdout.fileno()
        os.set_blocking(source, False)
    chunks: list[bytes] = []
    rx = re.compile(pattern)
    interrupted_at: float | None = None
    deadline = time.monotonic() + GUARD_SECONDS
    try:
        while True:
            ready, _, _ = select.select([source], [], [], 0.2)
            if ready:
                try:
                    data = os.read(source, 65536)
                except OSError:  # the pseudo-terminal closed: the process is gone
                    data = b""
                if data:
                    chunks.append(data)
                elif proc.poll() is not None:
                    break
            elif proc.poll() is not None:
                break
            if interrupted_at is None and rx.search(strip_ansi(b"".join(chunks).decode(errors="replace"))):
                proc.send_signal(signal.SIGINT)
                interrupted_at = time.monotonic()
            assert time.monotonic() < deadline, f"{args}: no {pattern!r} (or no exit after Ctrl-C)\n" + strip_ansi(
                b"".join(chunks).decode(errors="replace")
            )
        code = proc.wait(timeout=GUARD_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if tty:
            os.close(primary)
        elif proc.stdout is not None:
            proc.stdout.close()
    text = b"".join(chunks).decode(errors="replace")
    assert interrupted_at is not None, f"{args} exited ({code}) before {pattern!r}\n{strip_ansi(text)}"
    return strip_ansi(text) if tty else text
