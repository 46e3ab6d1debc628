"""What a hook plugin may use to serve something next to the app (the dashboard is one):
background tasks, lines announced to the console, and being switched off for one run.

docs/writing-a-lifecycle-extension.md ("Serving something next to the app") promises these.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest
from rich.console import Console

import aspyre
from aspyre._cli._run import LiveView
from aspyre._hosting._console import PlainConsole

STATE_LOG = "aspyre-state-log:state-log"  # examples/lifecycle_extension, installed by scripts/setup


def _builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


def _registered(builder: aspyre.DistributedApplicationBuilder) -> set[str]:
    return {name for name, plugin in builder.plugin_manager.list_name_plugin() if plugin is not None}


# -- background tasks ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_background_task_runs_with_the_app_and_is_cancelled_after_the_resources_stopped(
    tmp_path: Path,
) -> None:
    seen: list[str] = []
    started = anyio.Event()

    class Service:
        @aspyre.plugins.hookimpl
        def aspyre_before_start(self, event: aspyre.events.BeforeStartEvent) -> None:
            event.app.start_background_task(self.serve, event.app, name="service")

        async def serve(self, app: aspyre.DistributedApplication) -> None:
            started.set()
            try:
                await anyio.sleep_forever()
            finally:
                # The resources stopped before the service is cancelled: their final states are known.
                seen.append(str(app.resource_notifications.get_snapshot("job").state_text))  # type: ignore[union-attr]

    builder = _builder(tmp_path)
    builder.plugin_manager.register(Service())
    builder.add_executable("job", sys.executable, "-c", "import time; time.sleep(60)")
    async with builder.build() as app:
        with anyio.fail_after(30):
            await started.wait()
            await app.resource_notifications.wait_for_resource("job", "Running")
        assert seen == []
    assert seen == ["Finished"]


@pytest.mark.anyio
async def test_a_failing_background_task_is_logged_and_the_app_keeps_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> None:
        raise ValueError("no port for you")

    builder = _builder(tmp_path)
    builder.add_executable("job", sys.executable, "-c", "import time; time.sleep(60)")
    app = builder.build()
    with caplog.at_level(logging.ERROR, logger="aspyre.orchestrator"):
        async with app:
            app.start_background_task(broken, name="broken-service")
            await app.resource_notifications.wait_for_resource("job", "Running")
            await anyio.sleep(0.05)
            assert app.resource_notifications.get_snapshot("job").state_text == "Running"  # type: ignore[union-attr]
    assert "background task broken-service failed: ValueError: no port for you" in caplog.text


def test_a_background_task_needs_a_running_app(tmp_path: Path) -> None:
    app = _builder(tmp_path).build()

    async def nothing() -> None:
        pass

    with pytest.raises(RuntimeError, match="not running"):
        app.start_background_task(nothing)


# -- announcements ----------------------------------------------------------------------------------------


def test_announcements_reach_listeners_past_ones_first(tmp_path: Path) -> None:
    app = _builder(tmp_path).build()
    app.announce("Tool: http://127.0.0.1:1/")
    heard: list[str] = []
    app.add_announcement_listener(heard.append)
    app.announce("two\nlines")
    assert heard == ["Tool: http://127.0.0.1:1/", "two lines"]
    assert app.announcements == ("Tool: http://127.0.0.1:1/", "two lines")
    with pytest.raises(TypeError):
        app.announce(42)  # type: ignore[arg-type]


def test_the_live_table_keeps_an_announcement_above_the_resources(tmp_path: Path) -> None:
    builder = _builder(tmp_path)
    builder.add_executable("job", sys.executable, "-c", "pass")
    app = builder.build()
    console = Console(file=io.StringIO(), width=120, record=True)
    with LiveView(app, console) as view:  # drawn by the view's own thread
        view.on_announcement("Tool: http://127.0.0.1:9/login?t=x")
    text = console.export_text()
    # printed once as a line, and in the table's heading
    assert text.count("Tool: http://127.0.0.1:9/login?t=x") == 2
    assert text.index("Tool: http://127.0.0.1:9/login?t=x", text.index("aspyre ·")) < text.index("job")


def test_python_apphost_prints_an_announcement_once(tmp_path: Path) -> None:
    reporter_out = io.StringIO()
    app = _builder(tmp_path).build()
    reporter = PlainConsole(app, reporter_out)
    app.add_announcement_listener(reporter.on_announcement)
    app.announce("Tool: here")
    assert reporter_out.getvalue() == "Tool: here\n"


APPHOST = """
import sys
import aspyre

