"""The ``OTEL_*`` variables every exporting resource gets in run mode (Aspire's ``WithOtlpExporter``), read
back from real processes and containers; what ``with_otlp_exporter`` and ``app.options`` accept."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

import aspyre
import aspyre.model
from aspyre import KnownResourceStates as S
from aspyre.annotations import OtlpExporterAnnotation

PY = sys.executable
PRINT_ENV = "import json, os; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('OTEL_')}))"
KEY = "k" * 43


def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py", load_plugins=False)


def printed_env(app: aspyre.DistributedApplication, name: str) -> dict[str, str]:
    lines = [line.content for line in app.resource_loggers.backlog(name) if line.content.startswith("{")]
    assert lines, [line.content for line in app.resource_loggers.backlog(name)]
    return dict(json.loads(lines[-1]))


async def run_until_finished(app: aspyre.DistributedApplication, *names: str) -> None:
    with anyio.fail_after(60):
        async with app:
            for name in names:
                await app.resource_notifications.wait_for_resource(name, [S.FINISHED, S.EXITED])


@pytest.mark.anyio
async def test_a_process_gets_the_otlp_settings_and_the_key_is_a_secret(tmp_path: Path) -> None:
    b = builder(tmp_path)
    b.add_executable("api", PY, "-c", PRINT_ENV)
    app = b.build()
    app.options.otlp_endpoint_url = "http://127.0.0.1:4318"
    app.options.otlp_api_key = KEY
    await run_until_finished(app, "api")
    env = printed_env(app, "api")
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert env["OTEL_EXPORTER_OTLP_HEADERS"] == f"x-otlp-api-key={KEY}"
    assert env["OTEL_SERVICE_NAME"] == "api"
    assert env["OTEL_RESOURCE_ATTRIBUTES"].startswith("service.instance.id=api-")
    for name in ("OTEL_BSP_SCHEDULE_DELAY", "OTEL_BLRP_SCHEDULE_DELAY", "OTEL_METRIC_EXPORT_INTERVAL"):
        assert env[name] == "1000"
    assert "OTEL_TRACES_EXPORTER" not in env  # a plain executable: only Python apps get the exporter choice
    snapshot = app.resource_notifications.get_snapshot("api")
    assert snapshot is not None
    shown = {e.name: e for e in snapshot.environment_variables}
    assert shown["OTEL_EXPORTER_OTLP_HEADERS"].is_sensitive
    assert not shown["OTEL_SERVICE_NAME"].is_sensitive
    assert KEY not in repr(snapshot)
    assert KEY not in repr(app.options)


@pytest.mark.anyio
async def test_without_an_endpoint_nothing_is_injected(tmp_path: Path) -> None:
    b = builder(tmp_path)
    b.add_executable("api", PY, "-c", PRINT_ENV).with_otlp_exporter()
    app = b.build()
    assert app.options.otlp_endpoint_url is None
    await run_until_finished(app, "api")
    assert printed_env(app, "api") == {}


@pytest.mark.anyio
async def test_opt_out_own_values_win_and_the_protocol_is_chosen_per_resource(tmp_path: Path) -> None:
    b = builder(tmp_path)
    b.add_executable("quiet", PY, "-c", PRINT_ENV).with_otlp_exporter(enabled=False)
    b.add_executable("own", PY, "-c", PRINT_ENV).with_environment("OTEL_SERVICE_NAME", "custom").with_environment(
        "OTEL_BSP_SCHEDULE_DELAY", "50"
    )
    b.add_executable("rpc", PY, "-c", PRINT_ENV).with_otlp_exporter("grpc")
    b.add_executable("json", PY, "-c", PRINT_ENV).with_otlp_exporter("http/json")
    app = b.build()
    app.options.otlp_endpoint_url = "http://localhost:4318"
    app.options.otlp_grpc_endpoint_url = "http://localhost:4317"
    await run_until_finished(app, "quiet", "own", "rpc", "json")
    assert printed_env(app, "quiet") == {}
    own = printed_env(app, "own")
    assert own["OTEL_SERVICE_NAME"] == "custom"
    assert own["OTEL_BSP_SCHEDULE_DELAY"] == "50"
    assert "OTEL_EXPORTER_OTLP_HEADERS" not in own  # no key was set
    rpc = printed_env(app, "rpc")
    assert (rpc["OTEL_EXPORTER_OTLP_ENDPOINT"], rpc["OTEL_EXPORTER_OTLP_PROTOCOL"]) == ("http://localhost:4317", "grpc")
    js = printed_env(app, "json")
    assert (js["OTEL_EXPORTER_OTLP_ENDPOINT"], js["OTEL_EXPORTER_OTLP_PROTOCOL"]) == ("http://localhost:4318", "http/json")


@pytest.mark.anyio
async def test_grpc_without_a_grpc_address_injects_nothing(tmp_path: Path) -> None:
    b = builder(tmp_path)
    b.add_executable("rpc", PY, "-c", PRINT_ENV).with_otlp_exporter("grpc")
    app = b.build()
    app.options.otlp_endpoint_url = "http://127.0.0.1:4318"
    await run_until_finished(app, "rpc")
    assert printed_env(app, "rpc") == {}


@pytest.mark.anyio
async def test_a_python_app_also_gets_the_exporters_aspire_chooses_for_python(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(PRINT_ENV + "\n")
    b = builder(tmp_path)
    b.add_python_app("py", tmp_path / "app.py")
    app = b.build()
    app.options.otlp_endpoint_url = "http://127.0.0.1:4318"
    await run_until_finished(app, "py")
    env = printed_env(app, "py")
    assert env["OTEL_TRACES_EXPORTER"] == env["OTEL_LOGS_EXPORTER"] == env["OTEL_METRICS_EXPORTER"] == "otlp"
    assert env["OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED"] == "true"
    assert env["OTEL_SERVICE_NAME"] == "py"


def fake_venv_with_launcher(tmp_path: Path) -> Path:
    """A ``bin`` with ``python`` (a link, as in a virtual environment) and an ``opentelemetry-instrument`` that
    says it ran and then runs its arguments (the real launcher is tested in tests/dashboard/telemetry)."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(PY)
    launcher = bin_dir / "opentelemetry-instrument"
    launcher.write_text('#!/bin/sh\necho "launched: $*"\nexec "$@"\n')
    launcher.chmod(0o755)
    return bin_dir


