"""A blocking callback never freezes the app host: it keeps logging, and Ctrl-C is answered at once."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from .apphost_process import AppHostProcess, write_app_host

pytestmark = pytest.mark.reliability

TICKER = """
ticker = builder.add_executable(
    "ticker", sys.executable, "-c",
    "import time\\nwhile True:\\n    print('tick', flush=True)\\n    time.sleep(0.05)",
)
"""


def _interrupt_and_time(app: AppHostProcess) -> tuple[int, float]:
    started = time.monotonic()
    app.signal(signal.SIGINT)
    code = app.finish()
    took = time.monotonic() - started
    print(f"SIGINT answered (app host exited) in {took:.2f} s")
    return code, took


def test_a_blocking_sync_health_check(tmp_path: Path, app_hosts: list[AppHostProcess]) -> None:
    path = write_app_host(
        tmp_path,
        TICKER
        + """
def stuck(ctx):
    print("check called", file=sys.stderr, flush=True)
    time.sleep(3600)
    return True

builder.add_executable("svc", sys.executable, "-c", "import time; time.sleep(600)").with_health_check("stuck", stuck)
app = builder.build()
app.options.health_check_timeout = 0.5
app.run()
""",
    )
    app = AppHostProcess(path)
    app_hosts.append(app)
    app.wait_for(r"^out: svc\s+: Running \(Unhealthy: stuck: timed out after 0.5 s\)")
    ticks = app.count(r"^out: ticker\s+\| tick")
    # the app keeps logging while the check blocks its thread
    app.wait_for(r"^out: ticker\s+\| tick")
    app.wait_for(r"^out: ticker\s+\| tick")
    assert app.count(r"^out: ticker\s+\| tick") >= ticks + 2
    code, took = _interrupt_and_time(app)
    assert code == 0, app.output()
    assert took < 10, f"Ctrl-C took {took:.1f} s\n{app.output()}"  # ~0.3 s measured; 1 s is the goal
    assert app.count(r"^err: check called") == 1  # the blocked check was not called again
    assert app.count(r"^out: ticker\s+: Finished") == 1


def test_a_callback_blocking_the_event_loop_is_named_and_interrupted_by_ctrl_c(
    tmp_path: Path, app_hosts: list[AppHostProcess]
) -> None:
    path = write_app_host(
        tmp_path,
        TICKER
        + """
def slow_environment(ctx):
    print("callback called", file=sys.stderr, flush=True)
    time.sleep(3600)

builder.add_executable("svc", sys.executable, "-c", "pass").with_environment(slow_environment).wait_for(ticker)
app = builder.build()
app.options.blocked_loop_warning = 0.5
app.run()
""",
    )
    app = AppHostProcess(path)
    app_hosts.append(app)
    app.wait_for(r"^err: callback called")
    warning = app.wait_for(r"^err: .*event loop has been blocked")
    assert "by slow_environment (apphost.py:" in warning, warning
    code, took = _interrupt_and_time(app)
    assert took < 10, f"Ctrl-C took {took:.1f} s\n{app.output()}"
    out = app.output()
    assert "slow_environment (apphost.py:" in out and "was interrupted by SIGINT" in out, out
    assert app.count(r"^out: ticker\s+: Finished") == 1, out  # the rest stopped cleanly
    assert code == 1, out  # svc failed (its callback was interrupted)
