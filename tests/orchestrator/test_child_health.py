"""A child is checked with its parent's checks: its own first, then the inherited ones, and an inherited
check the parent's own monitor ran during the child's round is taken from the parent (issue 19)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

import anyio
import anyio.lowlevel
import attrs
import pytest

import aspyre

pytestmark = pytest.mark.anyio

PY = sys.executable


@attrs.define(eq=False, repr=False)
class Child(aspyre.Resource, aspyre.IResourceWithParent, aspyre.IResourceWithWaitSupport):
    """A child without a lifecycle of its own (as a Postgres database): it shows its parent's state."""

    resource_type: ClassVar[str] = "Child"
    parent: aspyre.IResource = attrs.field(kw_only=True)


async def test_a_child_is_healthy_with_its_parents_report_not_a_round_later(tmp_path: Path) -> None:
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    calls: list[str] = []  # who each call of the parent's check was for
    parent_healthy = anyio.Event()

    async def parent_check(ctx: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        assert ctx.resource is not None
        calls.append(ctx.resource.name)
        if calls.count("server") < 3:
            return aspyre.HealthCheckResult.unhealthy(f"not yet ({len(calls)})")
        parent_healthy.set()
        return aspyre.HealthCheckResult.healthy("server ok")

    async def child_check(ctx: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        # As a database's check: it waits for its server to become ready (and create it).
        await parent_healthy.wait()
        return aspyre.HealthCheckResult.healthy("child ok")

    server = b.add_executable("server", PY, "-c", "import time; time.sleep(60)").with_health_check(
        "server_ok", parent_check
    )
    child = b.add_resource(Child("child", parent=server.resource)).with_health_check("child_ok", child_check)
    client = b.add_executable("client", PY, "-c", "pass").wait_for(child)
    app = b.build()
    async with app:
        with anyio.fail_after(60):
            snap = await app.resource_notifications.wait_for_resource_healthy("child")
            server_snap = app.resource_notifications.get_snapshot("server")
            done = await app.resource_notifications.wait_for_resource(client.resource, aspyre.KnownResourceStates.FINISHED)
    assert server_snap is not None
    reports = {r.name: r for r in snap.health_reports}
    assert list(reports) == ["child_ok", "server_ok"]  # its own, then its parent's
    (server_report,) = server_snap.health_reports
    # The child's round took the server's own healthy report (the very same call) ...
    assert reports["server_ok"].status is aspyre.HealthStatus.HEALTHY
    assert reports["server_ok"].last_run_at == server_report.last_run_at
    assert reports["server_ok"].description == "server ok"
    # ... and never called the parent's check itself before it was healthy (its own check came first and
    # waited; then the server had reported during the round).
    healthy_call = [i for i, who in enumerate(calls) if who == "server"][2]
    assert "child" not in calls[: healthy_call + 1], calls
    assert done.exit_code == 0


async def test_an_inherited_check_runs_when_the_parent_did_not_report_during_the_round(tmp_path: Path) -> None:
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    calls: list[str] = []

    def parent_check(ctx: aspyre.HealthCheckContext) -> bool:
        assert ctx.resource is not None
        calls.append(ctx.resource.name)
        return True

    server = b.add_executable("server", PY, "-c", "import time; time.sleep(60)").with_health_check(
        "server_ok", parent_check
    )
    b.add_resource(Child("child", parent=server.resource)).with_health_check("child_ok", lambda ctx: True)
    app = b.build()
    async with app:
        with anyio.fail_after(60):
            snap = await app.resource_notifications.wait_for_resource_healthy("child")
    assert [r.name for r in snap.health_reports] == ["child_ok", "server_ok"]
    # The child's own check returned at once: the server had not reported since the child's round began
    # (or had, and then its report is the same call): either way the child's report is a real result.
    assert all(r.status is aspyre.HealthStatus.HEALTHY for r in snap.health_reports)
    assert "server" in calls


async def test_a_child_is_never_healthy_before_its_parent_reported_healthy(tmp_path: Path) -> None:
    """A call of the parent's check made for the child would pass while the parent's own rounds still fail
    (a server whose check creates what the child needs): the child waits for the parent's healthy report."""
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    release = anyio.Event()
    parent_failures = 0

    async def parent_check(ctx: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        nonlocal parent_failures
        assert ctx.resource is not None
        if ctx.resource.name == "server" and not release.is_set():
            parent_failures += 1
            return aspyre.HealthCheckResult.unhealthy("server not ready")
        return aspyre.HealthCheckResult.healthy(f"ok for {ctx.resource.name}")

    server = b.add_executable("server", PY, "-c", "import time; time.sleep(60)").with_health_check(
        "server_ok", parent_check
    )
    b.add_resource(Child("child", parent=server.resource)).with_health_check("child_ok", lambda ctx: True)
    app = b.build()
    published: list[tuple[str, aspyre.ResourceSnapshot]] = []
    child_rounds = anyio.Event()

    def healthy(s: aspyre.ResourceSnapshot) -> bool:
        return bool(s.health_reports) and all(r.status is aspyre.HealthStatus.HEALTHY for r in s.health_reports)

    async def record() -> None:
        async for update in app.resource_notifications.watch():
            published.append((update.resource.name, update.snapshot))
            rounds = [s for n, s in published if n == "child" and s.health_reports and s.health_reports[0].status]
            if len(rounds) >= 20 or any(map(healthy, rounds)):  # (healthy: the defect this test is for)
                child_rounds.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(record)
        await anyio.lowlevel.checkpoint()  # the recorder subscribes (asyncio runs tasks in order)
        async with app:
            with anyio.fail_after(60):
                # The child's own check passes in each of these rounds; the parent's still fail.
                await child_rounds.wait()
                release.set()
                await app.resource_notifications.wait_for_resource_healthy("child")
                await app.resource_notifications.wait_for_resource_healthy("server")
        tg.cancel_scope.cancel()

    for name in ("server", "child"):
        versions = [s.version for n, s in published if n == name]
        assert versions == list(range(versions[0], versions[0] + len(versions))) and versions[0] == 1, (name, versions)

    first_server = next(i for i, (n, s) in enumerate(published) if n == "server" and healthy(s))
    first_child = next(i for i, (n, s) in enumerate(published) if n == "child" and healthy(s))
    assert parent_failures >= 2
    assert first_server < first_child, [
        (n, [(r.name, r.status) for r in s.health_reports]) for n, s in published if s.health_reports
    ]