@pytest.mark.anyio
async def test_a_python_app_run_through_opentelemetry_instrument_gets_the_settings_for_its_exporters(tmp_path: Path) -> None:
    bin_dir = fake_venv_with_launcher(tmp_path)
    (tmp_path / "app.py").write_text(PRINT_ENV + "\n")
    b = builder(tmp_path)
    b.add_python_app("py", tmp_path / "app.py", "--flag", venv=tmp_path / "venv")
    b.add_python_app("plain", tmp_path / "app.py", venv=tmp_path / "venv").with_auto_instrumentation(False)
    b.add_executable("exe", str(bin_dir / "python"), "-c", PRINT_ENV)  # not a Python app: run as it is
    app = b.build()
    app.options.otlp_endpoint_url = "http://127.0.0.1:4318"
    await run_until_finished(app, "py", "plain", "exe")
    first = next(line.content for line in app.resource_loggers.backlog("py"))
    assert first == f"launched: {bin_dir / 'python'} -u {tmp_path / 'app.py'} --flag"
    assert printed_env(app, "py")["OTEL_SERVICE_NAME"] == "py"
    snapshot = app.resource_notifications.get_snapshot("py")
    assert snapshot is not None
    assert snapshot.property_value(aspyre.model.KnownProperties.Executable.ARGS)[0] == str(bin_dir / "python")
    for name in ("plain", "exe"):  # run as they are, and export all the same
        assert not any(line.content.startswith("launched:") for line in app.resource_loggers.backlog(name)), name
        assert printed_env(app, name)["OTEL_SERVICE_NAME"] == name


def test_with_otlp_exporter_checks_its_arguments(tmp_path: Path) -> None:
    b = builder(tmp_path)
    api = b.add_executable("api", PY)
    with pytest.raises(ValueError, match=r"with_otlp_exporter\(\) on resource 'api': protocol must be one of"):
        api.with_otlp_exporter("http")
    with pytest.raises(TypeError, match="enabled must be True or False"):
        api.with_otlp_exporter(enabled="no")  # type: ignore[arg-type]
    param = b.add_parameter("p", "v")
    with pytest.raises(TypeError, match="environment capability"):
        param.with_otlp_exporter()  # type: ignore[misc]
    api.with_otlp_exporter("grpc").with_otlp_exporter(enabled=False)
    assert api.resource.annotations.all(OtlpExporterAnnotation) == [OtlpExporterAnnotation(False, None)]


