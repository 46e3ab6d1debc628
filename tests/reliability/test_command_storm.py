"""A storm of start/stop/restart commands on processes and containers: no crash, and states that tell the truth."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import Any

import anyio
import docker.errors
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.reliability, pytest.mark.anyio, pytest.mark.docker]

#: Another seed replays another storm: ASPYRE_STORM_SEED=7 pytest tests/reliability -k storm
SEED = int(os.environ.get("ASPYRE_STORM_SEED", "1"))
COMMANDS = 100
PROCESSES = ("p1", "p2", "p3")
CONTAINERS = ("c1", "c2")
PERSISTENT = "k1"
ALL = (*PROCESSES, *CONTAINERS, PERSISTENT)
SLEEPER = "import time; print('up', flush=True); time.sleep(600)"
#: sh as pid 1 ignores SIGTERM unless it traps it: this one stops at once.
CONTAINER_SLEEPER = "trap 'exit 0' TERM; echo up; while :; do sleep 0.1; done"
SETTLED = {S.RUNNING, S.FINISHED, S.EXITED}


def process_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def processes_with(marker: str) -> set[int]:
    """Live processes whose command line carries *marker* (what the app started, seen or not)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes() and process_alive(int(entry.name)):
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def container_running(client: Any, container_id: str) -> bool | None:
    """True/False: it exists and runs or not; None: it does not exist."""
    try:
        return bool(client.api.inspect_container(container_id)["State"]["Running"])
    except docker.errors.NotFound:
        return None


def storm_plan(rng: random.Random) -> list[list[tuple[str, str]]]:
    """COMMANDS commands in groups run concurrently (a group may name one resource twice)."""
    names = [*PROCESSES, *CONTAINERS, PERSISTENT]
    plan: list[list[tuple[str, str]]] = []
    left = COMMANDS
    while left:
        size = min(left, rng.randint(1, 6))
        plan.append([(rng.choice(names), rng.choice(("start", "stop", "restart"))) for _ in range(size)])
        left -= size
    return plan


async def test_a_command_storm(tmp_path: Path, app_host: Path, docker_client: Any) -> None:
    rng = random.Random(SEED)
    b = aspyre.DistributedApplication.create_builder([], app_host_path=app_host)
    marker = f"storm-{os.getpid()}-{tmp_path.name}"
    for name in PROCESSES:
        b.add_executable(name, sys.executable, "-c", SLEEPER, marker)
    for name in CONTAINERS:
        b.add_container(name, "redis", "7").with_entrypoint("/bin/sh").with_args("-c", CONTAINER_SLEEPER)
    (
        b.add_container(PERSISTENT, "redis", "7")
        .with_entrypoint("/bin/sh")
        .with_args("-c", CONTAINER_SLEEPER)
        .with_lifetime(aspyre.ContainerLifetime.PERSISTENT)
    )
    app = b.build()
    app.options.stop_grace_period = 3
    watch = app.resource_notifications
    pids: set[int] = set()
    containers: set[str] = set()
    kept: set[str] = set()
    errors: list[BaseException] = []

    async def record() -> None:
        async for update in watch.watch():
            pid = update.snapshot.property_value("executable.pid")
            if pid is not None:
                pids.add(int(pid))
            cid = update.snapshot.property_value("container.id")
            if cid is not None:
                (kept if update.resource_name == PERSISTENT else containers).add(str(cid))

    async def command(name: str, verb: str) -> None:
        try:
            await app.execute_command(name, verb)
        except Exception as exc:  # every command must succeed (or be a no-op)
            errors.append(exc)

    with anyio.fail_after(150):
        async with app, anyio.create_task_group() as recording:
            recording.start_soon(record)
            for name in ALL:
                await watch.wait_for_resource(name, S.RUNNING)
            plan = storm_plan(rng)
            for group in plan:
                async with anyio.create_task_group() as tg:  # a group's commands all at once
                    for name, verb in group:
                        tg.start_soon(command, name, verb)
                await anyio.sleep(rng.choice((0, 0, 0.01, 0.05)))
            # every command returned: each resource is settled (Running, or stopped), none is left halfway
            snapshots = {name: watch.get_snapshot(name) for name in ALL}
            states = {name: s.state_text if s is not None else None for name, s in snapshots.items()}
            assert set(states.values()) <= SETTLED | {S.STARTING}, states
            for name in ALL:
                await watch.wait_for_resource(name, lambda s: s.state_text in SETTLED)
            await anyio.sleep(0.5)  # anything still to happen (it must not) would show now
            final = {name: watch.get_snapshot(name) for name in ALL}
            # the snapshots tell the truth about the processes and containers
            for name in PROCESSES:
                snap = final[name]
                assert snap is not None
                pid = int(snap.property_value("executable.pid"))
                if snap.state_text == S.RUNNING:
                    assert process_alive(pid), (name, pid)
                else:
                    assert snap.state_text == S.FINISHED and not process_alive(pid), (name, snap.state_text)
            for name in CONTAINERS:
                snap = final[name]
                assert snap is not None
                cid = str(snap.property_value("container.id"))
                if snap.state_text == S.RUNNING:
                    assert container_running(docker_client, cid) is True, (name, cid)
                else:
                    assert snap.state_text == S.EXITED and container_running(docker_client, cid) is None, name
            snap = final[PERSISTENT]
            assert snap is not None
            # stopped by the Stop command: kept, not running; running: the one container, running
            expected = snap.state_text == S.RUNNING
            assert container_running(docker_client, str(snap.property_value("container.id"))) is expected
            assert len(kept) == 1  # the persistent container is the same one across every run
            # nothing else runs: every earlier run's process ended, every earlier container was removed
            current_pids = {int(final[n].property_value("executable.pid")) for n in PROCESSES if final[n].state_text == S.RUNNING}  # type: ignore[union-attr]
            current_ids = {str(final[n].property_value("container.id")) for n in CONTAINERS if final[n].state_text == S.RUNNING}  # type: ignore[union-attr]
            assert [p for p in pids - current_pids if process_alive(p)] == []
            assert [c for c in containers - current_ids if container_running(docker_client, c) is not None] == []
            # ...even those no snapshot ever showed (started by a command cancelled while starting them)
            assert processes_with(marker) == current_pids
            labelled = docker_client.containers.list(all=True, filters={"label": f"aspyre.app-host={app_host}"})
            assert {c.id for c in labelled} == current_ids | kept
            recording.cancel_scope.cancel()
    assert errors == []
    assert app.failed_resources == []
    runs = len(pids) + len(containers)
    print(f"command storm: {COMMANDS} commands in {len(plan)} concurrent groups, {runs} runs")
    # the app's stop leaves nothing behind
    assert [p for p in pids if process_alive(p)] == []
    assert processes_with(marker) == set()
    assert [c for c in containers if container_running(docker_client, c) is not None] == []
    # a persistent container outlives the app if it was running, and exists (stopped) if it was stopped
    assert container_running(docker_client, next(iter(kept))) is (final[PERSISTENT].state_text == S.RUNNING)  # type: ignore[union-attr]
