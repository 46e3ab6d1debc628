"""Run an app host the three ways a person does (live table on a terminal, ``--plain``, ``python apphost.py``)
and watch its output as it comes, with the time each awaited text first appeared."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

#: The console script installed next to the interpreter running the tests.
ASPYRE = Path(sys.executable).with_name("aspyre")

#: Makes the pseudo-terminal the controlling terminal of the command (its session was just created by
#: ``start_new_session``), so that Ctrl-C typed on it (``\x03``) is a real SIGINT from the terminal.
ON_A_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.argv[1], sys.argv[1:])"
)


#: Terminal escape codes (colours, cursor moves), ignored when looking for a pattern.
ESCAPES = rb"(?:\x1b\[[0-9;?]*[A-Za-z])*"


class Output:
    """Bytes read from one stream by a thread; :meth:`wait` tells when a pattern (a regex) first came.

    Patterns are looked for from the moment they are :meth:`expect`-ed (or awaited) on.
    """

    def __init__(self) -> None:
        self.total = 0
        self._tail = b""
        self._lock = threading.Lock()
        self._waits: dict[bytes, float | None] = {}
        self._compiled: dict[bytes, re.Pattern[bytes]] = {}
        self._changed = threading.Condition(self._lock)
        self.closed = False
        self._head = bytearray()  # the first and the last bytes, enough to explain a failure
        self._last = b""

    def expect(self, *texts: bytes) -> None:
        """From now on, record when each of *texts* first appears."""
        with self._lock:
            for t in texts:
                self._waits.setdefault(t, None)
                self._compiled[t] = re.compile(t)

    def feed(self, data: bytes) -> None:
        now = time.monotonic()
        with self._lock:
            self.total += len(data)
            window = self._tail + data
            for t, when in self._waits.items():
                if when is None and self._compiled[t].search(window):
                    self._waits[t] = now
            self._tail = window[-4096:]
            room = 64 * 1024 - len(self._head)
            if room > 0:
                self._head += data[:room]
                data = data[room:]
            if data:
                self._last = (self._last + data)[-128 * 1024 :]
            self._changed.notify_all()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._changed.notify_all()

    def wait(self, text: bytes, timeout: float) -> float | None:
        """When the regex *text* appeared (``time.monotonic()``), waiting up to *timeout* s; None if it did not."""
        self.expect(text)
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._waits.get(text) is None and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return self._waits.get(text)

    def decoded(self) -> str:
        """The first 64 KiB and the last 128 KiB read."""
        with self._lock:
            gap = b"\n[...]\n" if self._last else b""
            return (bytes(self._head) + gap + self._last).decode("utf-8", "replace")


def _pump(fd: int, out: Output) -> None:
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except OSError:  # EIO: the terminal's other side closed
            break
        if not data:
            break
        out.feed(data)
    out.close()


class Command:
    """A command run on a pseudo-terminal (``terminal=True``: stdout and stderr on it) or with pipes."""

    def __init__(self, args: list[str], cwd: Path, *, terminal: bool, env: dict[str, str] | None = None) -> None:
        full_env = dict(os.environ)
        for name in ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE"):
            full_env.pop(name, None)
        full_env["TERM"] = "xterm-256color"
        full_env.update(env or {})
        self.terminal = terminal
        self.stdout = Output()
        self.stderr = self.stdout if terminal else Output()
        self._fds: list[int] = []
        if terminal:
            master, slave = os.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
            self.proc = subprocess.Popen(
                [sys.executable, "-c", ON_A_TERMINAL, *args],
                cwd=cwd,
                env=full_env,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
            )
            os.close(slave)
            self._master = master
            self._threads = [threading.Thread(target=_pump, args=(master, self.stdout), daemon=True)]
        else:
            self.proc = subprocess.Popen(
                args,
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            assert self.proc.stdout is not None and self.proc.stderr is not None
            self._threads = [
                threading.Thread(target=_pump, args=(self.proc.stdout.fileno(), self.stdout), daemon=True),
                threading.Thread(target=_pump, args=(self.proc.stderr.fileno(), self.stderr), daemon=True),
            ]
        for t in self._threads:
            t.start()

    def ctrl_c(self) -> float:
        """Ctrl-C as a person sends it (typed on the terminal, else SIGINT); returns when it was sent."""
        sent = time.monotonic()
        if self.terminal:
            os.write(self._master, b"\x03")
        else:
            self.proc.send_signal(signal.SIGINT)
        return sent

    def wait_exit(self, timeout: float) -> float | None:
        """When the command exited, waiting up to *timeout* s; None if it still runs."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic()

    def output(self) -> str:
        text = "output:\n" + self.stdout.decoded()[-20_000:]
        if self.stderr is not self.stdout:
            text += "\nstderr:\n" + self.stderr.decoded()[-20_000:]
        return text

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for t in self._threads:
            t.join(timeout=5)
        if self.terminal:
            os.close(self._master)
