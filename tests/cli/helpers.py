"""Run the ``aspyre`` console script in a subprocess and read its output as it comes."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

#: The console script installed next to the interpreter running the tests.
ASPYRE = Path(sys.executable).with_name("aspyre")

#: How long to wait for a line before giving up (a guard against hangs, not a speed requirement).
LINE_GUARD_SECONDS = 120


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Cli:
    """A running ``aspyre`` command (or ``program``): lines of stdout/stderr collected by reader threads."""

    def __init__(
        self, args: list[str], cwd: Path, env: dict[str, str] | None = None, program: str | Path = ASPYRE
    ) -> None:
        full_env = dict(os.environ)
        full_env.pop("COLUMNS", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [str(program), *args],
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,  # our signals only: the test sends SIGINT itself
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr, False), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream: object, sink: list[str], feed: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            sink.append(line.rstrip("\n"))
            if feed:
                self._lines.put(line.rstrip("\n"))
        if feed:
            self._lines.put(None)

    def output(self) -> str:
        return "stdout:\n" + "\n".join(self.stdout) + "\nstderr:\n" + "\n".join(self.stderr)

    def wait_for_line(self, pattern: str) -> str:
        """The first stdout line (from now on) matching the regex ``pattern``."""
        return self.wait_for_lines(pattern)[0]

    def wait_for_lines(self, *patterns: str) -> list[str]:
        """Read stdout until a line matched each regex (in any order); the matching lines, in pattern order."""
        pending = {i: re.compile(p) for i, p in enumerate(patterns)}
        found: dict[int, str] = {}
        while pending:
            try:
                line = self._lines.get(timeout=LINE_GUARD_SECONDS)
            except queue.Empty:
                raise AssertionError(f"no lines matching {patterns!r} came\n{self.output()}") from None
            if line is None:
                self.proc.wait()
                raise AssertionError(
                    f"aspyre exited ({self.proc.returncode}) before lines matching {patterns!r}\n{self.output()}"
                )
            for i, rx in list(pending.items()):
                if rx.search(line):
                    found[i] = line
                    del pending[i]
        return [found[i] for i in range(len(patterns))]

    def interrupt(self) -> None:
        self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout: float = LINE_GUARD_SECONDS) -> int:
        """Wait for the command to exit; returns its exit code."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"aspyre did not exit within {timeout}s\n{self.output()}") from None
        for t in self._threads:
            t.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def aspyre(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``aspyre args`` to completion."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [str(ASPYRE), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=LINE_GUARD_SECONDS,
        check=False,
    )


def write_app_host(directory: Path, body: str, name: str = "apphost.py") -> Path:
    """Write an app host (``import aspyre, sys`` and the builder are added) and return its path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "import sys\n\nimport aspyre\n\nbuilder = aspyre.DistributedApplication.create_builder()\n"
        + textwrap.dedent(body).strip()
        + "\n"
    )
    return path
