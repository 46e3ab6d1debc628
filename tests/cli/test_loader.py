"""``aspyre.testing.load_app_host``: run an app host file up to ``build()`` without running the app."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import aspyre

from .helpers import write_app_host

RUNS_FOREVER = """
builder.add_executable("api", sys.executable, "-c", "pass")
app = builder.build()
app.options.stop_grace_period = 3.5      # set after build(): kept, the file runs up to run()
print("about to run", sys.argv[1:])
app.run()
raise AssertionError("unreachable: run() stops the file")
"""


def test_the_file_stops_at_run_and_the_app_is_returned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_app_host(tmp_path, RUNS_FOREVER)
    argv, syspath = sys.argv[:], sys.path[:]

    app = aspyre.testing.load_app_host(path, ["--flag", "x"])

    assert isinstance(app, aspyre.DistributedApplication)
    assert [r.name for r in app.model] == ["api"]
    assert app.app_host_path == path
    assert app.options.stop_grace_period == 3.5
    assert app.builder.remaining_args == ("--flag", "x")
    assert "about to run ['--flag', 'x']" in capsys.readouterr().out
    assert (sys.argv, sys.path) == (argv, syspath)  # restored
    assert app.execution_context.is_run_mode


def test_arguments_choose_publish_mode(tmp_path: Path) -> None:
    path = write_app_host(tmp_path, RUNS_FOREVER)
    app = aspyre.testing.load_app_host(path, ["--publisher", "manifest", "--output-path", str(tmp_path / "out")])
    assert app.execution_context.is_publish_mode
    assert app.execution_context.output_path == tmp_path / "out"


def test_configure_changes_the_model_before_it_is_built(tmp_path: Path) -> None:
    path = write_app_host(tmp_path, RUNS_FOREVER)

    def configure(builder: aspyre.DistributedApplicationBuilder) -> None:
        builder.add_executable("extra", "true")

    app = aspyre.testing.load_app_host(path, configure=configure)
    assert [r.name for r in app.model] == ["api", "extra"]


def test_configure_runs_before_the_one_validation(tmp_path: Path) -> None:
    """The model is validated once, after ``configure``: it may complete what the file left incomplete."""
    path = write_app_host(
        tmp_path,
        """
        api = builder.add_executable("api", "true")
        builder.add_executable("client", "true").with_environment("GRPC", api.get_endpoint("grpc"))
        builder.build().run()
        """,
    )
    with pytest.raises(aspyre.ModelValidationError, match="no such endpoint"):
        aspyre.testing.load_app_host(path)

    def configure(builder: aspyre.DistributedApplicationBuilder) -> None:
        builder.create_resource_builder(builder.resources[0]).with_endpoint(name="grpc", target_port=5000)

    app = aspyre.testing.load_app_host(path, configure=configure)
    assert [e.name for e in app.get_resource("api").annotations.all(aspyre.annotations.EndpointAnnotation)] == ["grpc"]


def test_configure_runs_once_when_the_file_builds_twice(tmp_path: Path) -> None:
    path = write_app_host(
        tmp_path,
        """
        builder.add_executable("api", "true")
        first = builder.build()
        builder.build().run()
        """,
    )
    calls: list[str] = []
    app = aspyre.testing.load_app_host(path, configure=lambda builder: calls.append("configure"))
    assert calls == ["configure"]
    assert [r.name for r in app.model] == ["api"]


def test_configure_that_breaks_the_model_raises_the_validation_error(tmp_path: Path) -> None:
    path = write_app_host(tmp_path, RUNS_FOREVER)

    def configure(builder: aspyre.DistributedApplicationBuilder) -> None:
        api = builder.resources[0]
        builder.create_resource_builder(api).wait_for(builder.add_executable("late", "true").wait_for(api))

    with pytest.raises(aspyre.ModelValidationError, match="cycle"):
        aspyre.testing.load_app_host(path, configure=configure)


def test_an_async_app_host_stops_at_async_with_app(tmp_path: Path) -> None:
    path = write_app_host(
        tmp_path,
        """
        import anyio

        builder.add_executable("api", sys.executable, "-c", "pass")

        async def main():
            async with builder.build() as app:
                await anyio.sleep_forever()

        anyio.run(main)
        """,
    )
    app = aspyre.testing.load_app_host(path)
    assert [r.name for r in app.model] == ["api"]


def test_a_file_that_only_builds_gives_its_app(tmp_path: Path) -> None:
    path = write_app_host(tmp_path, 'builder.add_executable("api", "true")\napp = builder.build()')
    assert aspyre.testing.load_app_host(path).get_resource("api").name == "api"


def test_a_file_that_never_builds_is_an_error(tmp_path: Path) -> None:
    path = write_app_host(tmp_path, 'builder.add_executable("api", "true")')
    with pytest.raises(RuntimeError, match=r"finished without calling builder\.build\(\)"):
        aspyre.testing.load_app_host(path)


def test_errors_of_the_file_propagate(tmp_path: Path) -> None:
    path = write_app_host(tmp_path, 'raise LookupError("no such thing")')
    with pytest.raises(LookupError, match="no such thing"):
        aspyre.testing.load_app_host(path)


def test_the_app_host_imports_its_neighbours(tmp_path: Path) -> None:
    (tmp_path / "settings_for_loader_test.py").write_text("NAME = 'from-a-neighbour'\n")
    path = write_app_host(
        tmp_path,
        """
        import settings_for_loader_test

        builder.add_executable(settings_for_loader_test.NAME, "true")
        builder.build().run()
        """,
    )
    try:
        assert [r.name for r in aspyre.testing.load_app_host(path).model] == ["from-a-neighbour"]
    finally:
        sys.modules.pop("settings_for_loader_test", None)


def test_resolving_app_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aspyre._hosting._loading import resolve_app_host

    monkeypatch.chdir(tmp_path)
    with pytest.raises(aspyre.testing.AppHostNotFoundError, match=r"There is no apphost\.py"):
        resolve_app_host(None)
    write_app_host(tmp_path, RUNS_FOREVER)
    assert resolve_app_host(None).path == tmp_path / "apphost.py"
    (tmp_path / "pkg").mkdir()
    write_app_host(tmp_path / "pkg", RUNS_FOREVER)
    assert resolve_app_host("pkg").path == tmp_path / "pkg" / "apphost.py"  # a directory: its apphost.py
    assert resolve_app_host("json.tool").module == "json.tool"
    with pytest.raises(aspyre.testing.AppHostNotFoundError, match="neither a file nor an importable module"):
        resolve_app_host("no_such_module_anywhere.apphost")
    with pytest.raises(aspyre.testing.AppHostNotFoundError, match="does not exist"):
        resolve_app_host("missing.py")


def test_run_outside_a_load_still_runs(tmp_path: Path) -> None:
    """The hook only applies while loading: the same app, once loaded, starts for real."""
    import anyio

    path = write_app_host(tmp_path, RUNS_FOREVER)
    app = aspyre.testing.load_app_host(path)

    async def main() -> str | None:
        async with app:
            snapshot = await app.resource_notifications.wait_for_resource("api", "Finished")
            return snapshot.state_text

    assert anyio.run(main) == "Finished"


HOLDS_GLOBALS = """
import socket
import tempfile

workdir = tempfile.TemporaryDirectory()          # held at module scope only
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
builder.add_executable("api", sys.executable, "-c", "pass", working_dir=workdir.name)
{run}
"""


@pytest.mark.parametrize("run", ["builder.build().run()", "builder.build()"])
def test_the_module_globals_of_a_loaded_app_host_live_as_long_as_the_app(tmp_path: Path, run: str) -> None:
    """``aspyre run`` (which loads the file) keeps what the module holds, as ``python apphost.py`` does."""
    import gc

    path = write_app_host(tmp_path, HOLDS_GLOBALS.format(run=run))
    app = aspyre.testing.load_app_host(path)
    gc.collect()
    api = app.get_resource("api")
    assert isinstance(api, aspyre.ExecutableResource)
    workdir = api.working_dir
    assert workdir.is_dir(), "the module's TemporaryDirectory was finalised once the file stopped"
    module_globals = app._app_host_globals
    assert module_globals is not None
    assert module_globals["__name__"] == "__main__"
    assert module_globals["listener"].fileno() >= 0  # the socket is still open
    del app, module_globals
    gc.collect()
    assert not workdir.exists()  # released with the app: nothing lives longer than it
