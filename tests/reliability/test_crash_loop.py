"""A crash loop: the app host is SIGKILLed at random moments, again and again (seeded). After each kill the
next start leaves nothing of the earlier runs: no container, network, volume or process.

Some kills take the process watchdog along (a whole session killed), so both the watchdog and the sweep at
the next start are exercised.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from .processes import TOKEN_VARIABLE, WORKER, alive, environment, processes_with, read_pids, tokened, watchdog_of

pytestmark = [pytest.mark.reliability, pytest.mark.docker]

#: Kills in the loop, and the seed of their moments (a failure is replayed with the same seed).
KILLS = int(os.environ.get("ASPYRE_CRASH_LOOP_KILLS", "10"))
SEED = int(os.environ.get("ASPYRE_CRASH_LOOP_SEED", "20261125"))
GUARD_SECONDS = 90

APP_HOST = """
import os
import sys

import aspyre

WORKER = {worker!r}
builder = aspyre.DistributedApplication.create_builder()
cache = builder.add_container("cache", "redis", "7").with_endpoint(target_port=6379, name="tcp").with_volume("/data")
builder.add_executable("worker", sys.executable, "-c", WORKER, f"pids-{{os.getpid()}}.txt").wait_for(cache)
builder.build().run()
"""


def _start(path: Path, token: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(path)],
        cwd=path.parent,
        env={**os.environ, TOKEN_VARIABLE: token},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _objects_of_others(client: Any, app_host: Path, owner_pid: int) -> list[str]:
    """Containers, networks and volumes of *app_host* that another app host process created."""
    label = {"label": f"aspyre.app-host={app_host}"}
    found = []
    for c in client.containers.list(all=True, filters=label):
        if c.labels.get("aspyre.owner-pid") != str(owner_pid):
            found.append(f"container {c.name} (owner {c.labels.get('aspyre.owner-pid')})")
    for n in client.networks.list(filters=label):
        if n.attrs.get("Labels", {}).get("aspyre.owner-pid") != str(owner_pid):
            found.append(f"network {n.name}")
    for v in client.volumes.list(filters=label):
        if (v.attrs.get("Labels") or {}).get("aspyre.owner-pid") != str(owner_pid):
            found.append(f"volume {v.name}")
    return found


def _processes_of_others(token: str, owner_pid: int) -> list[str]:
    """Processes (of this test) that an app host other than *owner_pid* started."""
    found = []
    for pid in processes_with(token):
        owner = environment(pid).get("ASPYRE_OWNER")
        if owner is not None and f"pid={owner_pid} " not in owner:
            found.append(f"process {pid} ({owner})")
    return found


def test_a_crash_loop_leaves_nothing_behind(tmp_path: Path, app_host: Path, docker_client: Any) -> None:
    """``app_host`` removes what Docker holds for the app host at the end, whatever happened."""
    rng = random.Random(SEED)
    path = app_host
    path.write_text(textwrap.dedent(APP_HOST.format(worker=WORKER)))
    earlier_workers: list[int] = []
    moments: list[str] = []
    checks = 0

    def check(proc: subprocess.Popen[bytes], after: str) -> None:
        """The run *proc* started its worker: the sweeps ran before, nothing of earlier runs may be left."""
        assert _objects_of_others(docker_client, path, proc.pid) == [], after
        assert _processes_of_others(token, proc.pid) == [], after
        assert [p for p in earlier_workers if alive(p)] == [], after

    with tokened() as token:
        proc = _start(path, token)
        try:
            for kill in range(1, KILLS + 1):
                # A random moment after the start: before the container exists, while it starts, after the
                # worker runs. A run that got as far as its worker is checked first.
                delay = rng.uniform(0.0, 4.0)
                with_watchdog = rng.random() < 0.34
                time.sleep(delay)
                pids_file = tmp_path / f"pids-{proc.pid}.txt"
                if pids_file.exists():
                    check(proc, f"before kill {kill}: {moments}")
                    checks += 1
                watchdog = watchdog_of(proc.pid) if with_watchdog else None
                if watchdog is not None:
                    os.kill(watchdog, signal.SIGKILL)
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=GUARD_SECONDS)
                moments.append(f"{delay:.2f}s{'+watchdog' if watchdog is not None else ''}")
                if pids_file.exists():
                    earlier_workers += read_pids(pids_file, GUARD_SECONDS)
                proc = _start(path, token)
            read_pids(tmp_path / f"pids-{proc.pid}.txt", GUARD_SECONDS)
            check(proc, f"after the last kill: {moments}")
            checks += 1
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=GUARD_SECONDS) == 0
            print(
                f"{KILLS} SIGKILLs (seed {SEED}) at {', '.join(moments)} after the start; "
                f"{checks} starts checked; {len(earlier_workers) // 2} killed runs had their worker running"
            )
            assert docker_client.containers.list(all=True, filters={"label": f"aspyre.app-host={path}"}) == []
            assert _processes_of_others(token, -1) == []
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
