"""Health checks: run while a resource is Running; the first healthy result raises resource-ready."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import attrs

from .._eventing._app import App
from .._model._annotations import HealthCheckAnnotation
from .._model._callback_contexts import HealthCheckContext, HealthCheckResult, HealthStatus
from .._model._graph import parents_of
from .._model._resources import IResource
from .._model._snapshot import HealthReportSnapshot, KnownResourceStates, ResourceSnapshot
from ._callbacks import is_async_callable, run_in_thread

__all__ = ["HealthRound", "HealthSettings", "collect_health_checks", "monitor_health", "run_health_check"]


@attrs.frozen
class HealthSettings:
    """When checks run: quickly while a resource is unhealthy (it is starting, and waiters wait for it), at
    most every ``unhealthy_max`` seconds for ``fast_window`` seconds of unhealthy results, then backing off to
    ``unhealthy_slow_max`` (a resource that stays unhealthy is not hammered), and every ``healthy_interval``
    seconds once healthy."""

    #: First retry delay while unhealthy; doubles on each failure up to ``unhealthy_max``.
    unhealthy_initial: float = 0.025
    unhealthy_max: float = 0.1
    #: Seconds of unhealthy results after which the delay doubles further, up to ``unhealthy_slow_max``.
    fast_window: float = 30.0
    unhealthy_slow_max: float = 2.0
    #: Delay between checks once healthy.
    healthy_interval: float = 30.0
    #: Time limit of one check.
    check_timeout: float = 10.0

    def unhealthy_delay(self, failures: int, unhealthy_for: float) -> float:
        """The delay before the next check after ``failures`` unhealthy results in a row, the first of them
        ``unhealthy_for`` seconds ago."""
        cap = self.unhealthy_max if unhealthy_for < self.fast_window else self.unhealthy_slow_max
        doubled: float = self.unhealthy_initial * float(2 ** max(0, min(failures - 1, 30)))
        return min(doubled, cap)


def collect_health_checks(resource: IResource) -> list[HealthCheckAnnotation]:
    """The resource's own checks, then its ancestors' (a child is also checked with its parent's)."""
    return [check for check, _ in _checks_with_owners(resource)]


def _checks_with_owners(resource: IResource) -> list[tuple[HealthCheckAnnotation, IResource]]:
    """Each check of :func:`collect_health_checks` with the resource it comes from."""
    out: list[tuple[HealthCheckAnnotation, IResource]] = []
    seen: set[int] = set()
    todo: list[IResource] = [resource]
    while todo:
        r = todo.pop(0)
        if id(r) in seen:
            continue
        seen.add(id(r))
        out.extend((a, r) for a in r.annotations.all(HealthCheckAnnotation) if all(a.key != o.key for o, _ in out))
        todo.extend(parents_of(r))
    return out


async def run_health_check(
    check: HealthCheckAnnotation,
    context: HealthCheckContext,
    time_limit: float,
    in_flight: dict[str, float] | None = None,
) -> HealthReportSnapshot:
    """Run one check, at most *time_limit* seconds; the report says why it failed.

    An ``async`` check runs on the event loop; a sync one in a daemon thread, abandoned when it times
    out. *in_flight* (check key -> when its call began) keeps a sync check that still blocks in its
    thread from being called again: it reports Unhealthy until that call returns.
    """
    now = dt.datetime.now(dt.UTC)
    in_flight = {} if in_flight is None else in_flight
    if check.key in in_flight:
        return HealthReportSnapshot(
            check.key,
            HealthStatus.UNHEALTHY,
            f"its previous call is still running, {time_limit:g} s after it timed out or more: it blocks "
            "without a timeout of its own",
            None,
            now,
        )
    try:
        with anyio.fail_after(time_limit):
            if is_async_callable(check.check):
                result: Any = check.check(context)
            else:
                in_flight[check.key] = time.monotonic()
                result = await run_in_thread(_call_sync, check, context, in_flight, name=f"health-check-{check.key}")
            if inspect.isawaitable(result):
                result = await result
    except TimeoutError:
        return HealthReportSnapshot(check.key, HealthStatus.UNHEALTHY, f"timed out after {time_limit:g} s", None, now)
    except Exception as exc:
        return HealthReportSnapshot(check.key, HealthStatus.UNHEALTHY, str(exc) or type(exc).__name__, repr(exc), now)
    if isinstance(result, bool):
        result = HealthCheckResult(HealthStatus.HEALTHY if result else HealthStatus.UNHEALTHY)
    if not isinstance(result, HealthCheckResult):
        return HealthReportSnapshot(
            check.key,
            HealthStatus.UNHEALTHY,
            f"health check returned {result!r}, not a HealthCheckResult or bool",
            None,
            now,
        )
    return HealthReportSnapshot(check.key, result.status, result.description, result.exception, now)


def _call_sync(check: HealthCheckAnnotation, context: HealthCheckContext, in_flight: dict[str, float]) -> Any:
    """A sync check's call, in its thread: in flight until it returns, even when abandoned."""
    try:
        return check.check(context)
    finally:
        in_flight.pop(check.key, None)


async def _run_into(
    results: dict[int, HealthReportSnapshot],
    i: int,
    check: HealthCheckAnnotation,
    context: HealthCheckContext,
    time_limit: float,
    in_flight: dict[str, float],
) -> None:
    results[i] = await run_health_check(check, context, time_limit, in_flight)


def _with_reports(reports: tuple[HealthReportSnapshot, ...], s: ResourceSnapshot) -> ResourceSnapshot:
    return attrs.evolve(s, health_reports=reports)


def pending_reports(resource: IResource) -> tuple[HealthReportSnapshot, ...]:
    return tuple(HealthReportSnapshot(c.key, None) for c in collect_health_checks(resource))


@attrs.define(eq=False)
class HealthRound:
    """One round of a resource's checks: when it began, and set once its reports are published."""

    began: dt.datetime
    done: anyio.Event = attrs.field(factory=anyio.Event)


def _owner_report(
    owner: IResource,
    key: str,
    since: dt.datetime,
    get_snapshot: Callable[[IResource], ResourceSnapshot | None],
) -> HealthReportSnapshot | None:
    """*owner*'s published report of check *key* for a child's round (``None``: the child runs the check).

    A report that began at *since* or later is taken as it is. So is any report that is not healthy: the
    child is not healthy before its ancestor reported so (the ancestor's own monitor re-checks soon, as it
    re-checks every unhealthy resource). Only a healthy report older than *since* is confirmed by running
    the check again; so is a check whose owner is not Running (it has no monitor of its own then).
    """
    snap = get_snapshot(owner)
    if snap is None or snap.state_text != KnownResourceStates.RUNNING:
        return None
    for report in snap.health_reports:
        if report.name == key:
            if report.status is None or report.last_run_at is None:
                return HealthReportSnapshot(key, None)  # the owner's first round is still to come
            if report.status is not HealthStatus.HEALTHY or report.last_run_at >= since:
                return report
            return None
    return HealthReportSnapshot(key, None)


async def _inherited_report(
    owner: IResource,
    key: str,
    since: dt.datetime,
    get_snapshot: Callable[[IResource], ResourceSnapshot | None],
    rounds: dict[int, HealthRound],
    time_limit: float,
) -> HealthReportSnapshot | None:
    """The owner's report of *key* (see :func:`_owner_report`), after its round under way if it has one:
    that round's report is as fresh as a call made now, and it is published before the child's."""
    current = rounds.get(id(owner))
    if current is not None and not current.done.is_set():
        since = min(since, current.began)
        with anyio.move_on_after(time_limit):
            await current.done.wait()
    return _owner_report(owner, key, since, get_snapshot)


async def _run_round(
    resource: IResource,
    checks: list[tuple[HealthCheckAnnotation, IResource]],
    context: HealthCheckContext,
    settings: HealthSettings,
    in_flight: dict[str, float],
    get_snapshot: Callable[[IResource], ResourceSnapshot | None],
    rounds: dict[int, HealthRound],
    since: dt.datetime,
) -> tuple[HealthReportSnapshot, ...]:
    """One round: the resource's own checks (at once), then those it inherits from its ancestors.

    An inherited check is the ancestor's: when the ancestor's own monitor ran it in a round that was under
    way or began during this one (as a database's round waits for its server to be ready), that report is
    taken as it is; so is the ancestor's latest report while it is not healthy. Only an older healthy
    report is confirmed by running the check now. So a child whose own check waited for its parent is
    healthy with it, not a round later, and never before its parent was reported healthy.
    """
    results: dict[int, HealthReportSnapshot] = {}
    own = [i for i, (_, owner) in enumerate(checks) if owner is resource]
    inherited = [i for i, (_, owner) in enumerate(checks) if owner is not resource]
    async with anyio.create_task_group() as tg:
        for i in own:
            tg.start_soon(_run_into, results, i, checks[i][0], context, settings.check_timeout, in_flight)
    if inherited:
        async with anyio.create_task_group() as tg:
            for i in inherited:
                tg.start_soon(_inherit_into, results, i, checks[i], context, settings, in_flight, get_snapshot, rounds, since)
    return tuple(results[i] for i in range(len(checks)))


async def _inherit_into(
    results: dict[int, HealthReportSnapshot],
    i: int,
    check_owner: tuple[HealthCheckAnnotation, IResource],
    context: HealthCheckContext,
    settings: HealthSettings,
    in_flight: dict[str, float],
    get_snapshot: Callable[[IResource], ResourceSnapshot | None],
    rounds: dict[int, HealthRound],
    since: dt.datetime,
) -> None:
    check, owner = check_owner
    report = await _inherited_report(owner, check.key, since, get_snapshot, rounds, settings.check_timeout)
    if report is None:
        report = await run_health_check(check, context, settings.check_timeout, in_flight)
    results[i] = report


async def monitor_health(
    resource: IResource,
    *,
    app: App,
    publish_update: Callable[[IResource, Callable[[ResourceSnapshot], ResourceSnapshot]], ResourceSnapshot],
    get_snapshot: Callable[[IResource], ResourceSnapshot | None],
    fire_ready: Callable[[IResource], Awaitable[None]],
    state_changed: Callable[[], Awaitable[None]],
    settings: HealthSettings,
    rounds: dict[int, HealthRound] | None = None,
) -> None:
    """Check ``resource`` until cancelled; call ``fire_ready`` once, the first time all checks pass.

    *rounds* (shared by the monitors of one app) holds each resource's latest round, so that a child
    takes its parent's reports from a round that ran meanwhile (see :func:`_run_round`).
    """
    rounds = {} if rounds is None else rounds
    checks = _checks_with_owners(resource)
    if not checks:
        await fire_ready(resource)
        return
    context = HealthCheckContext(resource, app)
    in_flight: dict[str, float] = {}
    failures = 0
    unhealthy_since = 0.0
    ready_fired = False
    while True:
        snap = get_snapshot(resource)
        if snap is None or snap.state_text != KnownResourceStates.RUNNING:
            return
        this_round = rounds[id(resource)] = HealthRound(dt.datetime.now(dt.UTC))
        try:
            reports = await _run_round(
                resource, checks, context, settings, in_flight, get_snapshot, rounds, this_round.began
            )
            publish_update(resource, functools.partial(_with_reports, reports))
        finally:
            this_round.done.set()
        healthy = all(r.status is HealthStatus.HEALTHY for r in reports)
        if healthy:
            failures = 0
            if not ready_fired:
                ready_fired = True
                await fire_ready(resource)
            delay = settings.healthy_interval
        else:
            failures += 1
            if failures == 1:
                unhealthy_since = anyio.current_time()
            delay = settings.unhealthy_delay(failures, anyio.current_time() - unhealthy_since)
        with anyio.move_on_after(delay):
            await state_changed()
