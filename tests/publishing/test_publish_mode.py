"""Publish mode end to end: the app host file run with Aspire's flags, no Docker, no live values."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import aspyre

from .helpers import check_manifest, publish, publish_app_host, publish_builder, run_app_host

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
    assert out.splitlines() == ["before-publish manifest", "after-publish", f"Published (manifest) to {manifest}"]


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


def add_secret_users(
    builder: aspyre.DistributedApplicationBuilder,
) -> tuple[aspyre.ResourceBuilder[aspyre.ParameterResource], aspyre.ResourceBuilder[Any]]:
    """A secret parameter, a connection string from the environment and Redis, all used by ``api``."""
    api_key = builder.add_parameter("api-key", secret=True)
    legacy = builder.add_connection_string("legacy")
    cache = builder.add_redis("cache")
    api = builder.add_executable("api", "acme-api").with_reference(cache).with_reference(legacy)
    api.with_environment("API_KEY", api_key).with_args("--key", api_key)
    return api_key, cache


def add_before_start_change(builder: aspyre.DistributedApplicationBuilder) -> None:
    """``web``, given an environment variable by a before-start handler."""
    web = builder.add_container("web", "nginx")

    def before_start(event: aspyre.events.BeforeStartEvent) -> None:
        assert event.app.execution_context.is_publish_mode
        web.with_environment("ADDED_BEFORE_START", "yes")

    builder.eventing.subscribe(aspyre.events.BeforeStartEvent, before_start)


@pytest.mark.anyio
async def test_secret_values_never_appear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Parameters__api-key", "TOPSECRET-api-key-value")
    monkeypatch.setenv("ConnectionStrings__legacy", "Server=db.internal;Password=TOPSECRET-legacy")
    builder = publish_builder(tmp_path)
    store = aspyre.plugins.SecretsStore(builder.app_host_path)
    store.set("cache-password", "TOPSECRET-generated-earlier")
    before = store.path.read_bytes()
    api_key, cache = add_secret_users(builder)
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
    builder.add_connection_string("api-url", aspyre.ReferenceExpression.format("{}", api.get_endpoint("http")))
    app = builder.build()
    endpoint = api.get_endpoint("http")
    # Read without a context: the message covers both modes.
    with pytest.raises(
        aspyre.EndpointNotAllocatedError, match=r"not been allocated yet.*never in publish mode.*\{api\.bindings\.http\.url\}"
    ):
        _ = endpoint.url
    with pytest.raises(aspyre.EndpointNotAllocatedError, match="publish mode"):
        await endpoint.property(aspyre.EndpointProperty.PORT).get_value(aspyre.model.ValueContext())
    # Resolved with the app's execution context: the message says publish mode is why.
    publishing = aspyre.model.ValueContext(execution_context=app.execution_context)
    for value in (endpoint, endpoint.property(aspyre.EndpointProperty.PORT)):
        with pytest.raises(
            aspyre.EndpointNotAllocatedError,
            match=r"has no live address in publish mode: use the endpoint as a value.*\{api\.bindings\.http\.url\}",
        ):
            await value.get_value(publishing)
    with pytest.raises(aspyre.EndpointNotAllocatedError, match="no live address in publish mode"):
        await app.get_connection_string("api-url")
    with pytest.raises(RuntimeError, match="publish mode"):
        _ = app.resource_notifications


def test_building_in_publish_mode_writes_no_mode_into_the_model(tmp_path: Path) -> None:
    """The mode lives in the execution context, never in the resources' annotations."""

    def endpoint_fields(builder: aspyre.DistributedApplicationBuilder) -> list[dict[str, object]]:
        api = builder.add_executable("api", "acme-api").with_http_endpoint(port=8080)
        builder.build()
        return [attrs.asdict(a, recurse=False) for a in api.resource.annotations.all(aspyre.annotations.EndpointAnnotation)]

    run_builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    assert run_builder.execution_context.is_run_mode
    assert endpoint_fields(publish_builder(tmp_path)) == endpoint_fields(run_builder)


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
    add_before_start_change(builder)
    _, text = await publish(builder)
    check_manifest(text)
    assert json.loads(text)["resources"]["web"]["env"] == {"ADDED_BEFORE_START": "yes"}


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", ["shop app host", "secrets", "before-start change"])
async def test_the_published_manifests_validate_against_aspires_schema(
    tmp_path: Path,
    scenario: str,
    manifest_schema_errors: Callable[[object], list[str]],
) -> None:
    if scenario == "shop app host":
        text = await publish_app_host(app_host(tmp_path), tmp_path / "out")
    else:
        builder = publish_builder(tmp_path)
        if scenario == "secrets":
            add_secret_users(builder)
        else:
            add_before_start_change(builder)
        _, text = await publish(builder)
    assert manifest_schema_errors(json.loads(text)) == []
