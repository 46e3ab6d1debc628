"""The example lifecycle extension (examples/lifecycle_extension, distribution aspyre-state-log).

It is installed in the test environment (scripts/setup installs every examples/*/ distribution)
and must work through its ``aspyre.hooks`` entry point alone: the app host run here never
imports it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import aspyre

APP_HOST = Path(__file__).with_name("apphost_two_jobs.py")
JOBS = ("job-a", "job-b")
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<name>[^:]+): (?P<old>\S+) -> (?P<new>\S+)(?P<rest>.*)$")


def _entry() -> aspyre.plugins.PluginEntry:
    found = [e for e in aspyre.plugins.registry().entries("aspyre.hooks") if e.distribution == "aspyre-state-log"]
    if not found:
        pytest.fail(
            "aspyre-state-log is not installed in this environment: run scripts/setup "
            "(or .venv/bin/pip install -e examples/lifecycle_extension)"
        )
    return found[0]


class AppHost:
    """The example app host in a subprocess, running until it gets SIGINT (like Ctrl-C)."""

    def __init__(self, tmp_path: Path, state_log: Path | None) -> None:
        env = dict(os.environ)
        env.pop("ASPYRE_STATE_LOG", None)
        if state_log is not None:
            env["ASPYRE_STATE_LOG"] = str(state_log)
        env["ASPYRE_SECRETS_DIR"] = str(tmp_path / "secrets")
        self.dir = tmp_path / "jobs"
        self.dir.mkdir(exist_ok=True)
        env["TWO_JOBS_OUTPUT_DIR"] = str(self.dir)
        self.proc = subprocess.Popen(
            [sys.executable, "-W", "error", str(APP_HOST)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_for(self, what: str, condition: Callable[[], bool]) -> None:
        """Wait (up to a generous deadline) until ``condition()``; fail if the app host died first."""
        deadline = time.monotonic() + 60
        while not condition():
            if self.proc.poll() is not None:
                pytest.fail(f"the app host exited ({self.proc.returncode}) before {what}:\n{self.stop()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}:\n{self.stop()}")
            time.sleep(0.02)

    def outputs(self) -> dict[str, str]:
        """What each process wrote (its ASPYRE_RESOURCE_NAME), once all of them did."""
        files = {name: self.dir / f"{name}.out" for name in JOBS}
        self.wait_for("the processes ran", lambda: all(f.exists() and f.read_text() for f in files.values()))
        return {name: f.read_text() for name, f in files.items()}

    def stop(self) -> str:
        """Ctrl-C, then the app host's output; it must exit 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        assert self.proc.returncode == 0, f"app host exited with {self.proc.returncode}:\n{out}"
        return out


@pytest.fixture
def app_host_factory(tmp_path: Path) -> Iterator[Callable[[Path | None], AppHost]]:
    hosts: list[AppHost] = []

    def start(state_log: Path | None) -> AppHost:
        host = AppHost(tmp_path, state_log)
        hosts.append(host)
        return host

    yield start
    for host in hosts:  # never leave one running
        if host.proc.poll() is None:
            host.proc.kill()
            host.proc.communicate()


def test_the_extension_is_an_aspyre_hooks_entry_point() -> None:
    entry = _entry()
    assert entry.name == "state-log"
    assert entry.value == "aspyre_state_log"
    # A builder registers it with its plugin manager, without any code naming it.
    builder = aspyre.DistributedApplication.create_builder([])
    plugin = builder.plugin_manager.get_plugin(f"{entry.distribution}:{entry.name}")
    assert plugin is not None
    assert plugin.__name__ == "aspyre_state_log"
    impls = {
        hook
        for hook in ("aspyre_before_start", "aspyre_resource_snapshot_changed", "aspyre_before_resource_started")
        if any(i.plugin is plugin for i in getattr(builder.plugin_manager.hook, hook).get_hookimpls())
    }
    assert impls == {"aspyre_before_start", "aspyre_resource_snapshot_changed", "aspyre_before_resource_started"}


def test_the_processes_write_nowhere_near_the_sources() -> None:
    """What the jobs write goes to the test's tmp_path: the tests directory holds no output files."""
    assert sorted(p.name for p in APP_HOST.parent.glob("*.out")) == []


def test_the_app_host_does_not_mention_the_extension() -> None:
    # The point of the example: no code in the app host.
    assert "state_log" not in APP_HOST.read_text(encoding="utf-8").replace("test_state_log", "")


def test_state_changes_are_logged_through_the_entry_point_alone(
    tmp_path: Path, app_host_factory: Callable[[Path | None], AppHost]
) -> None:
    _entry()
    state_log = tmp_path / "states.log"
    host = app_host_factory(state_log)

    def transitions() -> dict[str, list[tuple[str, str, str]]]:
        out: dict[str, list[tuple[str, str, str]]] = {name: [] for name in JOBS}
        for line in state_log.read_text(encoding="utf-8").splitlines()[1:] if state_log.exists() else []:
            m = LINE.match(line)
            assert m is not None, f"unexpected line in the state log: {line!r}"
            out[m["name"]].append((m["old"], m["new"], m["rest"]))
        return out

    # The before-resource-started hook gave each process its own name.
    assert host.outputs() == {name: name for name in JOBS}
    host.wait_for("both processes finished", lambda: all(len(t) == 4 for t in transitions().values()))
    host.stop()

    lines = state_log.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(f"--- {APP_HOST} (run, 2 resources)")
    for name, seen in transitions().items():
        assert seen == [
            ("-", "NotStarted", ""),
            ("NotStarted", "Starting", ""),
            ("Starting", "Running", ""),
            ("Running", "Finished", " (exit code 0)"),
        ], name
    assert len(lines) == 1 + 4 * len(JOBS)


def test_without_its_environment_variable_the_extension_does_nothing(
    tmp_path: Path, app_host_factory: Callable[[Path | None], AppHost]
) -> None:
    _entry()
    host = app_host_factory(None)
    assert host.outputs() == {name: "<unset>" for name in JOBS}
    host.stop()
    assert list(tmp_path.glob("*.log")) == []