class Announcer:
    @aspyre.plugins.hookimpl
    def aspyre_before_start(self, event):
        if not event.app.execution_context.is_publish_mode:
            event.app.announce("Tool: http://127.0.0.1:1/")

builder = aspyre.DistributedApplication.create_builder()
builder.plugin_manager.register(Announcer())
builder.add_executable("job", sys.executable, "-c", "print('done')")
builder.build().run()
"""


@pytest.mark.parametrize("how", ["python", "aspyre-run-plain"])
def test_an_announcement_is_printed_once_by_a_real_run(tmp_path: Path, how: str) -> None:
    (tmp_path / "apphost.py").write_text(textwrap.dedent(APPHOST))
    command = (
        [sys.executable, "apphost.py"]
        if how == "python"
        else [sys.executable, "-m", "aspyre._cli", "run", "--plain", "apphost.py"]
    )
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if "job" in line and "Finished" in line:
                break
        proc.send_signal(2)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(lines) + rest
    assert output.count("Tool: http://127.0.0.1:1/") == 1, output
    # before the resources start
    assert output.index("Tool: http://127.0.0.1:1/") < output.index("job")


# -- switching a plugin off ---------------------------------------------------------------------------


def test_disable_plugin_by_entry_point_name_unregisters_and_blocks_it(tmp_path: Path) -> None:
    builder = _builder(tmp_path)
    assert STATE_LOG in _registered(builder)
    assert builder.disable_plugin("state-log") is True
    assert STATE_LOG not in _registered(builder)
    assert builder.plugin_manager.is_blocked(STATE_LOG)
    assert "state-log" in builder.disabled_plugins
    assert builder.disable_plugin("no-such-plugin") is False


def test_an_app_can_switch_a_plugin_off_before_it_starts(tmp_path: Path) -> None:
    app = _builder(tmp_path).build()
    assert app.disable_plugin(STATE_LOG) is True  # the full name works too
    assert STATE_LOG not in {n for n, p in app.plugin_manager.list_name_plugin() if p is not None}


@pytest.mark.anyio
async def test_a_disabled_plugin_hears_no_events(tmp_path: Path) -> None:
    calls: list[str] = []

    class Extension:
        @aspyre.plugins.hookimpl
        def aspyre_before_start(self, event: aspyre.events.BeforeStartEvent) -> None:
            calls.append("before_start")

    builder = _builder(tmp_path)
    builder.plugin_manager.register(Extension(), name="acme-tools:tools")
    builder.add_executable("job", sys.executable, "-c", "pass")
    app = builder.build()
    assert app.disable_plugin("tools")
    async with app:
        pass
    assert calls == []


def test_the_environment_switches_plugins_off_before_they_load(tmp_path: Path) -> None:
    code = """
        import sys, aspyre
        builder = aspyre.DistributedApplication.create_builder([])
        names = {n for n, p in builder.plugin_manager.list_name_plugin() if p is not None}
        print("state-log" if any(n.endswith(":state-log") for n in names) else "none")
        print("imported" if "aspyre_state_log" in sys.modules else "not imported")
    """
    env = dict(os.environ)
    env["ASPYRE_DISABLE_PLUGINS"] = " other , state-log"
    off = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert off.returncode == 0, off.stderr
    assert off.stdout.split() == ["none", "not", "imported"]
    env.pop("ASPYRE_DISABLE_PLUGINS")
    on = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert on.stdout.split() == ["state-log", "imported"]


# -- commands ---------------------------------------------------------------------------------------------


def test_a_command_can_ask_for_confirmation_and_be_highlighted(tmp_path: Path) -> None:
    builder = _builder(tmp_path)
    job = builder.add_executable("job", sys.executable, "-c", "pass").with_command(
        "reset", "Reset", lambda ctx: None, confirmation_message="Really reset?", is_highlighted=True
    )
    (command,) = job.resource.annotations.all(aspyre.annotations.ResourceCommandAnnotation)
    assert command.confirmation_message == "Really reset?"
    assert command.is_highlighted is True
    plain = builder.add_executable("other", sys.executable).with_command("go", "Go", lambda ctx: None)
    (command,) = plain.resource.annotations.all(aspyre.annotations.ResourceCommandAnnotation)
    assert command.confirmation_message is None
    assert command.is_highlighted is False
