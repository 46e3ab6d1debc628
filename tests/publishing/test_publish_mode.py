"""Publish mode end to end: the app host file run with Aspire's flags, no Docker, no live values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import aspyre

from .helpers import check_manifest, publish, publish_builder, run_app_host

APPHOSTS = Path(__file__).parent / "apphosts"
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/aspyre-test/docker.sock"}


def app_host(tmp_path: Path, name: str = "shop.py") -> Path:
    target = tmp_path / "apphost.py"
    shutil.copy(APPHOSTS / name, target)
    return target


def test_apphost_publishes_a_manifest_without_docker(tmp_path: Path) -> None:
    script = app_host(tmp_path)
    report = tmp_path / "report.json"
    code, out, err = run_app_host(
        script, ["--publisher", "manifest", "--output-path", "out/"], env={**NO_DOCKER, "SHOP_REPORT": str(report)}
    )
    assert code == 0, err
    manifest = tmp_path / "out" / "aspire-manifest.json"
    document = check_manifest(manifest.read_text(encoding="utf-8"))
    assert list(document["resources"]) == [
        "cache-password",
        "cache",
        "pg-password",
        "pg",
        "orders",
        "api-key",
        "api",
        "web",
        "cache-password-uri-encoded",
        "pg-password-uri-encoded",
    ]
    api = document["resources"]["api"]
    assert api["type"] == "executable.v0"
    assert api["command"] == "python"
    assert api["workingDirectory"] == "../api"
    assert api["args"] == ["-u", "../api/main.py"]
    assert document["resources"]["web"]["bindMounts"] == [
        {"source": "../site", "target": "/usr/share/nginx/html", "readOnly": False}
    ]
    # nothing was started: the docker SDK and the run-mode orchestrator were never imported
    assert json.loads(report.read_text()) == {"docker_imported": False, "orchestrator_imported": False}
    assert out.splitlines() == ["before-publish manifest", "after-publish", f"Published manifest to: {manifest}"]


def test_an_output_path_ending_in_json_names_the_manifest_file(tmp_path: Path) -> None:
    # as azd passes it: --output-path <dir>/<name>.json
    script = app_host(tmp_path)
    code, _, err = run_app_host(
        script, ["--publisher", "manifest", "--output-path", "deploy/manifest.json"], env=NO_DOCKER
    )
    assert code == 0, err
    check_manifest((tmp_path / "deploy" / "manifest.json").read_text(encoding="utf-8"))
    assert not (tmp_path / "deploy" / "aspire-manifest.json").exists()


def test_operation_publish_defaults_to_the_manifest_publisher(tmp_path: Path) -> None:
    script = app_host(tmp_path)
    code, _, err = run_app_host(script, ["--operation", "publish", "--output-path", "out"], env=NO_DOCKER)
    assert code == 0, err
    assert (tmp_path / "out" / "aspire-manifest.json").is_file()


def test_unknown_publisher_on_the_command_line(tmp_path: Path) -> None:
    script = app_host(tmp_path)
    code, out, err = run_app_host(script, ["--publisher", "helm", "--output-path", "out"], env=NO_DOCKER)
    assert code == 1
    assert err.startswith("aspyre: No publisher named 'helm' is installed")
    assert "manifest (aspyre 0.1.0)" in err
    assert "Traceback" not in err
    assert "before-publish" not in out
    assert not (tmp_path / "out").exists()


@pytest.mark.anyio
async def test_secret_values_never_appear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Parameters__api-key", "TOPSECRET-api-key-value")
    monkeypatch.setenv("ConnectionStrings__legacy", "Server=db.internal;Password=TOPSECRET-legacy")
    builder = publish_builder(tmp_path)
    store = aspyre.plugins.SecretsStore(builder.app_host_path)
    store.set("cache-password", "TOPSECRET-generated-earlier")
    before = store.path.read_bytes()
    api_key = builder.add_parameter("api-key", secret=True)
    legacy = builder.add_connection_string("legacy")
    cache = builder.add_redis("cache")
    api = builder.add_executable("api", "acme-api").with_reference(cache).with_reference(legacy)
    api.with_environment("API_KEY", api_key).with_args("--key", api_key)
    _, text = await publish(builder)
    check_manifest(text)
    assert "TOPSECRET" not in text
    document = json.loads(text)
    env = document["resources"]["api"]["env"]
    assert env["API_KEY"] == "{api-key.value}"
    assert env["CACHE_PASSWORD"] == "{cache-password.value}"
    assert env["ConnectionStrings__legacy"] == "{legacy.connectionString}"
    assert document["resources"]["api"]["args"] == ["--key", "{api-key.value}"]
    # publishing neither reads nor writes the secrets store, nor resolves any parameter
    assert store.path.read_bytes() == before
    assert not api_key.resource.has_value
    assert cache.resource.password_parameter is not None
    assert not cache.resource.password_parameter.has_value


@pytest.mark.anyio
async def test_reading_a_live_endpoint_value_in_publish_mode_is_a_clear_error(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    assert builder.execution_context.is_publish_mode
    api = builder.add_executable("api", "acme-api").with_http_endpoint(port=8080)
    app = builder.build()
    endpoint = api.get_endpoint("http")
    with pytest.raises(
        aspyre.EndpointNotAllocatedError, match=r"no live address in publish mode.*\{api\.bindings\.http\.url\}"
    ):
        _ = endpoint.url
    with pytest.raises(aspyre.EndpointNotAllocatedError, match="publish mode"):
        await endpoint.property(aspyre.EndpointProperty.PORT).get_value(aspyre.model.ValueContext())
    with pytest.raises(RuntimeError, match="publish mode"):
        _ = app.resource_notifications


@pytest.mark.anyio
async def test_a_callback_that_reads_a_live_value_fails_the_publish_naming_the_resource(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    api = builder.add_executable("api", "acme-api").with_http_endpoint(port=8080)
    web = builder.add_container("web", "nginx")
    web.with_environment(lambda ctx: ctx.environment.update(API=api.get_endpoint("http").url))
    with pytest.raises(aspyre.EndpointNotAllocatedError) as info:
        await builder.build().publish_async()
    assert "(while writing the manifest entry of resource 'web')" in info.value.__notes__
    assert not (tmp_path / "out" / "aspire-manifest.json").exists()


@pytest.mark.anyio
async def test_before_start_handlers_can_still_change_the_model(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    web = builder.add_container("web", "nginx")

    def before_start(event: aspyre.events.BeforeStartEvent) -> None:
        assert event.app.execution_context.is_publish_mode
        web.with_environment("ADDED_BEFORE_START", "yes")

    builder.eventing.subscribe(aspyre.events.BeforeStartEvent, before_start)
    _, text = await publish(builder)
    check_manifest(text)
    assert json.loads(text)["resources"]["web"]["env"] == {"ADDED_BEFORE_START": "yes"}
