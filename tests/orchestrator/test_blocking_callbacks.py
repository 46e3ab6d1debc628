"""User callbacks never freeze the app host: sync health checks run in threads, with their timeout."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import HealthStatus
from aspyre import KnownResourceStates as S
from aspyre._orchestrator._notifications import DependencyFailedError

pytestmark = pytest.mark.anyio

PY = sys.executable
TICKER = ("-c", "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.05)")
SLEEPER = ("-c", "import time; time.sleep(600)")


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Released at the end of the test, so that a blocked check's thread ends."""
    event = threading.Event()
    yield event
    event.set()


def make_builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


async def test_a_blocking_sync_health_check_times_out_and_the_app_keeps_running(
    tmp_path: Path, gate: threading.Event
) -> None:
    calls: list[float] = []

    def stuck(ctx: aspyre.HealthCheckContext) -> bool:
        calls.append(time.monotonic())
        gate.wait(30)  # a blocking call without a timeout of its own (time.sleep(3600) in the issue)
        return True

    b = make_builder(tmp_path)
    b.add_executable("ticker", PY, *TICKER)
    b.add_executable("svc", PY, *SLEEPER).with_health_check("stuck", stuck)
    app = b.build()
    app.options.health_check_timeout = 0.5
    with anyio.fail_after(40):
        async with app:
            watch = app.resource_notifications
            await watch.wait_for_resource("svc", S.RUNNING)
            snap = await watch.wait_for_resource("svc", lambda s: s.health_reports[0].status is HealthStatus.UNHEALTHY)
            report = snap.health_reports[0]
            assert report.description == "timed out after 0.5 s"
            # the loop is free: the ticker's lines keep arriving while the check's thread is blocked
            before = len(app.resource_loggers.backlog("ticker"))
            started = time.monotonic()
            await anyio.sleep(1.0)
            assert time.monotonic() - started < 10  # the loop was not frozen by the check (it blocks 30 s)
            assert len(app.resource_loggers.backlog("ticker")) > before
            # a check still blocked is not called again (no thread piles up); it reports why
            snap = await watch.wait_for_resource(
                "svc", lambda s: "still running" in (s.health_reports[0].description or "")
            )
            assert len(calls) == 1
            assert snap.health_status is HealthStatus.UNHEALTHY
            # once it returns, it is called again, and passes
            gate.set()
            await watch.wait_for_resource_healthy("svc")
            assert len(calls) >= 2


async def test_a_sync_health_check_runs_off_the_event_loop(tmp_path: Path) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def check(ctx: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        seen.append(threading.get_ident())
        return aspyre.HealthCheckResult(HealthStatus.HEALTHY)

    async def async_check(ctx: aspyre.HealthCheckContext) -> bool:
        seen.append(-threading.get_ident())
        return True

    b = make_builder(tmp_path)
    b.add_executable("svc", PY, *SLEEPER).with_health_check("sync", check).with_health_check("async", async_check)
    app = b.build()
    with anyio.fail_after(20):
        async with app:
            await app.resource_notifications.wait_for_resource_healthy("svc")
    assert loop_thread not in seen  # the sync one ran in a thread
    assert -loop_thread in seen  # the async one on the loop


async def test_a_failing_check_says_why(tmp_path: Path) -> None:
    def refuses(ctx: aspyre.HealthCheckContext) -> bool:
        raise ConnectionRefusedError("nobody listens on 6380")

    b = make_builder(tmp_path)
    b.add_executable("svc", PY, *SLEEPER).with_health_check("port", refuses)
    app = b.build()
    with anyio.fail_after(20):
        async with app:
            snap = await app.resource_notifications.wait_for_resource(
                "svc", lambda s: bool(s.health_reports) and s.health_reports[0].status is HealthStatus.UNHEALTHY
            )
    assert snap.health_reports[0].description == "nobody listens on 6380"


async def test_waiters_hear_why_a_dependency_was_unhealthy(tmp_path: Path) -> None:
    def refuses(ctx: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        return aspyre.HealthCheckResult(aspyre.HealthStatus.UNHEALTHY, "nobody listens on 6380")

    b = make_builder(tmp_path)
    dep = b.add_executable("dep", PY, "-c", "import time; time.sleep(1.5)").with_health_check("port", refuses)
    b.add_executable("api", PY, "-c", "pass").wait_for(dep)
    app = b.build()
    with anyio.fail_after(20):
        async with app:
            watch = app.resource_notifications
            await watch.wait_for_resource("api", S.FAILED_TO_START)
            with pytest.raises(DependencyFailedError, match=r"unhealthy: port: nobody listens on 6380"):
                await watch.wait_for_resource_healthy("dep")
    api_log = [line.content for line in app.resource_loggers.backlog("api")]
    # the waiter's error says why the dependency was not healthy
    assert any("'dep' entered the 'Finished' state prematurely (it was unhealthy: port:" in x for x in api_log), api_log


async def test_the_callback_running_on_the_loop_is_named(tmp_path: Path) -> None:
    """What the watchdog's warning names and what Ctrl-C interrupts: user code aspyre called, never aspyre's."""
    from aspyre._orchestrator._callbacks import blocking_callback

    seen: dict[str, str | None] = {}

    async def probe(ctx: aspyre.HealthCheckContext) -> bool:
        seen["in the check"] = blocking_callback(sys._getframe())
        seen["in aspyre, below it"] = blocking_callback(sys._getframe(1))
        return True

    b = make_builder(tmp_path)
    b.add_executable("svc", PY, *SLEEPER).with_health_check("probe", probe)
    app = b.build()
    with anyio.fail_after(20):
        async with app:
            await app.resource_notifications.wait_for_resource_healthy("svc")
    assert seen["in the check"] is not None
    assert seen["in the check"].startswith("test_the_callback_running_on_the_loop_is_named.<locals>.probe (")
    assert "test_blocking_callbacks.py:" in seen["in the check"]
    assert seen["in aspyre, below it"] is None  # aspyre's own code is never interrupted


def test_generated_code_is_never_taken_for_a_user_callback() -> None:
    """aspyre creates attrs objects (a LogLine per line) on the loop: a Ctrl-C landing there must not
    interrupt aspyre (it failed a process under a log flood once)."""
    from aspyre._orchestrator._callbacks import is_user_code
    from aspyre._orchestrator._logs import LogLine

    assert LogLine.__init__.__code__.co_filename.startswith("<attrs generated")
    assert not is_user_code(LogLine.__init__.__code__.co_filename)
    assert not is_user_code("<string>")
    assert is_user_code(__file__)


def test_the_libraries_aspyre_uses_are_not_user_code_but_plugins_are() -> None:
    """Code of a distribution aspyre depends on (directly or not) that aspyre calls on the loop is never
    interrupted by Ctrl-C; a plugin's (installed in site-packages too) and the app host's is."""
    import certifi
    import idna
    import pluggy

    import aspyre_redis
    from aspyre._orchestrator._callbacks import is_library

    assert is_library(idna.__file__)  # httpx's dependency: not in the built-in list
    assert is_library(certifi.__file__)
    assert is_library(pluggy.__file__)
    assert not is_library(pytest.__file__)  # installed, but aspyre does not depend on it
    assert not is_library(aspyre_redis.__file__)  # an extra of aspyre: a plugin, its callbacks are user code
    assert not is_library(aspyre.__file__)
    assert not is_library(__file__)
