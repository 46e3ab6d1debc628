"""Processes on this machine, found by a token in their environment (every process a test starts carries it)."""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The environment variable holding a test's token; the app hosts a test starts pass it on to their children.
TOKEN_VARIABLE = "ASPYRE_RELIABILITY_TOKEN"


def machine_of_its_own() -> str:
    """A host name for app hosts of one test only, as if they ran on a machine of their own.

    An app host's sweep stops only processes (and removes only Docker objects) whose owner ran on its own
    machine: the owner's PID means nothing elsewhere. App hosts a test runs under this name (their script
    starting with :func:`as_if_on`) sweep what their own kind left, and nothing else here sweeps it: another
    test run's app hosts (any app host started meanwhile) cannot stop a test's dead owner's processes first.
    """
    return f"{socket.gethostname()}-test-{uuid.uuid4().hex[:12]}"


def as_if_on(machine: str) -> str:
    """The first lines of an app host script that runs as if on *machine* (its host name)."""
    return f"import socket\n\nsocket.gethostname = lambda: {machine!r}  # a machine of this test's own\n"


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def environment(pid: int) -> dict[str, str]:
    """The environment ``pid`` started with ({} if it cannot be read)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    out: dict[str, str] = {}
    for item in raw.split(b"\0"):
        name, sep, value = item.partition(b"=")
        if sep:
            out[name.decode(errors="replace")] = value.decode(errors="replace")
    return out


def processes_with(token: str) -> list[int]:
    """The live processes of this user whose environment carries *token*."""
    found = []
    needle = f"{TOKEN_VARIABLE}={token}".encode()
    me = os.getuid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != me:
                continue
            raw = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in raw.split(b"\0") and alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def wait_until_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait up to *timeout* s for *pids* to end; the ones still running."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


@contextmanager
def tokened() -> Iterator[str]:
    """A fresh token; at the end every process still carrying it is killed (whatever the test left)."""
    token = uuid.uuid4().hex
    try:
        yield token
    finally:
        for pid in processes_with(token):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is *pid*."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def watchdog_of(app_host_pid: int) -> int | None:
    """The process watchdog an app host started (None if it has none)."""
    for pid in children_of(app_host_pid):
        try:
            if b"_watchdog_main.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


def read_pids(path: Path, timeout: float) -> list[int]:
    """The PIDs a process wrote to *path* (one per line, the file complete once it ends with a newline)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = path.read_text()
        except FileNotFoundError:
            text = ""
        if text.endswith("\n"):
            return [int(line) for line in text.split()]
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} was not written within {timeout} s")
        time.sleep(0.05)


#: A quiet worker: starts a grandchild (same process group), writes both PIDs to the file named by its first
#: argument, then sleeps (no output). Its grandchild sleeps too.
WORKER = (
    "import os, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "with open(sys.argv[1] + '.tmp', 'w') as f:\n"
    "    f.write(f'{os.getpid()}\\n{child.pid}\\n')\n"
    "os.replace(sys.argv[1] + '.tmp', sys.argv[1])\n"
    "time.sleep(600)\n"
)
