"""Processes never outlive their app host: a watchdog for a killed app host, a sweep for what is left anyway.

Every process aspyre starts runs in a process group of its own (``start_new_session``), so the terminal's
signals and hang-up never reach it: an app host killed with SIGKILL would leave its processes running,
holding their ports, forever. Three things prevent it:

- **The group ends with its leader.** When a process ends (by itself or stopped), what is left of its group
  (children it started) gets SIGTERM, then SIGKILL after the grace period (:func:`end_group`).
- **A watchdog.** Before its first process starts, the app host starts one small process
  (:mod:`._watchdog_main`) in a session of its own, holding the read end of a pipe, tells it the owner its
  processes carry (below), then each group it starts and ends. When the app host dies, however it dies, the
  pipe ends and the watchdog stops the groups still listed and the processes carrying that owner (SIGTERM,
  then SIGKILL): also one the app host started but had not told about yet when it died.
- **A sweep at the next start.** Each process carries ``ASPYRE_OWNER`` in its environment (the app host's
  PID, its start time, the host name, the session), as containers carry owner labels. Where ``/proc``
  exists, the next app host that starts processes stops every process of this user whose owner has exited
  (or whose PID now belongs to another process) (:func:`sweep_orphan_processes`). Processes of other users
  and of app hosts that still run are never touched.

Zombies (ended processes nobody reaped) never count as running: a container's PID 1 does not always reap
orphans.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import anyio
import anyio.to_thread

from ._docker._owner import (
    LABEL_OWNER_HOST,
    LABEL_OWNER_PID,
    LABEL_OWNER_START_TIME,
    OwnerIdentity,
    owner_alive,
    process_start_time,
)

__all__ = [
    "OWNER_VARIABLE",
    "ProcessWatchdog",
    "end_group",
    "group_members",
    "owner_marker",
    "parse_owner",
    "sweep_orphan_processes",
]

log = logging.getLogger("aspyre.orchestrator")

#: The environment variable naming the app host that started a process.
OWNER_VARIABLE = "ASPYRE_OWNER"

_PROC = Path("/proc")


def owner_marker(owner: OwnerIdentity, session_id: str) -> str:
    """``pid=1234 start=5678 host=name session=abc``: the value of :data:`OWNER_VARIABLE`."""
    return f"pid={owner.pid} start={owner.start_time} host={owner.host} session={session_id}"


def parse_owner(value: str) -> dict[str, str]:
    """The fields of an :data:`OWNER_VARIABLE` value (missing ones absent)."""
    fields: dict[str, str] = {}
    for part in value.split():
        name, _, text = part.partition("=")
        if name in ("pid", "start", "host", "session"):
            fields[name] = text
    return fields


def _stat(pid: int) -> list[str] | None:
    """Fields 3 and on of ``/proc/<pid>/stat`` (state, ppid, pgrp, session...); None if it does not exist."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def _has_proc() -> bool:
    return (_PROC / "self" / "stat").exists()


def group_members(pgid: int) -> list[int] | None:
    """The processes of group *pgid* that still run (zombies left out); None where ``/proc`` is missing."""
    if not _has_proc():
        return None
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is not None and len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_left(pgid: int) -> bool:
    """Whether group *pgid*, whose leader this process already reaped, still has running members of ours.

    If a new process holds the PID, the old group is gone (Linux reuses a PID only once no process of its
    group is left), and the new process's group is not ours to signal.
    """
    try:
        os.killpg(pgid, 0)  # no process at all in the group (not even a zombie): done, cheaply
    except (ProcessLookupError, PermissionError):
        return False
    if not _has_proc():
        return True
    if (_PROC / str(pgid)).exists() and (fields := _stat(pgid)) is not None and fields[0] != "Z":
        return False  # the PID was reused
    members = group_members(pgid)
    return bool(members)


async def end_group(pgid: int, deadline: float, force: anyio.Event | None = None) -> None:
    """Stop what is left of the group of a process that ended: SIGTERM, then SIGKILL at *deadline*.

    *deadline* is on anyio's clock (``anyio.current_time()``); setting *force* cuts the wait short.
    """
    if not await anyio.to_thread.run_sync(_group_left, pgid):
        return
    _signal_group(pgid, signal.SIGTERM)
    with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
        while not (force is not None and force.is_set()):
            await anyio.sleep(0.05)
            if not await anyio.to_thread.run_sync(_group_left, pgid):
                return
    if await anyio.to_thread.run_sync(_group_left, pgid):
        _signal_group(pgid, signal.SIGKILL)


