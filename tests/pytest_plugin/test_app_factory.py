"""The ``aspyre_app_factory`` fixture, exercised by running pytest on small test files (pytester).

Each inner pytest run is a subprocess (the plugin is found through its ``pytest11`` entry
point, as in a user's project); its app host starts real Python processes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SERVER = """
import os, pathlib
from http.server import BaseHTTPRequestHandler, HTTPServer

with open(os.environ["PID_FILE"], "a") as pids:
    pids.write(f"{os.getpid()}\\n")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello " + os.environ.get("GREETING", "world")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        print("served", self.path, flush=True)


print("server listening on", os.environ["PORT"], flush=True)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
"""

APP_HOST = """
import aspyre

builder = aspyre.DistributedApplication.create_builder()
api = (
    builder.add_python_app("api", "server.py")
    .with_http_endpoint(env="PORT")
    .with_http_health_check("/")
    .with_environment("PID_FILE", "api.pids")
)
builder.build().run()
"""

CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


#: Arguments of every inner pytest run; the timeout guards against a hang (it is not a speed test).
INNER_ARGS = ("-p", "no:cacheprovider", "-o", "timeout=120")


def process_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with an app host (``apphost.py`` running ``server.py``) and an asyncio conftest."""
    pytester.makefile(".py", server=SERVER, apphost=APP_HOST)
    pytester.makeconftest(CONFTEST)
    return pytester


def _pids(pytester: pytest.Pytester) -> list[int]:
    """Every api server the inner tests started."""
    return [int(line) for line in (pytester.path / "api.pids").read_text().split()]


WAYS_TO_MAKE_AN_APP = """
import sys
import pytest
import aspyre


@pytest.mark.anyio
async def test_passing(aspyre_app_factory):
    app = await aspyre_app_factory("apphost.py")
    await app.resource_notifications.wait_for_resource_healthy("api")
    async with app.http_client("api") as client:
        response = await client.get("/")
    assert response.text == "hello world"
    assert app.options.randomize_ports


def configure(builder):
    api = next(r for r in builder.resources if r.name == "api")
    builder.create_resource_builder(api).with_environment("GREETING", "tests")
    builder.add_executable("extra", sys.executable, "-c", "print('extra ran')")


@pytest.mark.anyio
async def test_configure(aspyre_app_factory):
    app = await aspyre_app_factory("apphost.py", configure=configure)
    await app.resource_notifications.wait_for_resource_healthy("api")
    async with app.http_client("api") as client:
        assert (await client.get("/")).text == "hello tests"
    await app.resource_notifications.wait_for_resource("extra", "Finished")
    assert [line.content for line in app.resource_loggers.backlog("extra")] == ["extra ran"]


@pytest.mark.anyio
async def test_build_change_then_start(aspyre_app_factory):
    app = await aspyre_app_factory("apphost.py", start=False)
    app.builder.create_resource_builder(app.get_resource("api")).with_environment("GREETING", "later")
    await aspyre_app_factory.start(app)
    await app.resource_notifications.wait_for_resource_healthy("api")
    async with app.http_client("api") as client:
        assert (await client.get("/")).text == "hello later"


@pytest.mark.anyio
async def test_builder_made_in_the_test(aspyre_app_factory):
    builder = aspyre_app_factory.create_builder()
    builder.add_executable("hello", sys.executable, "-c", "import sys; print(sys.argv[1:])", "a", "b")
    app = await aspyre_app_factory(builder)
    snapshot = await app.resource_notifications.wait_for_resource("hello", "Finished")
    assert snapshot.exit_code == 0
    assert [line.content for line in app.resource_loggers.backlog("hello")] == ["['a', 'b']"]
    assert app.app_host_path.name == "test_ways.py"


@pytest.mark.anyio
async def test_waits_give_up_when_a_dependency_fails(aspyre_app_factory):
    builder = aspyre_app_factory.create_builder()
    broken = builder.add_executable("broken", "/no/such/command")
    builder.add_executable("waiter", "true").wait_for(broken)
    app = await aspyre_app_factory(builder)
    assert app.options.default_wait_behavior is aspyre.WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE
    snapshot = await app.resource_notifications.wait_for_resource("waiter", "FailedToStart")
    assert snapshot.state_text == "FailedToStart"
    assert app.failed_resources == ["broken", "waiter"]
"""


