"""Processes die with their app host: a SIGKILLed app host leaks no process (nor its children), at once
(the watchdog) or, if the watchdog was killed too, at the next start (the sweep). Processes of an app host
that still runs are never touched, and what a process leaves in its group ends with it.

The app hosts these tests start run as if on a machine of the test's own (:func:`.processes.machine_of_its_own`):
any app host started meanwhile on this machine (another test run) sweeps dead owners' processes too, and
would otherwise stop a killed app host's processes before the watchdog or the sweep under test could.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

from .processes import (
    TOKEN_VARIABLE,
    WORKER,
    alive,
    as_if_on,
    children_of,
    environment,
    machine_of_its_own,
    read_pids,
    tokened,
    wait_until_gone,
    watchdog_of,
)

pytestmark = pytest.mark.reliability

GUARD_SECONDS = 60

APP_HOST = """
{as_if_on}
import sys

import aspyre

WORKER = {worker!r}
builder = aspyre.DistributedApplication.create_builder()
builder.add_executable("worker", sys.executable, "-c", WORKER, "pids.txt")
builder.build().run()
"""


def _write_app_host(directory: Path, machine: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "apphost.py"
    path.write_text(textwrap.dedent(APP_HOST.format(as_if_on=as_if_on(machine), worker=WORKER)))
    return path


def _start(path: Path, token: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, TOKEN_VARIABLE: token}
    return subprocess.Popen(
        [sys.executable, str(path)],
        cwd=path.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _sigkill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=GUARD_SECONDS)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_sigkilled_app_host_takes_its_processes_and_their_children_along(tmp_path: Path) -> None:
    """Only the watchdog can stop them: no other app host runs on the app host's machine."""
    machine = machine_of_its_own()
    with tokened() as token:
        proc = _start(_write_app_host(tmp_path / "victim", machine), token)
        try:
            worker, grandchild = read_pids(tmp_path / "victim" / "pids.txt", GUARD_SECONDS)
            owner = environment(worker).get("ASPYRE_OWNER", "")
            assert f"host={machine} " in owner, owner
            assert alive(worker) and alive(grandchild)
            killed = time.monotonic()
            _sigkill(proc)
            left = wait_until_gone([worker, grandchild], GUARD_SECONDS)
            print(f"the worker and its child ended {time.monotonic() - killed:.2f} s after the app host's SIGKILL")
            assert left == [], "processes outlived their SIGKILLed app host"
            assert f"pid={proc.pid} " in owner, owner  # the process named its app host
        finally:
            if proc.poll() is None:
                _sigkill(proc)


#: Writes its PID, kills its app host at once (before the app host can tell the watchdog about it), sleeps.
KILLS_ITS_APP_HOST = "echo $$ > pid.txt.tmp && mv pid.txt.tmp pid.txt && kill -9 $PPID; exec sleep 600"


def test_a_process_that_kills_its_app_host_at_once_still_ends_with_it(tmp_path: Path) -> None:
    """The app host dies as its process starts: before it told the watchdog about the process (between the
    start and that message its event loop runs other tasks, for as long as the machine's load makes it)."""
    machine = machine_of_its_own()
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "apphost.py"
    path.write_text(
        f"{as_if_on(machine)}\nimport aspyre\n\nbuilder = aspyre.DistributedApplication.create_builder()\n"
        f"builder.add_executable('worker', '/bin/sh', '-c', {KILLS_ITS_APP_HOST!r})\nbuilder.build().run()\n"
    )
    with tokened() as token:
        proc = _start(path, token)
        try:
            assert proc.wait(timeout=GUARD_SECONDS) == -signal.SIGKILL
            (worker,) = read_pids(tmp_path / "pid.txt", GUARD_SECONDS)
            assert wait_until_gone([worker], GUARD_SECONDS) == [], "a process outlived its SIGKILLed app host"
        finally:
            if proc.poll() is None:
                _sigkill(proc)


def test_the_watchdog_stops_its_app_hosts_processes_it_was_not_told_about() -> None:
    """It knows them by the owner in their environment; a process of another app run is left alone."""
    from aspyre._orchestrator._docker._owner import OwnerIdentity
    from aspyre._orchestrator._reaping import ProcessWatchdog, owner_marker

    identity = OwnerIdentity.of()  # this process plays the app host
    owner, another = (owner_marker(identity, uuid.uuid4().hex[:12]) for _ in range(2))
    sleeper = ["/bin/sleep", "600"]
    with tokened() as token:
        before = set(children_of(os.getpid()))
        watchdog = ProcessWatchdog(lambda: 5.0, owner)
        assert watchdog.start()
        (watchdog_pid,) = set(children_of(os.getpid())) - before
        untold = subprocess.Popen(sleeper, env={"ASPYRE_OWNER": owner, TOKEN_VARIABLE: token}, start_new_session=True)
        other = subprocess.Popen(sleeper, env={"ASPYRE_OWNER": another, TOKEN_VARIABLE: token}, start_new_session=True)
        try:
            watchdog.close()  # the pipe ends before watch(untold.pid): as when the app host is killed then
            assert untold.wait(timeout=GUARD_SECONDS) == -signal.SIGTERM
            assert wait_until_gone([watchdog_pid], GUARD_SECONDS) == []  # done: it touched nothing else
            assert other.poll() is None, "another app run's process was stopped"
        finally:
            for p in (untold, other):
                if p.poll() is None:
                    p.kill()
                    p.wait()


