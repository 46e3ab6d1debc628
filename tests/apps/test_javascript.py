"""JavaScript apps (aspyre-javascript): Node, npm and Vite apps with npm installs from the registry, the
referenced API's URL in their environment, their manifest entries, and their early errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import aspyre
from aspyre.annotations import PackageInstallAnnotation
from aspyre.pytest_plugin import AspyreAppFactory

from .helpers import FIXTURES, copy_app, log_text, recorded_states, require_node

S = aspyre.KnownResourceStates


def js_builder(factory: AspyreAppFactory, where: Path) -> aspyre.DistributedApplicationBuilder:
    builder = factory.create_builder(app_host_path=where / "apphost.py")
    api = builder.add_python_app("api", FIXTURES / "api_stdlib.py").with_http_endpoint(env="PORT")
    api.with_http_health_check("/")
    builder.add_node_app("node", "node", "server.js").with_reference(api).with_http_health_check("/")
    builder.add_npm_app("npm", "npm").with_reference(api).wait_for(api).with_http_health_check("/")
    builder.add_vite_app("vite", "vite").with_reference(api).wait_for(api).with_http_health_check("/")
    return builder


@pytest.mark.anyio
async def test_node_npm_and_vite_apps_install_start_and_reach_the_api(
    aspyre_app_factory: AspyreAppFactory, tmp_path: Path
) -> None:
    require_node()
    for name in ("node", "npm", "vite"):
        copy_app(name, tmp_path)
    app = await aspyre_app_factory(js_builder(aspyre_app_factory, tmp_path), start=False)
    async with recorded_states(app, "npm") as npm_states:
        await aspyre_app_factory.start(app)
        for name in ("node", "npm", "vite"):
            await app.resource_notifications.wait_for_resource_healthy(name)
        api_url = app.get_endpoint("api", "http")
        async with app.http_client("node") as client:
            assert (await client.get("/")).json() == {"app": "node", "api": api_url}
        async with app.http_client("npm") as client:
            assert (await client.get("/")).json() == {"app": "npm", "api": api_url, "twoHours": 7_200_000}
        async with app.http_client("vite") as client:
            page = await client.get("/")
            proxied = await client.get("/api/hello")  # vite.config.js proxies /api to services__api__http__0
        logs = {name: log_text(app, name) for name in ("node", "npm", "vite")}
        await app.stop()
    assert npm_states.index("Installing") < npm_states.index("Running")
    assert "aspyre vite app" in page.text
    assert proxied.json() == {"from": "api", "path": "/hello"}
    assert "Installing packages: npm install --no-audit --no-fund" in logs["npm"]  # no lockfile yet
    assert "Installing packages" not in logs["node"]  # no package.json: nothing to install
    # Vite listens on the endpoint's target port; the endpoint's URL is the proxy in front of it.
    vite_endpoint = app.model["vite"].annotations.last(aspyre.annotations.EndpointAnnotation)
    assert vite_endpoint is not None
    vite_port = vite_endpoint.allocated[aspyre.model.KnownNetworks.LOCALHOST].target_port
    assert f"--port {vite_port} --strictPort --host 127.0.0.1" in logs["vite"]
    assert (tmp_path / "npm" / "package-lock.json").is_file()
    assert (tmp_path / "vite" / "node_modules" / "vite" / "package.json").is_file()

    # a second run: the packages did not change, nothing is installed
    app = await aspyre_app_factory(js_builder(aspyre_app_factory, tmp_path))
    for name in ("npm", "vite"):
        await app.resource_notifications.wait_for_resource_healthy(name)
        assert "Packages unchanged since the last install (npm): not installing" in log_text(app, name)
    await app.stop()

    # the lockfile npm wrote decides the next install: npm ci, after package.json changed
    package = json.loads((tmp_path / "npm" / "package.json").read_text(encoding="utf-8"))
    package["description"] = "changed"
    (tmp_path / "npm" / "package.json").write_text(json.dumps(package), encoding="utf-8")
    app = await aspyre_app_factory(js_builder(aspyre_app_factory, tmp_path))
    await app.resource_notifications.wait_for_resource_healthy("npm")
    assert "Installing packages: npm ci --no-audit --no-fund" in log_text(app, "npm")


@pytest.mark.anyio
async def test_a_failing_npm_install_fails_to_start_with_npms_message(
    aspyre_app_factory: AspyreAppFactory, tmp_path: Path
) -> None:
    require_node()
    app_dir = tmp_path / "bad"
    app_dir.mkdir()
    (app_dir / "package.json").write_text('{"name": "bad", "scripts": {"start": "node -e 1"}', encoding="utf-8")
    builder = aspyre_app_factory.create_builder(app_host_path=tmp_path / "apphost.py")
    builder.add_npm_app("bad", "bad")
    app = await aspyre_app_factory(builder)
    await app.resource_notifications.wait_for_resource("bad", S.FAILED_TO_START)
    text = log_text(app, "bad")
    assert "npm install --no-audit --no-fund failed with exit code" in text
    assert "JSON" in text[text.index("its last lines:") :]  # npm's own complaint about package.json


def publish_builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    args = ["--publisher", "manifest", "--output-path", str(tmp_path / "out")]
    return aspyre.DistributedApplication.create_builder(args, app_host_path=tmp_path / "apphost.py")


@pytest.mark.anyio
async def test_the_manifest_runs_them_as_executables(tmp_path: Path) -> None:
    for name in ("node", "npm", "vite"):
        copy_app(name, tmp_path)
    builder = publish_builder(tmp_path)
    api = builder.add_python_app("api", "api.py").with_http_endpoint(env="PORT")
    builder.add_node_app("node", "node", "server.js").with_reference(api)
    builder.add_npm_app("npm", "npm", "serve", args=["--verbose"])
    builder.add_vite_app("vite", "vite")
    await builder.build().run_async()
    resources = json.loads((tmp_path / "out" / "aspire-manifest.json").read_text(encoding="utf-8"))["resources"]
    node = resources["node"]
    assert (node["type"], node["command"], node["args"], node["workingDirectory"]) == (
        "executable.v0",
        "node",
        ["server.js"],
        "../node",
    )
    assert node["env"] == {
        "NODE_ENV": "production",
        "PORT": "{node.bindings.http.targetPort}",
        "API_HTTP": "{api.bindings.http.url}",
        "services__api__http__0": "{api.bindings.http.url}",
    }
    assert (resources["npm"]["command"], resources["npm"]["args"]) == ("npm", ["run", "serve", "--", "--verbose"])
    assert resources["vite"]["args"] == [
        "run", "dev", "--", "--port", "{vite.bindings.http.targetPort}", "--strictPort", "--host", "0.0.0.0",
    ]  # fmt: skip


def test_install_steps_and_early_errors(tmp_path: Path) -> None:
    npm_dir = copy_app("npm", tmp_path)
    (tmp_path / "empty").mkdir()
    builder = publish_builder(tmp_path)  # publish mode: no node needed on PATH to describe the apps
    npm = builder.add_npm_app("npm", "npm")
    install = npm.resource.annotations.last(PackageInstallAnnotation)
    assert install is not None
    assert (install.installer, install.state_dir) == ("npm", npm_dir / "node_modules")
    assert install.inputs == ("package.json", "package-lock.json", "npm-shrinkwrap.json", ".npmrc")
    if shutil.which("npm") is not None:
        [command] = install.plan()
        assert command.args == ("install", "--no-audit", "--no-fund")
        (npm_dir / "package-lock.json").write_text("{}", encoding="utf-8")
        [command] = install.plan()
        assert command.args == ("ci", "--no-audit", "--no-fund")
    npm.with_npm(install=False)
    assert not npm.resource.annotations.has(PackageInstallAnnotation)
    node = builder.add_node_app("plain", "empty", "server.js")  # no package.json: no install step
    assert not node.resource.annotations.has(PackageInstallAnnotation)

    with pytest.raises(ValueError, match=r"JavaScript app 'web': .*empty' has no package\.json"):
        builder.add_npm_app("web", "empty")
    with pytest.raises(ValueError, match=r"JavaScript app 'ui': its directory .*missing' does not exist"):
        builder.add_vite_app("ui", "missing")
    with pytest.raises(ValueError, match="install_command is 'ci' or 'install', not 'add'"):
        npm.with_npm(install_command="add")
    with pytest.raises(AttributeError, match=r"with_npm\(\) \(from aspyre-javascript\) applies to JavaScriptAppResource"):
        builder.add_container("c", "nginx").with_npm()


def test_a_missing_node_is_an_aspyre_error_naming_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "web").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    builder = aspyre.DistributedApplication.create_builder(["--no-dashboard"], app_host_path=tmp_path / "apphost.py")
    with pytest.raises(aspyre.DistributedApplicationException, match=r"JavaScript app 'web' needs 'node'.*install Node\.js"):
        builder.add_node_app("web", "web", "server.js")
