"""The reliability suite: the app host under stress (command storms, blocking callbacks, a lost engine).

Every test here is marked ``reliability`` (``pytest -m reliability`` runs the suite alone); CI runs it
with the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import AppHostProcess


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def app_hosts() -> Iterator[list[AppHostProcess]]:
    """App host processes started by the test; killed (their whole session) at the end if still running."""
    started: list[AppHostProcess] = []
    yield started
    for p in started:
        p.kill()