def test_the_next_start_reaps_what_a_killed_app_host_and_watchdog_left_and_nothing_else(tmp_path: Path) -> None:
    """The watchdog killed too (the whole session killed, an OOM kill...): the next start stops the leftovers.

    Another app host runs meanwhile (on the same machine): its processes are not touched, by the watchdog
    nor by the sweep.
    """
    from aspyre._orchestrator._reaping import sweep_orphan_processes

    machine = machine_of_its_own()
    with tokened() as token:
        bystander = _start(_write_app_host(tmp_path / "bystander", machine), token)
        victim = _start(_write_app_host(tmp_path / "victim", machine), token)
        survivor: subprocess.Popen[bytes] | None = None
        try:
            others = read_pids(tmp_path / "bystander" / "pids.txt", GUARD_SECONDS)
            leftovers = read_pids(tmp_path / "victim" / "pids.txt", GUARD_SECONDS)
            watchdog = watchdog_of(victim.pid)
            if watchdog is not None:
                os.kill(watchdog, signal.SIGKILL)
            _sigkill(victim)
            # as any app host starting meanwhile on this machine (another test run) does: not its machine's
            sweep_orphan_processes(5.0)
            time.sleep(0.5)
            assert all(alive(p) for p in leftovers), "the leftovers are gone already: this test proves nothing"

            survivor = _start(_write_app_host(tmp_path / "next", machine), token)  # an app host that starts processes
            read_pids(tmp_path / "next" / "pids.txt", GUARD_SECONDS)  # its first process started: swept before
            assert wait_until_gone(leftovers, 10) == [], "the next start left processes of a dead app host"
            assert all(alive(p) for p in others), "a live app host's processes were touched"
        finally:
            for p in (victim, bystander, survivor):
                if p is not None:
                    _stop(p)
        assert wait_until_gone(others, 10) == []  # and a normal stop ends them


@pytest.mark.anyio
async def test_what_a_process_leaves_in_its_group_ends_with_it(tmp_path: Path) -> None:
    """A process that exits while a child of its own still runs: the child is stopped with it."""
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    pids = tmp_path / "pids.txt"
    # The leader starts a child, writes both PIDs and exits at once (0): the child would run for 10 minutes.
    code = WORKER.replace("time.sleep(600)\n", "") + "sys.exit(0)\n"
    builder.add_executable("launcher", sys.executable, "-c", code, str(pids))
    app = builder.build()
    async with app:
        snapshot = await app.resource_notifications.wait_for_resource("launcher", S.FINISHED)
        assert snapshot.exit_code == 0
        _, child = await anyio.to_thread.run_sync(read_pids, pids, GUARD_SECONDS)
        # Finished only once the group ended: the child is gone already.
        assert not alive(child), "a child outlived the process that started it"


@pytest.mark.anyio
async def test_a_process_knows_its_owner_as_docs_running_md_shows(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    builder.add_executable("job", sys.executable, "-c", "import os; print(os.environ['ASPYRE_OWNER'])")
    app = builder.build()
    async with app:
        await app.resource_notifications.wait_for_resource("job", S.FINISHED)
        (line,) = [line.content for line in app.resource_loggers.backlog("job")]
    fields = dict(part.split("=", 1) for part in line.split())
    assert list(fields) == ["pid", "start", "host", "session"]
    assert fields["pid"] == str(os.getpid())  # the app host: here, the test process
    assert fields["start"].isdigit() and fields["session"]


def test_the_sweep_stops_a_dead_owners_processes_of_this_user_only() -> None:
    """A process naming an app host that no longer runs is stopped; the same under another user is not."""
    from aspyre._orchestrator._reaping import sweep_orphan_processes

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its PID names an app host that no longer runs
    machine = machine_of_its_own()  # the sweep here is the only one that considers the dead owner's processes
    owner = f"pid={gone.pid} start=1 host={machine} session=deadbeef"
    sleeper = ["/bin/sleep", "600"]
    with tokened() as token:
        env = {**os.environ, "ASPYRE_OWNER": owner, TOKEN_VARIABLE: token}
        mine = subprocess.Popen(sleeper, env=env, start_new_session=True)
        theirs = None
        if os.getuid() == 0:  # only root can start a process as another user
            theirs = subprocess.Popen(sleeper, env=env, start_new_session=True, user=65534, group=65534)
        try:
            time.sleep(0.2)
            stopped = sweep_orphan_processes(5.0, this_host=machine)
            assert stopped == [f"process {mine.pid} (app host pid {gone.pid}, session deadbeef)"]
            assert mine.wait(timeout=10) == -signal.SIGTERM
            if theirs is not None:
                assert theirs.poll() is None, "another user's process was touched"
                assert not any(f"process {theirs.pid} " in s for s in stopped)
        finally:
            for p in (mine, theirs):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()
        if theirs is None:
            pytest.skip("another user's process needs root to start: checked the same user's only")
