"""When health checks run: quickly while a resource is unhealthy (it is starting and others wait for it),
backing off once it stays unhealthy, slowly once healthy."""

from __future__ import annotations

import pytest

from aspyre._orchestrator._health import HealthSettings


def test_unhealthy_retries_stay_within_a_tenth_of_a_second_while_starting() -> None:
    s = HealthSettings()
    delays = [s.unhealthy_delay(failures, unhealthy_for=1.0) for failures in range(1, 8)]
    assert delays == pytest.approx([0.025, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1])
    # Postgres is ready 1.4-2 s after Running: never more than 0.1 s is lost waiting for the next check
    # (the schedule before issue 19 doubled to 2 s: up to 1.6 s lost; then 0.25 s).
    assert max(s.unhealthy_delay(f, unhealthy_for=t) for f in range(1, 60) for t in (0.0, 5.0, 29.9)) <= 0.1


def test_a_resource_that_stays_unhealthy_is_checked_less_often() -> None:
    s = HealthSettings()
    late = [s.unhealthy_delay(failures, unhealthy_for=s.fast_window + 1) for failures in (1, 4, 5, 6, 7, 8, 1000)]
    assert late == pytest.approx([0.025, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0])
    assert s.healthy_interval == 30.0
