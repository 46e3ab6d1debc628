"""Fixtures of the reliability suite (every test module here is marked ``reliability``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .apphost_process import AppHostProcess


@pytest.fixture
def app_hosts() -> Iterator[list[AppHostProcess]]:
    """App host processes started by the test; killed (their whole session) at the end if still running."""
    started: list[AppHostProcess] = []
    yield started
    for p in started:
        p.kill()
