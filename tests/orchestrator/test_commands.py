"""Start, stop and restart commands: serialised per resource, idempotent, never fatal to the app."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = pytest.mark.anyio

PY = sys.executable
SLEEPER = ("-c", "import time; print('up', flush=True); time.sleep(600)")


def make_builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


def _state(app: aspyre.DistributedApplication, name: str) -> str | None:
    snap = app.resource_notifications.get_snapshot(name)
    return None if snap is None else snap.state_text


async def test_two_quick_starts_start_once_and_harm_nobody(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("bystander", PY, *SLEEPER)
    b.add_executable("svc", PY, *SLEEPER).with_explicit_start()
    app = b.build()
    with anyio.fail_after(30):
        async with app:
            watch = app.resource_notifications
            await watch.wait_for_resource("bystander", S.RUNNING)
            bystander_pid = watch.get_snapshot("bystander").property_value("executable.pid")  # type: ignore[union-attr]
            # two starts before the first one's run began (the race that crashed the app)
            async with anyio.create_task_group() as tg:
                tg.start_soon(app.start_resource, "svc")
                tg.start_soon(app.start_resource, "svc")
            await app.start_resource("svc")  # a third, once it is under way: nothing to do
            svc = await watch.wait_for_resource_healthy("svc")
            await anyio.sleep(0.3)
            # one run, the bystander untouched, the app still running
            assert [line.content for line in app.resource_loggers.backlog("svc")] == ["up"]
            assert _state(app, "svc") == S.RUNNING
            assert watch.get_snapshot("svc").property_value("executable.pid") == svc.property_value("executable.pid")  # type: ignore[union-attr]
            assert _state(app, "bystander") == S.RUNNING
            assert watch.get_snapshot("bystander").property_value("executable.pid") == bystander_pid  # type: ignore[union-attr]
    assert app.failed_resources == []


async def test_concurrent_restarts_are_serialised(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("bystander", PY, *SLEEPER)
    b.add_executable("svc", PY, *SLEEPER)
    app = b.build()
    states: list[str | None] = []

    async def record() -> None:
        async for update in app.resource_notifications.watch():
            if update.resource_name == "svc" and (not states or states[-1] != update.snapshot.state_text):
                states.append(update.snapshot.state_text)

    with anyio.fail_after(60):
        async with app, anyio.create_task_group() as watching:
            watching.start_soon(record)
            watch = app.resource_notifications
            await watch.wait_for_resource_healthy("svc")
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(app.execute_command, "svc", "restart")
            await watch.wait_for_resource_healthy("svc")
            assert _state(app, "bystander") == S.RUNNING
            watching.cancel_scope.cancel()
    # each restart stopped the run before it, then started one: five runs, one after the other
    runs = [i for i, state in enumerate(states) if state == S.STARTING]
    assert len(runs) == 5, states
    for before, after in itertools.pairwise(runs):
        assert S.FINISHED in states[before:after], states
    assert states[-1] == S.RUNNING
    assert app.failed_resources == []


async def test_stop_of_a_stopped_resource_and_start_of_a_running_one_do_nothing(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("svc", PY, *SLEEPER)
    app = b.build()
    with anyio.fail_after(30):
        async with app:
            watch = app.resource_notifications
            await watch.wait_for_resource_healthy("svc")
            await app.execute_command("svc", "stop")
            stopped = watch.get_snapshot("svc")
            assert stopped is not None and stopped.state_text == S.FINISHED
            await app.execute_command("svc", "stop")
            assert watch.get_snapshot("svc") == stopped  # not even a new version
            await app.execute_command("svc", "start")
            started = watch.get_snapshot("svc")
            assert started is not None and started.state_text not in (S.FINISHED, S.EXITED, S.FAILED_TO_START)
            await watch.wait_for_resource_healthy("svc")
            running = watch.get_snapshot("svc")
            await app.execute_command("svc", "start")
            assert watch.get_snapshot("svc") == running


async def test_restart_returns_with_the_new_run_under_way(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("svc", PY, *SLEEPER)
    b.add_executable("job", PY, "-c", "print('done')")
    app = b.build()
    with anyio.fail_after(30):
        async with app:
            watch = app.resource_notifications
            await watch.wait_for_resource_healthy("svc")
            await app.execute_command("svc", "restart")
            # the old run's terminal state is not what the caller sees: the new run is at least Starting
            assert _state(app, "svc") in (S.STARTING, S.RUNNING)
            await watch.wait_for_resource_healthy("svc")  # raised "entered the 'Finished' state" before
            # start_resource too, on a resource that finished by itself
            await watch.wait_for_resource("job", S.FINISHED)
            await app.start_resource("job")
            assert _state(app, "job") in (S.STARTING, S.RUNNING)
            await watch.wait_for_resource_completion("job")
            assert [line.content for line in app.resource_loggers.backlog("job")] == ["done", "done"]


async def test_start_while_the_app_is_not_running_is_a_clear_error(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("svc", PY, *SLEEPER)
    app = b.build()
    with pytest.raises(RuntimeError, match="not running"):
        await app.start_resource("svc")


async def test_an_app_runs_once(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("job", PY, "-c", "print('ran')")
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource("job", S.FINISHED)
    with pytest.raises(RuntimeError, match=r"already ran.*builder\.build\(\)"):
        async with app:
            pass
    assert [line.content for line in app.resource_loggers.backlog("job")] == ["ran"]


def test_a_second_run_is_a_clear_error(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("job", PY, "-c", "print('ran')")
    app = b.build()
    app.options.console_output = False

    async def stop_when_finished() -> None:
        await app.resource_notifications.wait_for_resource("job", S.FINISHED)
        app._orch().request_stop()

    async def run_once() -> int:
        async with anyio.create_task_group() as tg:
            tg.start_soon(stop_when_finished)
            return await app.run_async()

    assert anyio.run(run_once) == 0
    with pytest.raises(RuntimeError, match="already ran"):
        app.run()
