"""The app builder: command line, execution context, app host path, resources, parameters and the secrets store."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import aspyre
from aspyre import GenerateParameterDefault, Operation

PYTHON = sys.executable


# --------------------------------------------------------------------------- command line


def test_create_builder_reads_sys_argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "argv", ["apphost.py", "--publisher", "manifest", "--output-path", str(tmp_path), "--x"])
    builder = aspyre.DistributedApplication.create_builder()
    ctx = builder.execution_context
    assert ctx.is_publish_mode
    assert not ctx.is_run_mode
    assert ctx.operation is Operation.PUBLISH
    assert ctx.publisher_name == "manifest"
    assert ctx.output_path == tmp_path
    assert builder.args == ("--publisher", "manifest", "--output-path", str(tmp_path), "--x")
    assert builder.remaining_args == ("--x",)


def test_explicit_args_win_over_sys_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["apphost.py", "--publisher", "manifest"])
    assert aspyre.DistributedApplication.create_builder([]).execution_context.is_run_mode


@pytest.mark.parametrize(
    ("args", "operation", "publisher"),
    [
        ([], Operation.RUN, None),
        (["--publisher", "manifest"], Operation.PUBLISH, "manifest"),
        (["--publisher=docker-compose"], Operation.PUBLISH, "docker-compose"),
        (["--operation", "publish"], Operation.PUBLISH, "manifest"),
        (["--operation", "Publish", "--publisher", "x"], Operation.PUBLISH, "x"),
        (["--operation", "run", "--publisher", "manifest"], Operation.RUN, None),
        (["--output-path", "out"], Operation.RUN, None),  # as in Aspire: the output path alone does not publish
        (["--unrelated", "value"], Operation.RUN, None),
    ],
)
def test_execution_context_from_args(args: list[str], operation: Operation, publisher: str | None) -> None:
    ctx = aspyre.DistributedApplicationBuilder(args).execution_context
    assert ctx.operation is operation
    assert ctx.publisher_name == publisher


def test_output_path_defaults_to_the_current_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert aspyre.DistributedApplicationBuilder(["--publisher", "manifest"]).execution_context.output_path == tmp_path
    ctx = aspyre.DistributedApplicationBuilder(["--publisher", "manifest", "--output-path", "out"]).execution_context
    assert ctx.output_path == tmp_path / "out"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--operation", "deploy"], "Invalid operation 'deploy' specified. Valid operations are 'publish' or 'run'."),
        (["--publisher"], "expected one argument"),
    ],
)
def test_bad_args_raise_instead_of_exiting(args: list[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        aspyre.DistributedApplicationBuilder(args)


def test_app_host_path_is_the_callers_file() -> None:
    assert aspyre.DistributedApplication.create_builder([]).app_host_path == Path(__file__).resolve()
    assert aspyre.DistributedApplicationBuilder([]).app_host_path == Path(__file__).resolve()


def test_app_host_path_is_the_resolved_path_however_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The builder keeps the path as a str (pathlib stays off its path) and makes the Path when asked: the same
    # Path that Path(...).resolve() gives, through symbolic links, relative, not existing, given as str or Path.
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    monkeypatch.chdir(tmp_path)
    for given in ("link/apphost.py", tmp_path / "link" / "./apphost.py", "real//x/../apphost.py", ""):
        b = aspyre.DistributedApplicationBuilder([], app_host_path=given)
        assert b.app_host_path == Path(given).resolve()
        assert type(b.app_host_path) is type(Path(given).resolve())
    assert b.app_host_path is b.app_host_path  # made once
    b = aspyre.DistributedApplicationBuilder([], app_host_path="link/apphost.py")
    assert b.app_host_directory == real
    b.app_host_path = tmp_path / "elsewhere" / "apphost.py"  # replaced: the directory follows
    assert b.app_host_directory == tmp_path / "elsewhere"
    assert b.resolve_path("data") == tmp_path / "elsewhere" / "data"
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(RuntimeError, match="Symlink loop"):
        aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "loop")
    with pytest.raises(TypeError):
        aspyre.DistributedApplicationBuilder([], app_host_path=b"apphost.py")  # type: ignore[arg-type]


def test_app_host_path_without_a_file(tmp_path: Path) -> None:
    code = "import aspyre; print(aspyre.DistributedApplication.create_builder([]).app_host_path)"
    out = subprocess.run([PYTHON, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str((tmp_path / "apphost.py").resolve())


def test_python_apphost_publish_command_line(tmp_path: Path) -> None:
    """``python apphost.py --publisher manifest --output-path out`` reaches the builder."""
    (tmp_path / "apphost.py").write_text(
        "import aspyre\n"
        "b = aspyre.DistributedApplication.create_builder()\n"
        "c = b.execution_context\n"
        "print(c.operation.value, c.publisher_name, c.output_path, b.app_host_path.name)\n"
    )
    out = subprocess.run(
        [PYTHON, "apphost.py", "--publisher", "manifest", "--output-path", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["publish", "manifest", str(tmp_path / "out"), "apphost.py"]


# --------------------------------------------------------------------------- resources


@pytest.fixture
def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")


def test_add_container_parses_the_image(builder: aspyre.DistributedApplicationBuilder) -> None:
    c = builder.add_container("c", "ghcr.io/org/app:1.2")
    assert c.resource.image == aspyre.annotations.ContainerImageAnnotation("org/app", "1.2", "ghcr.io")
    assert c.resource.image.full_name == "ghcr.io/org/app:1.2"
    d = builder.add_container("d", "redis", "7")
    assert d.resource.image is not None
    assert d.resource.image.full_name == "redis:7"
    assert builder.add_container("e", "redis").resource.image == aspyre.annotations.ContainerImageAnnotation("redis", "latest")
    with pytest.raises(ValueError, match="already has a tag"):
        builder.add_container("f", "redis:7", "8")
    with pytest.raises(ValueError, match="is not a valid image reference"):
        builder.add_container("g", "")
    assert [r.name for r in builder.resources] == ["c", "d", "e"]  # failed calls added nothing


def test_image_tag_registry_and_digest(builder: aspyre.DistributedApplicationBuilder) -> None:
    c = builder.add_container("c", "redis:7")
    c.with_image_registry("docker.io").with_image_tag("7.2")
    assert c.resource.image is not None
    assert c.resource.image.full_name == "docker.io/redis:7.2"
    c.with_image_sha256("sha256:" + "a" * 64)
    assert c.resource.image.full_name == "docker.io/redis@sha256:" + "a" * 64
    assert c.resource.image.tag is None
    c.with_image_tag("8")
    assert c.resource.image.sha256 is None


def test_paths_are_relative_to_the_app_host(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    exe = builder.add_executable("exe", "python", "-m", "http.server", working_dir="site")
    assert exe.resource.working_dir == tmp_path / "site"
    assert exe.resource.annotations.last(aspyre.annotations.CommandLineArgsAnnotation) == aspyre.annotations.CommandLineArgsAnnotation(
        ("-m", "http.server")
    )
    assert builder.add_executable("exe2", "node").resource.working_dir == tmp_path
    app = builder.add_python_app("web", "web/main.py", "--debug")
    assert app.resource.script_path == tmp_path / "web" / "main.py"
    assert app.resource.working_dir == tmp_path / "web"
    assert app.resource.command == sys.executable  # no venv next to the app: this interpreter
    mod = builder.add_python_app("worker", module="pkg.worker", interpreter="python3")
    assert mod.resource.entry_args() == ["-u", "-m", "pkg.worker"]
    assert mod.resource.command == "python3"
    with pytest.raises(ValueError, match="either a script path or module="):
        builder.add_python_app("bad", "a.py", module="m")
    c = builder.add_container("c", "nginx").with_bind_mount("static", "/usr/share/nginx/html", read_only=True)
    mount = c.resource.annotations.last(aspyre.annotations.ContainerMountAnnotation)
    assert mount == aspyre.annotations.ContainerMountAnnotation(
        str(tmp_path / "static"), "/usr/share/nginx/html", aspyre.annotations.ContainerMountType.BIND_MOUNT, True
    )


def test_one_path_rule_for_every_path(
    builder: aspyre.DistributedApplicationBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``~`` expanded, relative to the app host's directory, normalised lexically: the same in every method."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    assert builder.resolve_path("~/x") == home / "x"
    assert builder.resolve_path(Path("a/../b/./c")) == tmp_path / "b" / "c"
    assert builder.resolve_path("/opt/../srv/") == Path("/srv")
    assert builder.resolve_path("") == tmp_path
    with pytest.raises(ValueError, match="Cannot expand '~' in the path '~no-such-user-here/x'"):
        builder.resolve_path("~no-such-user-here/x")

    assert builder.add_executable("exe", "tool", working_dir="~/w").resource.working_dir == home / "w"
    app = builder.add_python_app("app", "~/svc/main.py", interpreter="~/py/bin/python")
    assert (app.resource.script_path, app.resource.working_dir) == (home / "svc" / "main.py", home / "svc")
    assert app.resource.command == str(home / "py" / "bin" / "python")
    app.with_working_directory("~/elsewhere")
    assert app.resource.working_dir == home / "elsewhere"
    app.with_dockerfile("~/svc", "../docker/Dockerfile.svc")
    build = app.resource.annotations.last(aspyre.annotations.DockerfileBuildAnnotation)
    assert build is not None
    assert (build.context, build.dockerfile) == (home / "svc", home / "docker" / "Dockerfile.svc")
    c = builder.add_container("c", "nginx").with_bind_mount("~/static", "/srv").with_dockerfile("ctx")
    assert c.resource.annotations.last(aspyre.annotations.ContainerMountAnnotation).source == str(home / "static")
    build = c.resource.annotations.last(aspyre.annotations.DockerfileBuildAnnotation)
    assert build is not None
    assert (build.context, build.dockerfile) == (tmp_path / "ctx", tmp_path / "ctx" / "Dockerfile")


def test_the_app_host_loader_follows_the_same_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aspyre._hosting._loading import resolve_app_host

    home = tmp_path / "home"
    (home / "proj").mkdir(parents=True)
    (home / "proj" / "apphost.py").write_text("")
    monkeypatch.setenv("HOME", str(home))
    assert resolve_app_host("~/proj").path == home / "proj" / "apphost.py"
    assert resolve_app_host("../home/proj/./apphost.py", base=tmp_path / "elsewhere").path == (
        home / "proj" / "apphost.py"
    )


def test_symbolic_links_in_paths_are_kept(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    """A venv's ``bin/python`` is a link to the base interpreter: following it would leave the venv."""
    venv_python = tmp_path / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    app = builder.add_python_app("app", "main.py", interpreter="venv/bin/python")
    assert app.resource.command == str(venv_python)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert builder.add_executable("exe", "tool", working_dir="link").resource.working_dir == tmp_path / "link"