def test_ways_to_make_and_start_an_app(project: pytest.Pytester) -> None:
    """Load, configure, build-then-start, a builder made in the test; every app stopped afterwards."""
    project.makepyfile(test_ways=WAYS_TO_MAKE_AN_APP)
    result = project.runpytest_subprocess(*INNER_ARGS, "-v")
    result.stdout.fnmatch_lines_random(
        [
            "*::test_passing PASSED*",
            "*::test_configure PASSED*",
            "*::test_build_change_then_start PASSED*",
            "*::test_builder_made_in_the_test PASSED*",
            "*::test_waits_give_up_when_a_dependency_fails PASSED*",
        ]
    )
    result.assert_outcomes(passed=5)
    pids = _pids(project)
    assert len(pids) == 3  # three tests started the api server...
    assert not any(process_alive(pid) for pid in pids)  # ...and none is left


def test_a_failing_test_reports_the_resource_logs_and_still_cleans_up(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_api="""
        import pytest

        @pytest.mark.anyio
        async def test_api(aspyre_app_factory):
            app = await aspyre_app_factory("apphost.py")
            await app.resource_notifications.wait_for_resource_healthy("api")
            async with app.http_client("api") as client:
                await client.get("/some/page")
            assert False, "the test fails on purpose"
        """
    )
    result = project.runpytest_subprocess(*INNER_ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Captured aspyre resource logs call*",
            "resources:",
            "  api  PythonApp    Running (Healthy)",
            "logs:",
            "*api | server listening on *",
            "*api | served /some/page",
        ]
    )
    assert not any(process_alive(pid) for pid in _pids(project))


def test_a_passing_test_has_no_log_section(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_api="""
        import pytest

        @pytest.mark.anyio
        async def test_api(aspyre_app_factory):
            app = await aspyre_app_factory("apphost.py")
            await app.resource_notifications.wait_for_resource_healthy("api")
        """
    )
    result = project.runpytest_subprocess(*INNER_ARGS, "-rA")
    result.assert_outcomes(passed=1)
    assert "aspyre resource logs" not in result.stdout.str()


def test_an_app_host_that_fails_to_build_fails_the_test_with_its_error(project: pytest.Pytester) -> None:
    project.makepyfile(
        bad_apphost="""
        import aspyre

        builder = aspyre.DistributedApplication.create_builder()
        builder.add_executable("Same", "true")
        builder.add_executable("same", "true")
        builder.build().run()
        """,
        test_bad="""
        import pytest

        @pytest.mark.anyio
        async def test_bad(aspyre_app_factory):
            await aspyre_app_factory("bad_apphost.py")
        """,
    )
    result = project.runpytest_subprocess(*INNER_ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*DuplicateResourceError*'same'*"])


def test_ctrl_c_during_a_test_kills_the_apps_processes(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_interrupted="""
        import os, signal
        import anyio
        import pytest

        @pytest.mark.anyio
        async def test_interrupted(aspyre_app_factory):
            app = await aspyre_app_factory("apphost.py")
            await app.resource_notifications.wait_for_resource_healthy("api")
            os.kill(os.getpid(), signal.SIGINT)   # as if Ctrl-C was pressed
            await anyio.sleep(60)
        """
    )
    result = project.runpytest_subprocess(*INNER_ARGS)
    assert "KeyboardInterrupt" in result.stdout.str()
    assert not any(process_alive(pid) for pid in _pids(project))


def test_the_plugin_can_be_named_explicitly(project: pytest.Pytester) -> None:
    """With entry-point plugins disabled, ``-p aspyre.pytest_plugin`` loads it."""
    project.makepyfile(
        test_api="""
        import pytest

        @pytest.mark.anyio
        async def test_api(aspyre_app_factory):
            app = await aspyre_app_factory("apphost.py")
            await app.resource_notifications.wait_for_resource_healthy("api")
        """
    )
    env_before = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        result = project.runpytest_subprocess(*INNER_ARGS, "-p", "anyio", "-p", "aspyre.pytest_plugin")
    finally:
        if env_before is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = env_before
    result.assert_outcomes(passed=1)


def test_works_on_trio_too(project: pytest.Pytester) -> None:
    project.makeconftest(
        """
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "trio"
        """
    )
    project.makepyfile(
        test_api="""
        import pytest
        import trio

        @pytest.mark.anyio
        async def test_api(aspyre_app_factory):
            trio.lowlevel.current_trio_token()  # really on trio
            app = await aspyre_app_factory("apphost.py")
            await app.resource_notifications.wait_for_resource_healthy("api")
            async with app.http_client("api") as client:
                assert (await client.get("/")).text == "hello world"
        """
    )
    project.runpytest_subprocess(*INNER_ARGS).assert_outcomes(passed=1)
    assert not any(process_alive(pid) for pid in _pids(project))