def test_app_options_check_the_otlp_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    options = aspyre.AppOptions()
    for bad in ("127.0.0.1:4318", "http://127.0.0.1", "http://127.0.0.1:4318/v1/traces", "ftp://h:1"):
        with pytest.raises(ValueError, match="otlp_endpoint_url must be http://HOST:PORT"):
            options.otlp_endpoint_url = bad
    with pytest.raises(ValueError, match="otlp_api_key"):
        options.otlp_api_key = "a,b"
    monkeypatch.setenv("ASPYRE_OTLP_ENDPOINT_URL", "http://127.0.0.1:4318")
    monkeypatch.setenv("ASPYRE_OTLP_GRPC_ENDPOINT_URL", "http://127.0.0.1:4317")
    options = aspyre.AppOptions()
    assert (options.otlp_endpoint_url, options.otlp_grpc_endpoint_url) == ("http://127.0.0.1:4318", "http://127.0.0.1:4317")
    monkeypatch.setenv("ASPYRE_OTLP_ENDPOINT_URL", "localhost:4318")
    with pytest.raises(ValueError, match=r"ASPYRE_OTLP_ENDPOINT_URL must be http://HOST:PORT .*not 'localhost:4318'"):
        aspyre.AppOptions()


def test_publish_mode_writes_no_telemetry_settings(tmp_path: Path, manifest_schema_errors: Any) -> None:
    b = aspyre.DistributedApplication.create_builder(
        ["--publisher", "manifest", "--output-path", str(tmp_path / "out")],
        app_host_path=tmp_path / "apphost.py",
        load_plugins=False,
    )
    b.add_executable("api", PY, "-c", "pass").with_otlp_exporter()
    b.add_container("cache", "redis", "7").with_otlp_exporter("grpc")
    (tmp_path / "app.py").write_text("pass\n")
    fake_venv_with_launcher(tmp_path)
    b.add_python_app("py", tmp_path / "app.py", venv=tmp_path / "venv")  # with opentelemetry-instrument beside it
    app = b.build()
    app.options.otlp_endpoint_url = "http://127.0.0.1:4318"
    app.options.otlp_api_key = KEY
    app.run()
    manifest = json.loads((tmp_path / "out" / "aspire-manifest.json").read_text())
    assert "OTEL_" not in json.dumps(manifest) and "opentelemetry-instrument" not in json.dumps(manifest)
    assert "py" in manifest["resources"]
    assert manifest_schema_errors(manifest) == []


@pytest.mark.docker
@pytest.mark.anyio
async def test_a_container_reaches_the_endpoint_through_the_host_gateway(tmp_path: Path, app_host: Path) -> None:
    """A session container gets the endpoint under ``host.docker.internal``; a server listening on
    ``app.container_host_address()`` gets its connection. A persistent one gets nothing unless asked."""
    b = aspyre.DistributedApplication.create_builder([], app_host_path=app_host, load_plugins=False)
    probe = (
        "import json, os, urllib.parse, socket\n"
        "env = {k: v for k, v in os.environ.items() if k.startswith('OTEL_')}\n"
        "print(json.dumps(env), flush=True)\n"
        "u = urllib.parse.urlsplit(env['OTEL_EXPORTER_OTLP_ENDPOINT'])\n"
        "s = socket.create_connection((u.hostname, u.port), timeout=20)\n"
        "print('answer', s.recv(16).decode(), flush=True)\n"
    )
    b.add_container("probe", "python", "3.11-slim").with_entrypoint("python").with_args("-c", probe)
    b.add_container("kept", "python", "3.11-slim").with_entrypoint("python").with_args("-c", PRINT_ENV).with_lifetime(
        aspyre.ContainerLifetime.PERSISTENT
    )
    app = b.build()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app.options.otlp_endpoint_url = f"http://127.0.0.1:{port}"
    app.options.otlp_api_key = KEY
    try:
        with anyio.fail_after(120):
            async with app:
                address = await app.container_host_address()
                assert address is not None
                gateway = socket.socket()
                gateway.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                gateway.bind((address, port))
                gateway.listen()
                gateway.setblocking(False)
                try:
                    accepted = await anyio.to_thread.run_sync(_accept_once, gateway)
                    await app.resource_notifications.wait_for_resource("probe", S.EXITED)
                    await app.resource_notifications.wait_for_resource("kept", S.EXITED)
                finally:
                    gateway.close()
                env = printed_env(app, "probe")
                assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://host.docker.internal:{port}"
                assert env["OTEL_EXPORTER_OTLP_HEADERS"] == f"x-otlp-api-key={KEY}"
                assert env["OTEL_SERVICE_NAME"] == "probe"
                assert accepted
                assert any(line.content == "answer hello" for line in app.resource_loggers.backlog("probe"))
                assert printed_env(app, "kept") == {}
    finally:
        listener.close()


def _accept_once(sock: socket.socket) -> bool:
    sock.setblocking(True)
    sock.settimeout(90)
    conn, _ = sock.accept()
    with conn:
        conn.sendall(b"hello")
    return True


@pytest.mark.anyio
async def test_no_container_host_address_without_containers(tmp_path: Path) -> None:
    b = builder(tmp_path)
    b.add_executable("api", PY, "-c", "pass")
    app = b.build()
    with anyio.fail_after(30):
        async with app:
            assert await app.container_host_address() is None