class ProcessWatchdog:
    """The app host's side of the watchdog (:mod:`._watchdog_main`): started before the first process, told
    *owner* (the :data:`OWNER_VARIABLE` value of the app host's processes) and every group.

    Calls come from the event loop and never block: the pipe is non-blocking and a message that does not
    fit (the watchdog stuck) is given up with a warning; the sweep at the next start is the fallback.
    """

    def __init__(self, grace_period: Callable[[], float], owner: str | None = None) -> None:
        self._grace = grace_period
        self._owner = owner
        self._process: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None
        self._failed = False

    def start(self) -> bool:
        """Start the watchdog, once: call it before starting a process (whether it runs).

        Told the owner (:func:`owner_marker`) the processes carry, it stops them when the app host dies
        even if :meth:`watch` was not called yet: between a process's start and that call, the event loop
        runs other tasks (and the app host may be killed).
        """
        if self._fd is not None:
            return True
        if self._failed or not sys.executable:
            return False
        script = Path(__file__).with_name("_watchdog_main.py")
        env = {k: v for k, v in os.environ.items() if k != OWNER_VARIABLE}
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(script)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # no Ctrl-C or hang-up from the terminal: it outlives a killed app host
                env=env,
                close_fds=True,
            )
        except OSError as exc:
            self._failed = True
            log.warning("could not start the process watchdog (%s): processes may outlive a killed app host", exc)
            return False
        assert self._process.stdin is not None
        self._fd = self._process.stdin.fileno()
        os.set_blocking(self._fd, False)
        if not self._send(f"grace {self._grace()}"):
            return False
        return self._owner is None or self._send(f"owner {self._owner}")

    def _send(self, line: str) -> bool:
        if self._fd is None:
            return False
        try:
            os.write(self._fd, f"{line}\n".encode())
        except OSError as exc:  # the watchdog is gone (killed) or stuck
            if not self._failed:
                log.warning("the process watchdog stopped listening (%s): processes may outlive a killed app host", exc)
            self._failed = True
            return False
        return True

    def watch(self, pid: int) -> None:
        """Watch the group of process *pid* (its leader, just started)."""
        if self.start():
            self._send(f"+ {pid} {process_start_time(pid) or ''}")

    def unwatch(self, pid: int) -> None:
        """The group of *pid* has ended."""
        if self._fd is not None:
            self._send(f"- {pid}")

    def close(self) -> None:
        """End the watchdog (nothing is left to watch once the app stopped); it is reaped in the background.

        Nothing waits for it: it may still be starting (a Python interpreter), and reads the end of the pipe
        once it has.
        """
        process, self._process = self._process, None
        if process is None:
            return
        self._fd = None
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()

        def reap() -> None:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:  # pragma: no cover - it exits at end of file
                process.kill()
                process.wait()

        threading.Thread(target=reap, name="aspyre-watchdog-reaper", daemon=True).start()


def _owner_of(pid: int) -> dict[str, str] | None:
    """The owner fields in process *pid*'s environment, if it has them (and may be read)."""
    try:
        raw = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    prefix = f"{OWNER_VARIABLE}=".encode()
    for item in raw.split(b"\0"):
        if item.startswith(prefix):
            return parse_owner(item[len(prefix) :].decode("utf-8", "replace"))
    return None


def _orphans(this_host: str) -> list[tuple[int, str, Mapping[str, str]]]:
    """Processes of this user whose owner app host (on this host) no longer runs: (pid, start time, owner)."""
    me, uid = os.getpid(), os.getuid()
    verdicts: dict[tuple[str, str], bool | None] = {}
    found: list[tuple[int, str, Mapping[str, str]]] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if entry.stat().st_uid != uid:
                continue  # another user's: never ours to touch
        except OSError:
            continue
        owner = _owner_of(int(entry.name))
        if not owner or owner.get("host") != this_host:
            continue
        key = (owner.get("pid", ""), owner.get("start", ""))
        if key not in verdicts:
            labels = {LABEL_OWNER_HOST: owner.get("host", ""), LABEL_OWNER_PID: key[0], LABEL_OWNER_START_TIME: key[1]}
            verdicts[key] = owner_alive(labels, this_host=this_host)
        start = process_start_time(int(entry.name))
        if verdicts[key] is False and start:
            found.append((int(entry.name), start, owner))
    return found


def sweep_orphan_processes(grace_period: float, *, this_host: str | None = None) -> list[str]:
    """Stop the processes of app hosts that no longer run (blocking: run it in a worker thread).

    Linux (``/proc``) only; elsewhere nothing is done (the watchdog covers a killed app host). Returns one
    description per process stopped.
    """
    if not _has_proc():
        return []
    host = this_host if this_host is not None else socket.gethostname()
    orphans = _orphans(host)
    if not orphans:
        return []
    # A session leader is a process aspyre started (its own group): children that dropped the variable
    # from their environment are still in its group.
    leaders = [pid for pid, _, _ in orphans if (fields := _stat(pid)) is not None and fields[3] == str(pid)]
    for pid, _, _ in orphans:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    for pgid in leaders:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_period
    left = orphans
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [o for o in left if process_start_time(o[0]) == o[1]]
    for pid, start, _ in left:
        if process_start_time(pid) == start:  # still the same process
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    for pgid in leaders:
        if _group_left(pgid):
            _signal_group(pgid, signal.SIGKILL)
    return [
        f"process {pid} (app host pid {owner.get('pid', '?')}, session {owner.get('session', '?')})"
        for pid, _, owner in orphans
    ]
