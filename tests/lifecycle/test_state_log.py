"""The example lifecycle extension (examples/lifecycle_extension, distribution aspyre-state-log).

It is installed in the test environment (scripts/setup installs every examples/*/ distribution)
and must work through its ``aspyre.hooks`` entry point alone: the app host run here never
imports it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import aspyre

APP_HOST = Path(__file__).with_name("apphost_two_jobs.py")
JOBS = ("job-a", "job-b")
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<name>[^:]+): (?P<old>\S+) -> (?P<new>\S+)(?P<rest>.*)$")


def _entry() -> aspyre.PluginEntry:
    found = [e for e in aspyre.plugin_registry().entries("aspyre.hooks") if e.distribution == "aspyre-state-log"]
    if not found:
        pytest.fail(
            "aspyre-state-log is not installed in this environment: run scripts/setup "
            "(or .venv/bin/pip install -e examples/lifecycle_extension)"
        )
    return found[0]


def _run_app_host(tmp_path: Path, state_log: Path | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("ASPYRE_STATE_LOG", None)
    if state_log is not None:
        env["ASPYRE_STATE_LOG"] = str(state_log)
    env["ASPYRE_SECRETS_DIR"] = str(tmp_path / "secrets")
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(APP_HOST)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"app host failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


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


def test_the_app_host_does_not_mention_the_extension() -> None:
    # The point of the example: no code in the app host.
    assert "state_log" not in APP_HOST.read_text(encoding="utf-8").replace("test_state_log", "")


def test_state_changes_are_logged_through_the_entry_point_alone(tmp_path: Path) -> None:
    _entry()
    state_log = tmp_path / "states.log"
    proc = _run_app_host(tmp_path, state_log)

    lines = state_log.read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(f"--- {APP_HOST} (run, 2 resources)")
    transitions: dict[str, list[tuple[str, str, str]]] = {name: [] for name in JOBS}
    for line in lines[1:]:
        m = LINE.match(line)
        assert m is not None, f"unexpected line in the state log: {line!r}"
        transitions[m["name"]].append((m["old"], m["new"], m["rest"]))
    for name in JOBS:
        assert transitions[name] == [
            ("-", "NotStarted", ""),
            ("NotStarted", "Starting", ""),
            ("Starting", "Running", ""),
            ("Running", "Finished", " (exit code 0)"),
        ], f"{name}: {transitions[name]}"

    # The before-resource-started hook gave each process its own name.
    for name in JOBS:
        assert f"{name}| my resource name is {name}" in proc.stdout.splitlines()


def test_without_its_environment_variable_the_extension_does_nothing(tmp_path: Path) -> None:
    _entry()
    proc = _run_app_host(tmp_path, None)
    assert list(tmp_path.glob("*.log")) == []
    for name in JOBS:
        assert f"{name}| my resource name is None" in proc.stdout.splitlines()

