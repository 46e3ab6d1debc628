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


def test_ctrl_c_never_interrupts_a_callback_that_does_not_block(
    tmp_path: Path, app_hosts: list[AppHostProcess]
) -> None:
    """A cheap per-line listener (a plugin's, say the dashboard's) runs on the loop all the time under a log
    flood: a Ctrl-C landing in it stops the app as usual; it fails nothing (it once failed a process)."""
    path = write_app_host(
        tmp_path,
        """
CHATTY = "import time\\nwhile True:\\n    print('line ' * 8, flush=True)\\n    time.sleep(0.001)"
for i in range(3):
    builder.add_executable(f"chatty{i}", sys.executable, "-c", CHATTY)
app = builder.build()

def listener(resource, line):  # ~0.5 ms a line: most of the loop's time is spent here
    until = time.perf_counter() + 0.0005
    while time.perf_counter() < until:
        pass

app.resource_loggers.add_listener(listener)
app.run()
""",
    )
    app = AppHostProcess(path)
    app_hosts.append(app)
    for i in range(3):
        app.wait_for(rf"^out: chatty{i}\s+\| line")
    time.sleep(1)
    code, took = _interrupt_and_time(app)
    out = app.output()
    assert took < 10, f"Ctrl-C took {took:.1f} s\n{out}"
    assert "was interrupted" not in out, out
    assert code == 0, out
    assert app.count(r"^err: .*forced stop") == 0, out


def test_ctrl_c_as_a_callback_starts_blocking_interrupts_it_once_it_has(
    tmp_path: Path, app_hosts: list[AppHostProcess]
) -> None:
    """The signal comes before the callback has blocked for long: the watchdog delivers it again once it
    has, and the app counts it once (a stop, not a forced stop)."""
    path = write_app_host(
        tmp_path,
        TICKER
        + """
def slow_environment(ctx):
    print("callback called", file=sys.stderr, flush=True)
    time.sleep(3600)

builder.add_executable("svc", sys.executable, "-c", "pass").with_environment(slow_environment).wait_for(ticker)
builder.build().run()
""",
    )
    app = AppHostProcess(path)
    app_hosts.append(app)
    app.wait_for(r"^err: callback called")
    code, took = _interrupt_and_time(app)
    out = app.output()
    assert took < 10, f"Ctrl-C took {took:.1f} s\n{out}"
    assert "slow_environment (apphost.py:" in out and "was interrupted by SIGINT" in out, out
    assert app.count(r"^err: .*SIGINT received: stopping") == 1, out
    assert app.count(r"^err: .*forced stop") == 0, out
    assert app.count(r"^out: ticker\s+: Finished") == 1, out
    assert code == 1, out
