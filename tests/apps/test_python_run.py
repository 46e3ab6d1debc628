"""Python apps run for real: environments created by uv and pip from PyPI in fresh directories, a Starlette app
under Uvicorn reaching Redis, a module, a console script, a broken requirements.txt, opentelemetry-instrument.

Packages come from PyPI through uv's and pip's own caches (shared between tests and runs), so after the first
run an install takes about a second."""

from __future__ import annotations

from pathlib import Path

import pytest

import aspyre
from aspyre.pytest_plugin import AspyreAppFactory

from .helpers import copy_app, log_text, recorded_states

S = aspyre.KnownResourceStates


def api_builder(factory: AspyreAppFactory, where: Path) -> aspyre.DistributedApplicationBuilder:
    builder = factory.create_builder(app_host_path=where / "apphost.py")
    cache = builder.add_redis("cache")
    (
        builder.add_uvicorn_app("api", "api", "main:app", health_check_path="/health")
        .with_uv()
        .with_reference(cache)
        .wait_for(cache)
    )
    return builder


async def visit(factory: AspyreAppFactory, where: Path) -> tuple[list[str], str, dict[str, object]]:
    """Start the app, wait for the API to be healthy, visit it once; the API's states, log and answer."""
    app = await factory(api_builder(factory, where), start=False)
    async with recorded_states(app, "api") as states:
        await factory.start(app)
        await app.resource_notifications.wait_for_resource_healthy("api")
        async with app.http_client("api") as client:
            response = await client.get("/visits")
        text = log_text(app, "api")
        await app.stop()
    assert response.status_code == 200, response.text
    return states, text, response.json()


@pytest.mark.docker
@pytest.mark.anyio
async def test_a_uvicorn_app_with_uv_in_a_fresh_directory_reaches_redis(
    aspyre_app_factory: AspyreAppFactory, tmp_path: Path
) -> None:
    api = copy_app("api", tmp_path)
    states, text, answer = await visit(aspyre_app_factory, tmp_path)
    assert states.index("Installing") < states.index("Waiting") < states.index("Running")  # installed while Redis started
    assert "Installing packages: uv sync" in text and "Packages installed (uv)" in text
    assert (api / "uv.lock").is_file()
    assert answer == {"visits": 1, "prefix": str(api / ".venv")}  # the app ran in the environment uv made
    assert "Uvicorn running on http://127.0.0.1:" in text

    # the second run finds the environment unchanged: no install
    states, text, answer = await visit(aspyre_app_factory, tmp_path)
    assert "Installing" not in states and "Running" in states
    assert "Packages unchanged since the last install (uv): not installing" in text
    assert "uv sync" not in text
    assert answer["prefix"] == str(api / ".venv")


@pytest.mark.anyio
async def test_a_module_installed_with_pip_and_a_console_script_installed_with_uv(
    aspyre_app_factory: AspyreAppFactory, tmp_path: Path
) -> None:
    worker = copy_app("worker", tmp_path)
    tool = copy_app("tool", tmp_path)
    builder = aspyre_app_factory.create_builder(app_host_path=tmp_path / "apphost.py")
    builder.add_python_module("worker", "worker", "worker.main").with_pip()
    builder.add_python_executable("tool", "tool", "hello-tool").with_uv().with_args("from", "aspyre")
    app = await aspyre_app_factory(builder)
    for name in ("worker", "tool"):
        snapshot = await app.resource_notifications.wait_for_resource(name, S.FINISHED)
        assert snapshot.exit_code == 0, log_text(app, name)
    worker_log = log_text(app, "worker")
    assert "Installing packages: python -m pip install -r requirements.txt" in worker_log
    assert "worker: iniconfig 2.0.0" in worker_log
    assert f"worker: prefix {worker / '.venv'}" in worker_log
    assert "hello-tool from aspyre" in log_text(app, "tool")
    tool_snapshot = app.resource_notifications.get_snapshot("tool")
    assert tool_snapshot is not None
    path = next(p.value for p in tool_snapshot.properties if p.name == "executable.path")
    assert path == str(tool / ".venv" / "bin" / "hello-tool")  # the project's console script, in its environment


@pytest.mark.anyio
async def test_a_broken_requirements_txt_fails_to_start_with_pips_message(
    aspyre_app_factory: AspyreAppFactory, tmp_path: Path
) -> None:
    copy_app("broken", tmp_path)
    builder = aspyre_app_factory.create_builder(app_host_path=tmp_path / "apphost.py")
    builder.add_python_app("broken", "broken", "app.py").with_pip()
    app = await aspyre_app_factory(builder)
    await app.resource_notifications.wait_for_resource("broken", S.FAILED_TO_START)
    text = log_text(app, "broken")
    failure = text[text.index("Failed to start: ") :]
    assert "python -m pip install -r requirements.txt failed with exit code 1 (pip); its last lines:" in failure
    assert "Invalid requirement" in failure  # pip's own message, quoted
    assert "never runs" not in text


@pytest.mark.anyio
async def test_an_app_runs_through_opentelemetry_instrument_when_its_environment_has_it(
    aspyre_app_factory: AspyreAppFactory, tmp_path: Path
) -> None:
    otel = copy_app("otel", tmp_path)
    builder = aspyre_app_factory.create_builder(app_host_path=tmp_path / "apphost.py")
    console = {"OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
    instrumented = builder.add_python_app("instrumented", "otel", "app.py").with_uv()
    plain = builder.add_python_app("plain", "otel", "app.py").with_uv().with_auto_instrumentation(False)
    for app_builder in (instrumented, plain):
        for key, value in console.items():
            app_builder.with_environment(key, value)
    app = await aspyre_app_factory(builder)
    for name in ("instrumented", "plain"):
        snapshot = await app.resource_notifications.wait_for_resource(name, S.FINISHED)
        assert snapshot.exit_code == 0, log_text(app, name)
    snapshot = app.resource_notifications.get_snapshot("instrumented")
    assert snapshot is not None
    properties = {p.name: p.value for p in snapshot.properties}
    assert properties["executable.path"] == str(otel / ".venv" / "bin" / "opentelemetry-instrument")
    assert properties["executable.args"] == [str(otel / ".venv" / "bin" / "python"), "-u", str(otel / "app.py")]
    instrumented_log, plain_log = log_text(app, "instrumented"), log_text(app, "plain")
    assert "tracer provider: TracerProvider" in instrumented_log  # the SDK's, set up by the distro
    assert '"name": "hello-span"' in instrumented_log  # exported by the console exporter
    assert "tracer provider: ProxyTracerProvider" in plain_log and "hello-span" not in plain_log
