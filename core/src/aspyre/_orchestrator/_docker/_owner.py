"""Who owns a Docker object aspyre created: labels, and whether that owner still runs.

Every container, network and volume aspyre creates carries labels naming the app host process that
created it: the host name, the PID and the PID's start time (field 22 of ``/proc/<pid>/stat``, in clock
ticks since boot). Comparing the start time as well as the PID detects PID reuse: a new process that
happens to get the same PID has a different start time. Where ``/proc`` does not exist (macOS,
Windows) the start time is left empty and only the PID is checked.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path

import attrs

__all__ = [
    "LABEL_APP_HOST",
    "LABEL_APP_HOST_HASH",
    "LABEL_CONFIG_HASH",
    "LABEL_LIFETIME",
    "LABEL_MANAGED",
    "LABEL_OWNER_HOST",
    "LABEL_OWNER_PID",
    "LABEL_OWNER_START_TIME",
    "LABEL_PREFIX",
    "LABEL_RESOURCE",
    "LABEL_SESSION",
    "LABEL_VOLUME_KIND",
    "LIFETIME_PERSISTENT",
    "LIFETIME_SESSION",
    "OwnerIdentity",
    "app_name",
    "owner_alive",
    "process_start_time",
]

#: Every label aspyre sets starts with this prefix; user labels may not use it.
LABEL_PREFIX = "aspyre."
#: ``"true"`` on everything aspyre created.
LABEL_MANAGED = "aspyre.managed"
#: ``session`` (removed when the app host stops, swept when its owner died) or ``persistent`` (kept).
LABEL_LIFETIME = "aspyre.lifetime"
#: The session id of the app host run that created the object.
LABEL_SESSION = "aspyre.session-id"
#: The app host's path, as given to the runtime (absolute).
LABEL_APP_HOST = "aspyre.app-host"
#: The app host hash: :func:`aspyre._model._names.app_host_hash` of the app host path (8 hex digits).
LABEL_APP_HOST_HASH = "aspyre.app-host-hash"
#: The host name of the machine the app host ran on.
LABEL_OWNER_HOST = "aspyre.owner-host"
#: The PID of the app host process.
LABEL_OWNER_PID = "aspyre.owner-pid"
#: The start time of that process (``/proc/<pid>/stat`` field 22), empty where unknown.
LABEL_OWNER_START_TIME = "aspyre.owner-start-time"
#: The aspyre resource name (containers and volumes).
LABEL_RESOURCE = "aspyre.resource"
#: SHA-256 over the resolved container configuration (nothing per-run in it).
LABEL_CONFIG_HASH = "aspyre.config-hash"
#: Volumes only: ``anonymous`` (belongs to one container) or ``named``.
LABEL_VOLUME_KIND = "aspyre.volume-kind"

LIFETIME_SESSION = "session"
LIFETIME_PERSISTENT = "persistent"


def process_start_time(pid: int) -> str | None:
    """The start time of process *pid* as a string, ``""`` when unknowable here, ``None`` if it does not run."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None  # /proc works, the process is gone
        return "" if _pid_exists(pid) else None
    except OSError:
        return "" if _pid_exists(pid) else None
    # The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
    fields = stat[stat.rfind(")") + 2 :].split()
    # fields[0] is field 3 (state); the start time is field 22.
    if len(fields) < 20:
        return ""
    if fields[0] == "Z":
        return None  # a zombie has finished running; its parent just has not reaped it yet
    return fields[19]


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@attrs.frozen
class OwnerIdentity:
    """The app host process that owns Docker objects."""

    host: str
    pid: int
    start_time: str

    @classmethod
    def of(cls, pid: int | None = None) -> OwnerIdentity:
        """The identity of process *pid* (default: this process) on this machine."""
        pid = os.getpid() if pid is None else pid
        start = process_start_time(pid)
        return cls(host=socket.gethostname(), pid=pid, start_time=start or "")

    def labels(self) -> dict[str, str]:
        return {
            LABEL_OWNER_HOST: self.host,
            LABEL_OWNER_PID: str(self.pid),
            LABEL_OWNER_START_TIME: self.start_time,
        }


def owner_alive(labels: Mapping[str, str], *, this_host: str | None = None) -> bool | None:
    """Whether the app host named by an object's owner labels still runs.

    ``True``: it runs. ``False``: it is gone (or its PID now belongs to another process). ``None``:
    this machine cannot tell (the owner ran on another host, or the labels are incomplete), so the
    object must be left alone.
    """
    host = labels.get(LABEL_OWNER_HOST)
    pid_text = labels.get(LABEL_OWNER_PID, "")
    if not host or not pid_text.isdigit():
        return None
    if host != (this_host if this_host is not None else socket.gethostname()):
        return None
    start = process_start_time(int(pid_text))
    if start is None:
        return False
    recorded = labels.get(LABEL_OWNER_START_TIME, "")
    # A different start time means the PID was reused by another process.
    return not (recorded and start and recorded != start)


def app_name(app_host_path: str | os.PathLike[str]) -> str:
    """A Docker-safe short name for the app: the app host's directory for a file, else the last part."""
    path = Path(app_host_path)
    raw = path.parent.name if path.suffix else path.name
    name = re.sub(r"[^a-z0-9_.-]+", "-", raw.lower()).strip("-._")[:32].rstrip("-._")
    return name or "app"
