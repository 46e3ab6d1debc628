"""Run an app host in a subprocess (``python apphost.py``) and read its output as it comes."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

#: How long to wait for a line before giving up (a guard against hangs, not a speed requirement).
GUARD_SECONDS = 60


class AppHostProcess:
    """``python apphost.py`` in its own session; stdout and stderr lines collected by reader threads."""

    def __init__(self, path: Path, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, **(env or {})}
        full_env.pop("COLUMNS", None)
        self.proc = subprocess.Popen(
            [sys.executable, str(path)],
            cwd=path.parent,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.lines: list[tuple[float, str]] = []  # (monotonic time, "out: ..." / "err: ...")
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, "out"), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, "err"), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream: object, kind: str) -> None:
        for raw in stream:  # type: ignore[attr-defined]
            line = f"{kind}: {raw.rstrip()}"
            self.lines.append((time.monotonic(), line))
            self._queue.put(line)
        self._queue.put(None)

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def wait_for(self, pattern: str, timeout: float = GUARD_SECONDS) -> str:
        """The first line from now on (``out: ...`` or ``err: ...``) matching the regex."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        ended = 0
        while True:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} came\n{self.output()}") from None
            if line is None:
                ended += 1
                if ended == 2:
                    raise AssertionError(f"the app host exited before a line matching {pattern!r}\n{self.output()}")
                continue
            if rx.search(line):
                return line

    def count(self, pattern: str) -> int:
        rx = re.compile(pattern)
        return sum(1 for _, line in self.lines if rx.search(line))

    def signal(self, sig: int = signal.SIGINT) -> None:
        self.proc.send_signal(sig)

    def finish(self, timeout: float = GUARD_SECONDS) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the app host did not exit within {timeout} s\n{self.output()}") from None
        for t in self._threads:
            t.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def write_app_host(directory: Path, body: str, name: str = "apphost.py") -> Path:
    """An app host file (``import aspyre, sys, time`` and ``builder`` come first)."""
    path = directory / name
    path.write_text(
        "import sys\nimport time\n\nimport aspyre\n\nbuilder = aspyre.DistributedApplication.create_builder()\n"
        + textwrap.dedent(body).strip()
        + "\n"
    )
    return path
