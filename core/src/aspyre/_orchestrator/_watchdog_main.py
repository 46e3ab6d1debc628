"""The watchdog of an app host's processes: when the app host dies, however it dies, its processes die too.

The app host starts this file (``python -I -S _watchdog_main.py``) in a session of its own, with its stdin a
pipe only the app host holds (close-on-exec: no resource inherits it). The app host writes one line per event:

- ``grace <seconds>``: how long processes get between SIGTERM and SIGKILL;
- ``owner <value>``: the ``ASPYRE_OWNER`` value every process of the app host carries (sent before the
  first process starts);
- ``+ <pgid> <start-time>``: a process it started (leader of its own process group) and the leader's start
  time (``/proc/<pid>/stat`` field 22, empty where unknown), so that a reused PID is never mistaken for it;
- ``- <pgid>``: that process and its group ended.

When the pipe ends (the app host exited: normally, after stopping everything, or killed with SIGKILL) every
group still listed gets SIGTERM, then SIGKILL after the grace period: the processes and their children. So
does every process of this user that carries the app host's ``ASPYRE_OWNER`` (Linux, ``/proc``), with its
group if it leads one: a process the app host started but had not told about yet (killed in between, or its
event loop busy with other tasks meanwhile) ends with it too.
Nothing from aspyre is imported (``-I -S``: a plain interpreter starts in milliseconds); this file must stay
self-contained.
"""

from __future__ import annotations

import os
import signal
import sys
import time


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3 and on of ``/proc/<pid>/stat``; None if the process does not exist (or /proc is missing)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def _has_proc() -> bool:
    return os.path.exists("/proc/self/stat")


def _members(groups: set[int]) -> dict[int, str]:
    """The live (not zombie) processes in *groups*, with their start times (Linux); {} elsewhere."""
    found: dict[int, str] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat_fields(int(name))
        if fields is None or len(fields) < 20 or fields[0] == "Z":
            continue
        if int(fields[2]) in groups:  # field 5: the process group
            found[int(name)] = fields[19]
    return found


def _ours(pgid: int, start_time: str) -> bool:
    """Whether group *pgid* can still be the group the app host started.

    A process with that PID and another start time means the PID was reused, which Linux only does once
    no process of the old group is left: the group is gone. No process with that PID: the leader ended;
    its children may still be in the group.
    """
    if not _has_proc():
        return True
    fields = _stat_fields(pgid)
    if fields is None or len(fields) < 20 or fields[0] == "Z":
        return True
    return not start_time or fields[19] == start_time


def _signal(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _carrying(owner: str) -> dict[int, str]:
    """The live processes of this user whose environment holds ``ASPYRE_OWNER=<owner>``, with their start times."""
    needle = f"ASPYRE_OWNER={owner}".encode()
    me, uid = os.getpid(), os.getuid()
    found: dict[int, str] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid != uid:
                continue
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            fields = _stat_fields(int(name))
            if fields is not None and len(fields) >= 20 and fields[0] != "Z":
                found[int(name)] = fields[19]
    return found


def _stop(groups: dict[int, str], grace: float, owner: str = "") -> None:
    targets = {g for g, start in groups.items() if _ours(g, start)}
    carrying = _carrying(owner) if owner and _has_proc() else {}
    # A process that leads its group (as each process the app host starts does): its group goes with it.
    targets |= {p for p in carrying if (f := _stat_fields(p)) is not None and len(f) > 2 and f[2] == str(p)}
    if not targets and not carrying:
        return
    for g in targets:
        _signal(g, signal.SIGTERM)
    for p in carrying:
        _kill(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    if _has_proc():
        members = {**_members(targets), **carrying}
        while members and time.monotonic() < deadline:
            time.sleep(0.05)
            members = {p: s for p, s in members.items() if (f := _stat_fields(p)) and f[0] != "Z" and f[19] == s}
    else:  # no /proc: wait out the grace period unless every group is gone
        while time.monotonic() < deadline and any(_exists(g) for g in targets):
            time.sleep(0.05)
    for g in targets:
        _signal(g, signal.SIGKILL)
    for p, start in carrying.items():
        if (f := _stat_fields(p)) is not None and len(f) >= 20 and f[19] == start:  # still the same process
            _kill(p, signal.SIGKILL)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def main() -> None:
    # The terminal's Ctrl-C and hang-up are for the app host, which stops its processes itself.
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    groups: dict[int, str] = {}
    grace = 10.0
    owner = ""
    for raw in sys.stdin.buffer:
        text = raw.decode("utf-8", "replace")
        parts = text.split()
        try:
            if parts[:1] == ["owner"] and len(parts) >= 2:
                owner = text.split(None, 1)[1].rstrip("\n")
            elif parts[:1] == ["+"] and len(parts) >= 2:
                groups[int(parts[1])] = parts[2] if len(parts) > 2 else ""
            elif parts[:1] == ["-"] and len(parts) >= 2:
                groups.pop(int(parts[1]), None)
            elif parts[:1] == ["grace"] and len(parts) == 2:
                grace = max(0.0, float(parts[1]))
        except ValueError:
            continue
    _stop(groups, grace, owner)


if __name__ == "__main__":
    main()
