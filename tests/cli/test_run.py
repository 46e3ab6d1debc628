"""``aspyre run`` in a subprocess: plain output off a terminal, Ctrl-C, exit codes, app host forms."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ASPYRE, Cli, aspyre, process_alive, write_app_host

SERVER = """
server = builder.add_executable(
    "server",
    sys.executable,
    "-c",
    "import os, pathlib, time; pathlib.Path('server.pid').write_text(str(os.getpid())); "
    "print('server ready', flush=True); time.sleep(600)",
)
job = builder.add_executable("job", sys.executable, "-c", "print('job done')").wait_for(server)
builder.build().run()
"""


def _wait_for_pid(path: Path) -> int:
    """The pid the server wrote (it writes it just after it starts; --no-logs hides its 'ready' line)."""
    import time

    for _ in range(1200):
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def _state_line(name: str, state: str) -> str:
    return rf"^{re.escape(name)}\s* : {re.escape(state)}"


def test_run_prints_plain_lines_and_ctrl_c_stops_everything(tmp_path: Path, run_cli: type[Cli]) -> None:
    write_app_host(tmp_path, SERVER)
    cli = run_cli(["run"])
    cli.wait_for_lines(
        _state_line("server", "Running"), r"^server\s* \| server ready$", _state_line("job", "Finished (exit code 0)")
    )
    pid = int((tmp_path / "server.pid").read_text())
    assert process_alive(pid)

    cli.interrupt()
    code = cli.finish()

    assert code == 0, cli.output()
    out = "\n".join(cli.stdout)
    assert re.search(r"^server\s* \| server ready$", out, re.M), out
    assert re.search(r"^job\s* \| job done$", out, re.M), out
    assert re.search(_state_line("server", "Finished"), out, re.M), out  # its last state, shown while stopping
    assert "SIGINT received: stopping" in "\n".join(cli.stderr)
    assert not process_alive(pid)
    # plain output never carries terminal escape codes
    assert "\x1b[" not in out


def test_python_apphost_and_aspyre_run_plain_print_the_same_lines(tmp_path: Path, run_cli: type[Cli]) -> None:
    write_app_host(
        tmp_path,
        """
        web = builder.add_executable("web", sys.executable, "-c", "import time; print('up', flush=True); time.sleep(600)")
        web.with_http_endpoint(env="PORT").with_endpoint(name="admin", scheme="http", env="ADMIN_PORT")
        builder.build().run()
        """,
    )
    outputs = []
    for cli in (run_cli(["apphost.py"], program=sys.executable), run_cli(["run", "--plain"])):
        cli.wait_for_lines(_state_line("web", "Running (Healthy)"), r"^web \| up$")
        cli.interrupt()
        assert cli.finish() == 0, cli.output()
        running = [line for line in cli.stdout if line.startswith("web : Running")]
        outputs.append([re.sub(r":\d+", ":PORT", line) for line in running])
    assert outputs[0] == ["web : Running (Healthy)  http://127.0.0.1:PORT, http://127.0.0.1:PORT"]
    assert outputs[1] == outputs[0]


def test_a_resource_that_fails_to_start_makes_the_exit_code_1(tmp_path: Path, run_cli: type[Cli]) -> None:
    write_app_host(
        tmp_path,
        """
        from pathlib import Path

        builder.add_executable("broken", str(Path(__file__).parent / "no-such-command"))
        builder.add_executable("fine", sys.executable, "-c", "print('fine')")
        builder.build().run()
        """,
    )
    cli = run_cli(["run"])
    cli.wait_for_lines(_state_line("broken", "FailedToStart"), _state_line("fine", "Finished (exit code 0)"))
    cli.interrupt()

    assert cli.finish() == 1
    assert re.search(r"^broken\s* \| Failed to start: .*no-such-command", "\n".join(cli.stdout), re.M), cli.output()
    assert "resource(s) failed to start: broken" in "\n".join(cli.stderr)


def test_sigterm_stops_like_ctrl_c(tmp_path: Path, run_cli: type[Cli]) -> None:
    write_app_host(tmp_path, SERVER)
    cli = run_cli(["run", "--no-logs"])
    cli.wait_for_line(_state_line("job", "Finished (exit code 0)"))
    pid = _wait_for_pid(tmp_path / "server.pid")
    cli.proc.terminate()

    assert cli.finish() == 0, cli.output()
    assert not process_alive(pid)
    assert not any(" | " in line for line in cli.stdout), "--no-logs prints no log lines"


def test_a_second_ctrl_c_forces_the_stop(tmp_path: Path, run_cli: type[Cli]) -> None:
    write_app_host(
        tmp_path,
        """
        builder.add_executable(
            "stubborn",
            sys.executable,
            "-c",
            "import os, pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "pathlib.Path('stubborn.pid').write_text(str(os.getpid())); print('ignoring SIGTERM', flush=True); "
            "time.sleep(600)",
        )
        app = builder.build()
        app.options.stop_grace_period = 300
        app.run()
        """,
    )
    cli = run_cli(["run"])
    cli.wait_for_line(r"^stubborn \| ignoring SIGTERM$")
    pid = int((tmp_path / "stubborn.pid").read_text())
    try:
        cli.interrupt()
        cli.wait_for_line(_state_line("stubborn", "Stopping"))
        cli.interrupt()  # the grace period is 300s: only forcing ends this quickly
        cli.finish(timeout=10)
        assert not process_alive(pid)
    finally:
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_run_a_module_with_arguments_for_the_app_host(tmp_path: Path, run_cli: type[Cli]) -> None:
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    write_app_host(
        tmp_path / "mypkg",
        """
        flavour = builder.remaining_args[builder.remaining_args.index("--flavour") + 1]
        builder.add_executable("echo", sys.executable, "-c", f"print('flavour is {flavour}')")
        builder.build().run()
        """,
    )
    cli = run_cli(["run", "mypkg.apphost", "--", "--flavour", "blue"])
    cli.wait_for_lines(r"^echo \| flavour is blue$", _state_line("echo", "Finished (exit code 0)"))
    cli.interrupt()
    assert cli.finish() == 0, cli.output()


def test_an_app_host_in_another_directory_runs_relative_to_itself(tmp_path: Path, run_cli: type[Cli]) -> None:
    write_app_host(
        tmp_path / "sub",
        """
        builder.add_executable("where", sys.executable, "-c", "import os; print('cwd', os.getcwd())")
        builder.build().run()
        """,
    )
    cli = run_cli(["run", "sub"])  # a directory means its apphost.py
    line = cli.wait_for_line(r"^where \| cwd ")
    assert line.endswith(str(tmp_path / "sub"))
    cli.interrupt()
    assert cli.finish() == 0, cli.output()


def test_no_app_host_is_a_usage_error(tmp_path: Path) -> None:
    result = aspyre("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "There is no apphost.py in" in result.stderr

    result = aspyre("run", "nowhere.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_an_error_in_the_app_host_shows_the_users_line(tmp_path: Path) -> None:
    write_app_host(
        tmp_path,
        """
        builder.add_executable("twin", "true")
        builder.add_executable("TWIN", "true")
        builder.build().run()
        """,
    )
    result = aspyre("run", cwd=tmp_path)
    assert result.returncode == 1
    assert 'apphost.py", line 7, in <module>' in result.stderr, result.stderr
    assert "aspyre.DuplicateResourceError" in result.stderr
    assert "runpy" not in result.stderr  # aspyre's own frames are left out...
    full = aspyre("--traceback", "run", cwd=tmp_path)
    assert "runpy" in full.stderr  # ...unless asked for


def test_python_apphost_py_runs_the_same_app_host(tmp_path: Path, run_cli: type[Cli]) -> None:
    """The loader does not change what ``python apphost.py`` does."""
    write_app_host(tmp_path, SERVER)
    proc = subprocess.Popen(
        [sys.executable, "apphost.py"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if re.search(r"^server\s* \| server ready", line):
                break
        pid = int((tmp_path / "server.pid").read_text())
        assert process_alive(pid)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert not process_alive(pid)


@pytest.mark.docker
def test_run_a_redis_container(tmp_path: Path, run_cli: type[Cli], docker_client: object) -> None:
    write_app_host(
        tmp_path,
        """
        cache = builder.add_redis("cache")
        builder.add_executable("ping", sys.executable, "-c", "print('cache is up')").wait_for(cache)
        builder.build().run()
        """,
    )
    cli = run_cli(["run"])
    cli.wait_for_lines(_state_line("cache", "Running (Healthy)"), _state_line("ping", "Finished (exit code 0)"))
    owned = {"label": f"aspyre.owner-pid={cli.proc.pid}"}
    assert docker_client.containers.list(filters=owned)  # type: ignore[attr-defined]

    cli.interrupt()
    assert cli.finish() == 0, cli.output()
    assert re.search(r"^ping\s* \| cache is up$", "\n".join(cli.stdout), re.M)
    assert not docker_client.containers.list(all=True, filters=owned)  # type: ignore[attr-defined]


BEFORE_START_FAILS = """
def check_settings(event):
    raise ValueError("the setting 'region' is missing")

builder.add_executable("job", sys.executable, "-c", "print('never')")
builder.eventing.subscribe(aspyre.events.BeforeStartEvent, check_settings)
builder.build().run()
"""


def test_a_failing_before_start_handler_is_one_clear_message(tmp_path: Path) -> None:
    write_app_host(tmp_path, BEFORE_START_FAILS)
    for command in ([sys.executable, "apphost.py"], [str(ASPYRE), "run"]):
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 1, result
        err = result.stderr
        assert "ExceptionGroup" not in err and "anyio" not in err, err
        assert "ValueError: the setting 'region' is missing" in err, err
        assert "(in the BeforeStartEvent handler check_settings (apphost.py:6))" in err, err
        assert 'apphost.py", line 7, in check_settings' in err, err  # the user's own line
        assert len(err.strip().splitlines()) <= 9, err
        assert "never" not in result.stdout
    full = subprocess.run(
        [str(ASPYRE), "--traceback", "run"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert "_orchestrator.py" in full.stderr  # everything, when asked for