def test_get_resource_ignores_case_and_names_the_known_ones(builder: aspyre.DistributedApplicationBuilder) -> None:
    with pytest.raises(KeyError, match="No resource named 'cache' in this app builder; its resources: none yet"):
        builder.get_resource("cache")
    cache = builder.add_container("Cache", "redis")
    builder.add_parameter("pw", secret=True)
    assert builder.get_resource("cache") is cache.resource
    assert builder.get_resource("CACHE") is cache.resource
    with pytest.raises(KeyError, match="No resource named 'db' in this app builder; its resources: 'Cache', 'pw'"):
        builder.get_resource("db")


def test_check_name_available(builder: aspyre.DistributedApplicationBuilder) -> None:
    aspyre.plugins.check_name_available(builder, "cache", aspyre.ContainerResource)
    builder.add_parameter("Cache-password", secret=True)
    aspyre.plugins.check_name_available(builder, "cache", "RedisResource")
    with pytest.raises(aspyre.DuplicateResourceError) as info:
        aspyre.plugins.check_name_available(builder, "cache-PASSWORD", aspyre.ParameterResource, hint="Pass password=.")
    assert str(info.value) == (
        "Cannot add resource of type ParameterResource with name 'cache-PASSWORD' because resource of type "
        "ParameterResource with that name already exists. Resource names are case-insensitive. Pass password=."
    )
    with pytest.raises(aspyre.InvalidNameError):
        aspyre.plugins.check_name_available(builder, "my_cache", "RedisResource")
    assert [r.name for r in builder.resources] == ["Cache-password"]


