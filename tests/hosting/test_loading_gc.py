"""The public face loads with the cyclic garbage collector paused, and leaves the collector as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from aspyre._loading_gc import loading


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()  # a test may have switched it off
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_on_after_and_nothing_stays_frozen(collector_on: None) -> None:
    with loading():
        assert not gc.isenabled()
        made = [[] for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert gc.get_referrers(made[0]) == [made]  # still tracked: introspection sees it as before


def test_an_error_switches_the_collector_back_on(collector_on: None) -> None:
    with pytest.raises(ZeroDivisionError), loading():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off(collector_on: None) -> None:
    gc.disable()
    with loading():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_objects_someone_else_froze_stay_frozen(collector_on: None) -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen
        with loading():
            pass
        # Unfreezing would empty the permanent generation (count 0). Not an exact count: a frozen object that
        # reference counting frees meanwhile (another thread of the test session) leaves it, as it should.
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()


def test_a_builder_freezes_everything_at_interpreter_exit() -> None:
    """The exit of an app host's process skips walking what it made: frozen by an atexit callback, which runs
    before finalisation's collections (and after callbacks registered later, before the builder's)."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import atexit, gc, sys
        atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, flush=True))
        import aspyre
        builder = aspyre.DistributedApplication.create_builder([], load_plugins=False)
        print("frozen now:", gc.get_freeze_count() > 0, flush=True)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["frozen now: False", "frozen at exit: True"]


def test_import_aspyre_runs_with_the_collector_paused() -> None:
    """``import aspyre`` pauses the collector before it imports typing and the code cache (thousands of objects that
    live as long as the process), and switches it back on after: no collection runs in between."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import gc, json, sys
        seen = []
        done = False

        def record(phase, info):
            if phase == "start" and not done and "aspyre" in sys.modules:
                seen.append({"paused": "aspyre._loading_gc" in sys.modules, "typing": "typing" in sys.modules})

        gc.callbacks.append(record)
        import aspyre
        done = True
        order = [m for m in sys.modules if m in ("aspyre._loading_gc", "typing")]
        print(json.dumps({"order": order, "during_pause": [s for s in seen if s["paused"]], "enabled": gc.isenabled()}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    import json

    assert json.loads(out) == {"order": ["aspyre._loading_gc", "typing"], "during_pause": [], "enabled": True}