@pytest.mark.anyio
async def test_exclude_from_manifest_if_unused(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplicationBuilder(
        ["--publisher", "manifest", "--output-path", str(tmp_path / "out")], app_host_path=tmp_path / "apphost.py"
    )
    unused = builder.add_parameter("unused", secret=True, default=GenerateParameterDefault())
    used = builder.add_parameter("used", secret=True, default=GenerateParameterDefault())
    builder.add_container("c", "redis").with_environment("PASSWORD", used)
    for parameter in (unused, used):
        aspyre.plugins.exclude_from_manifest_if_unused(builder, parameter.resource)
    with pytest.raises(TypeError, match="takes a parameter resource"):
        aspyre.plugins.exclude_from_manifest_if_unused(builder, builder.resources[-1])  # type: ignore[arg-type]
    path = await builder.build().publish_async()
    assert list(json.loads(path.read_text())["resources"]) == ["used", "c"]


@pytest.mark.anyio
async def test_exclude_from_manifest_if_unused_leaves_run_mode_alone(
    builder: aspyre.DistributedApplicationBuilder,
) -> None:
    unused = builder.add_parameter("unused", "x")
    aspyre.plugins.exclude_from_manifest_if_unused(builder, unused.resource)
    app = builder.build()
    await app.eventing.publish(aspyre.events.BeforeStartEvent(app=app))
    assert unused.resource.annotations.last(aspyre.annotations.ManifestPublishingCallbackAnnotation) is None


def test_python_app_uses_the_venv_next_to_it(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    venv_python = tmp_path / "svc" / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    assert builder.add_python_app("svc", "svc/app.py").resource.command == str(venv_python)
    with pytest.raises(FileNotFoundError, match="has no Python interpreter"):
        builder.add_python_app("other", "other/app.py", venv="missing-venv")


def test_endpoints(builder: aspyre.DistributedApplicationBuilder) -> None:
    c = (
        builder.add_container("c", "nginx")
        .with_http_endpoint(port=8080, target_port=80)
        .with_https_endpoint(target_port=443)
    )
    eps = c.resource.annotations.all(aspyre.annotations.EndpointAnnotation)
    assert [(e.name, e.scheme, e.port, e.target_port, e.transport, e.tls_enabled) for e in eps] == [
        ("http", "http", 8080, 80, "http", False),
        ("https", "https", None, 443, "http", True),
    ]
    c.with_external_http_endpoints()
    assert all(e.is_external for e in eps)
    with pytest.raises(ValueError, match="needs target_port"):
        c.with_endpoint(name="x")
    exe = builder.add_executable("exe", "python").with_endpoint(port=9000, name="tcp")
    assert exe.get_endpoint("tcp").annotation.target_port == 9000  # port alone, no env=: no proxy, the same port
    proxied = exe.with_endpoint(port=1, target_port=2, name="other").get_endpoint("other").annotation
    assert (proxied.port, proxied.target_port) == (1, 2)  # the proxy listens on 1, the process on 2
    assert exe.with_endpoint(port=3, env="P3", name="third").get_endpoint("third").annotation.target_port is None
    with pytest.raises(ValueError, match="is not proxied"):
        exe.with_endpoint(port=1, target_port=2, name="direct", is_proxied=False)
    udp = exe.with_endpoint(target_port=53, protocol=aspyre.EndpointProtocol.UDP).get_endpoint("udp").annotation
    assert (udp.scheme, udp.transport) == ("udp", "udp")
    with pytest.raises(ValueError, match="must be an int between 1 and 65535"):
        exe.with_endpoint(port=70000, name="big")


def test_health_checks(builder: aspyre.DistributedApplicationBuilder) -> None:
    def check(ctx: aspyre.HealthCheckContext) -> bool:
        return True

    builder.add_health_check("shared", check)
    with pytest.raises(ValueError, match="already registered"):
        builder.add_health_check("shared", check)
    api = builder.add_executable("api", "python").with_health_check("shared")
    with pytest.raises(ValueError, match="has no 'http' or 'https' endpoint"):
        api.with_http_health_check("/health")
    api.with_https_endpoint()
    api.with_http_health_check("health", 204)
    keys = [h.key for h in api.resource.annotations.all(aspyre.annotations.HealthCheckAnnotation)]
    assert keys == ["shared", "api_https_/health_204_check"]
    with pytest.raises(ValueError, match="already has a health check 'shared'"):
        api.with_health_check("shared")
    with pytest.raises(KeyError, match="No health check registered as 'nope'"):
        api.with_health_check("nope")


def test_event_shortcuts_subscribe_for_the_resource(builder: aspyre.DistributedApplicationBuilder) -> None:
    def handler(event: object) -> None:
        return None

    api = builder.add_executable("api", "python")
    api.on_initialize_resource(handler).on_before_resource_started(handler).on_resource_ready(handler)
    api.on_resource_endpoints_allocated(handler).on_connection_string_available(handler).on_resource_stopped(handler)
    subs = builder.eventing._subscriptions
    assert [s.event_type for s in subs] == [
        aspyre.events.InitializeResourceEvent,
        aspyre.events.BeforeResourceStartedEvent,
        aspyre.events.ResourceReadyEvent,
        aspyre.events.ResourceEndpointsAllocatedEvent,
        aspyre.events.ConnectionStringAvailableEvent,
        aspyre.events.ResourceStoppedEvent,
    ]
    assert all(s.resource is api.resource and s.handler is handler for s in subs)


# --------------------------------------------------------------------------- parameters


def test_parameter_from_code_env_and_default(
    builder: aspyre.DistributedApplicationBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("Parameters__from-env", "e1")
    monkeypatch.setenv("Parameters__under_score", "e2")
    monkeypatch.setenv("Parameters__in-code", "ignored")
    assert builder.add_parameter("from-env").resource.value == "e1"
    # Aspire falls back to the key with '-' written as '_' (shells cannot export a '-').
    under = builder.add_parameter("under-score").resource
    assert under.value == "e2"
    assert under.value_source == "environment variable Parameters__under_score"
    assert builder.add_parameter("in-code", "c").resource.value == "c"
    assert builder.add_parameter("with-default", default="d").resource.value == "d"
    missing = builder.add_parameter("missing", secret=True).resource
    with pytest.raises(aspyre.MissingParameterValueError, match="Set the environment variable Parameters__missing"):
        _ = missing.value
    monkeypatch.setenv("Parameters__missing", "late")
    assert missing.value == "late"  # looked up again until found
    with pytest.raises(ValueError, match="cannot be published as the manifest default"):
        builder.add_parameter("both", "x", secret=True, publish_value_as_default=True)


def test_generated_parameter_is_persisted(tmp_path: Path) -> None:
    app_host = tmp_path / "apphost.py"
    first = aspyre.DistributedApplicationBuilder([], app_host_path=app_host)
    spec = GenerateParameterDefault(min_length=30, special=False)
    pw = first.add_parameter("db-password", secret=True, default=spec).resource
    value = pw.value
    assert len(value) == 30
    assert value.isalnum()
    assert pw.value_source is not None
    assert pw.value_source.startswith("generated, saved in")

    store = first.secrets_store
    assert store.path.parent == Path(os.environ["ASPYRE_SECRETS_DIR"])  # isolated by tests/conftest.py
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    data = json.loads(store.path.read_text())
    assert data == {"app_host": str(app_host), "parameters": {"db-password": value}}

    # A new builder for the same app host (the next run) gets the same value...
    second = aspyre.DistributedApplicationBuilder([], app_host_path=app_host)
    again = second.add_parameter("db-password", secret=True, default=spec).resource
    assert again.value == value
    assert again.value_source == f"secrets store {store.path}"
    # ...another app host does not.
    other = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "other.py")
    assert other.add_parameter("db-password", secret=True, default=spec).resource.value != value


def test_publish_mode_does_not_persist_generated_values(tmp_path: Path) -> None:
    b = aspyre.DistributedApplicationBuilder(["--publisher", "manifest"], app_host_path=tmp_path / "apphost.py")
    p = b.add_parameter("pw", secret=True, default=GenerateParameterDefault()).resource
    assert len(p.value) == 22
    assert not b.secrets_store.path.exists()


def test_secrets_store(tmp_path: Path) -> None:
    store = aspyre.plugins.SecretsStore(tmp_path / "apphost.py", tmp_path / "store")
    assert store.get("a") is None
    store.set("a", "1")
    store.set("b", "2")
    assert (store.get("a"), store.get("b")) == ("1", "2")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    store.delete("a")
    assert store.get("a") is None
    assert store.get("b") == "2"
    store.set_all({"c": "3"})
    assert (store.get("b"), store.get("c")) == (None, "3")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in store.directory.iterdir()] == [store.path.name]  # no temporary files left
    store.path.write_text("{not json")
    with pytest.raises(RuntimeError, match="cannot be read"):
        store.get("c")


def test_secrets_directory_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ASPYRE_SECRETS_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = aspyre.plugins.SecretsStore(tmp_path / "apphost.py")
    assert store.directory == tmp_path / "data" / "aspyre" / "secrets"


def test_generated_values() -> None:
    spec = GenerateParameterDefault(min_length=8, min_upper=3, min_numeric=3, min_special=2)
    for _ in range(50):
        v = spec.generate()
        assert len(v) >= 8
        assert sum(c.isupper() for c in v) >= 3
        assert sum(c.isdigit() for c in v) >= 3
        assert sum(c in "-_.~" for c in v) >= 2
        assert v[0] not in "-_.~"
    assert len(GenerateParameterDefault(min_length=1, min_lower=5).generate()) == 5
    with pytest.raises(ValueError, match="at least one character class"):
        GenerateParameterDefault(lower=False, upper=False, numeric=False, special=False).generate()
    assert os.environ.get("ASPYRE_SECRETS_DIR")  # the autouse fixture isolates the store
