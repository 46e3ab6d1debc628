"""A corpus of malformed app hosts: each must fail while the model is built (at the builder call or at
``build()``), with a message that names the resource and says what to do, and never later with a raw
error from Docker or the operating system.

Every case is a real app host file loaded by :func:`aspyre.testing.load_app_host` (the path ``aspyre
run``, ``aspyre describe`` and the pytest plugin take); a few also go through the ``aspyre`` command to
check what a person sees. Nothing here reaches a container engine: an error that only Docker would
report would not be raised at all, and the case would fail.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
import traceback
from pathlib import Path

import pytest

import aspyre.testing

from .helpers import ASPYRE

pytestmark = pytest.mark.reliability

#: ``(case id, app host body after ``builder = ...``, resource named, what to do (a regex))``.
CASES: list[tuple[str, str, str, str]] = [
    # -- images: the docker/distribution reference grammar ----------------------------------------------
    ("image-uppercase", 'builder.add_container("web", "Redis")', "web", r"lower-case.*'redis'"),
    ("image-uppercase-path", 'builder.add_container("web", "docker.io/library/Redis:8.6")', "web", r"lower-case"),
    ("image-space", 'builder.add_container("web", "my image")', "web", r"whitespace|character"),
    ("image-empty-tag", 'builder.add_container("web", "redis:")', "web", r"tag"),
    ("image-bad-tag-arg", 'builder.add_container("web", "redis", tag="-latest")', "web", r"tag"),
    ("image-long-tag", 'builder.add_container("web", "redis", tag="x" * 129)', "web", r"128"),
    ("image-double-separator", 'builder.add_container("web", "my___image")', "web", r"separat"),
    ("image-trailing-dash", 'builder.add_container("web", "image-")', "web", r"end"),
    ("image-too-long", 'builder.add_container("web", "a" * 256)', "web", r"255"),
    ("image-short-digest", 'builder.add_container("web", "redis@sha256:abc")', "web", r"64"),
    ("image-other-digest", 'builder.add_container("web", "redis@md5:" + "a" * 32)', "web", r"sha256"),
    ("image-bad-registry-port", 'builder.add_container("web", "registry:port/redis")', "web", r"port|registry"),
    ("image-not-a-str", 'builder.add_container("web", 42)', "web", r"str"),
    ("with-image-tag", 'builder.add_container("web", "redis").with_image_tag("8.6 beta")', "web", r"tag"),
    ("with-image-registry", 'builder.add_container("web", "redis").with_image_registry("my registry")', "web", r"registry"),
    ("with-image-sha256", 'builder.add_container("web", "redis").with_image_sha256("xyz")', "web", r"64"),
    (
        "image-annotation-from-a-plugin",
        'builder.add_container("web", "redis").with_annotation(aspyre.annotations.ContainerImageAnnotation("Redis"), '
        "aspyre.annotations.MutationBehavior.REPLACE)",
        "web",
        r"lower-case",
    ),
    # -- volumes, bind mounts, container names ----------------------------------------------------------
    ("volume-int", 'builder.add_container("db", "postgres").with_volume(123)', "db", r"str"),
    ("volume-bad-name", 'builder.add_container("db", "postgres").with_volume("my data", "/data")', "db", r"\[a-zA-Z0-9\]"),
    ("volume-one-char", 'builder.add_container("db", "postgres").with_volume("d", "/data")', "db", r"two characters|2 characters"),
    ("volume-slash-name", 'builder.add_container("db", "postgres").with_volume("a/b", "/data")', "db", r"with_bind_mount"),
    ("volume-root-target", 'builder.add_container("db", "postgres").with_volume("data", "/")', "db", r"'/'"),
    ("volume-target-int", 'builder.add_container("db", "postgres").with_volume("data", 5)', "db", r"str"),
    (
        "volume-annotation-from-a-plugin",
        'builder.add_container("db", "postgres").with_annotation(aspyre.annotations.ContainerMountAnnotation("-x", '
        '"/data", aspyre.annotations.ContainerMountType.VOLUME))',
        "db",
        r"\[a-zA-Z0-9\]",
    ),
    ("bind-relative-target", 'builder.add_container("db", "postgres").with_bind_mount(".", "data")', "db", r"absolute"),
    ("bind-source-int", 'builder.add_container("db", "postgres").with_bind_mount(7, "/data")', "db", r"path"),
    ("container-name", 'builder.add_container("db", "postgres").with_container_name("my db")', "db", r"\[a-zA-Z0-9\]"),
    ("network-alias", 'builder.add_container("db", "postgres").with_container_network_alias("")', "db", r"alias"),
    ("entrypoint-list", 'builder.add_container("db", "postgres").with_entrypoint(["sh", "-c"])', "db", r"with_args"),
    ("lifetime", 'builder.add_container("db", "postgres").with_lifetime("forever")', "db", r"persistent"),
    ("pull-policy", 'builder.add_container("db", "postgres").with_image_pull_policy("sometimes")', "db", r"missing"),
    # -- container runtime arguments ---------------------------------------------------------------------
    (
        "runtime-args-list",
        'builder.add_container("db", "postgres").with_container_runtime_args(["--cpus", "1"])',
        "db",
        r"\*",
    ),
    ("runtime-args-unknown", 'builder.add_container("db", "postgres").with_container_runtime_args("--bogus")', "db", r"supported flags"),
    ("runtime-args-managed", 'builder.add_container("db", "postgres").with_container_runtime_args("-e", "A=1")', "db", r"with_environment"),
    ("runtime-args-no-value", 'builder.add_container("db", "postgres").with_container_runtime_args("--memory")', "db", r"needs a value"),
    ("runtime-args-bad-value", 'builder.add_container("db", "postgres").with_container_runtime_args("--memory=lots")', "db", r"512m"),
    ("runtime-args-reserved-label", 'builder.add_container("db", "postgres").with_container_runtime_args("-l", "aspyre.x=1")', "db", r"reserved"),
    ("runtime-args-not-a-flag", 'builder.add_container("db", "postgres").with_container_runtime_args("redis-server")', "db", r"with_args"),
    (
        "runtime-args-annotation-from-a-plugin",
        'builder.add_container("db", "postgres").with_annotation(aspyre.annotations.ContainerRuntimeArgsAnnotation(("--cpus=many",)))',
        "db",
        r"--cpus",
    ),
    # -- environment and arguments -------------------------------------------------------------------------
    ("env-5mb", 'builder.add_executable("api", "python").with_environment("BIG", "x" * 5_000_000)', "api", r"BIG.*file"),
    (
        "env-many-large",
        'b = builder.add_executable("api", "python")\nfor i in range(70):\n    b.with_environment(f"V{i}", "x" * 100_000)',
        "api",
        r"ARG_MAX|at most",
    ),
    ("env-container-5mb", 'builder.add_container("db", "postgres").with_environment("BIG", "x" * 5_000_000)', "db", r"BIG.*file"),
    ("args-5mb", 'builder.add_executable("api", "python", "-c", "x" * 5_000_000)', "api", r"argument.*file"),
    ("env-list-value", 'builder.add_executable("api", "python").with_environment("X", ["a", "b"])', "api", r"'X'.*str"),
    ("env-none-value", 'builder.add_executable("api", "python").with_environment("X", None)', "api", r"'X'"),
    ("env-name-int", 'builder.add_executable("api", "python").with_environment(5, "v")', "api", r"name"),
    ("args-list", 'builder.add_executable("api", "python").with_args(["-m", "http.server"])', "api", r"\*"),
    ("args-none", 'builder.add_executable("api", "python").with_args(None)', "api", r"None"),
    ("executable-command-int", 'builder.add_executable("api", 3)', "api", r"command.*str"),
    ("working-directory-int", 'builder.add_executable("api", "python").with_working_directory(3)', "api", r"path"),
    ("python-app-script-int", 'builder.add_python_app("api", 3)', "api", r"path"),
    ("connection-property-name", 'builder.add_connection_string("cs", "x").with_connection_property(1, "v")', "cs", r"name"),
    ("reference-connection-name-int", 'c = builder.add_connection_string("cs", "x")\nbuilder.add_executable("api", "python").with_reference(c, connection_name=5)', "api", r"connection_name.*str"),
    ("parameter-default-int", 'builder.add_parameter("port", default=8080)', "port", r"default.*str"),
    # -- endpoints -----------------------------------------------------------------------------------------
    ("endpoint-port-str", 'builder.add_executable("api", "python").with_http_endpoint(port="8080")', "api", r"int"),
    ("endpoint-port-range", 'builder.add_executable("api", "python").with_http_endpoint(port=70000)', "api", r"65535"),
    ("endpoint-port-bool", 'builder.add_executable("api", "python").with_http_endpoint(port=True)', "api", r"int"),
    ("endpoint-scheme-int", 'builder.add_executable("api", "python").with_endpoint(port=80, scheme=1)', "api", r"scheme.*str"),
    ("endpoint-protocol", 'builder.add_executable("api", "python").with_endpoint(port=80, protocol="quic")', "api", r"tcp"),
    ("endpoint-env-int", 'builder.add_executable("api", "python").with_http_endpoint(env=1)', "api", r"env"),
    # -- lifecycle, health ---------------------------------------------------------------------------------
    ("wait-for-completion-exit-code", 'd = builder.add_executable("job", "true")\nbuilder.add_executable("api", "python").wait_for_completion(d, exit_code="0")', "api", r"exit_code.*int"),
    ("health-check-path-int", 'builder.add_executable("api", "python").with_http_endpoint(port=8000).with_http_health_check(path=5)', "api", r"path.*str"),
    ("health-check-status-str", 'builder.add_executable("api", "python").with_http_endpoint(port=8000).with_http_health_check(status_code="200")', "api", r"status_code.*int"),
    ("command-not-callable", 'builder.add_executable("api", "python").with_command("go", "Go", "not callable")', "api", r"callable"),
    ("event-handler-not-callable", 'builder.add_executable("api", "python").on_resource_ready("nope")', "api", r"callable"),
    ("url-int", 'builder.add_executable("api", "python").with_url(8080)', "api", r"url.*str"),
    ("initial-state-str", 'builder.add_executable("api", "python").with_initial_state("Running")', "api", r"ResourceSnapshot"),
    ("relationship-type-int", 'o = builder.add_executable("other", "python")\nbuilder.add_executable("api", "python").with_relationship(o, 3)', "api", r"type.*str"),
    ("reference-environment-str", 'builder.add_executable("api", "python").with_reference_environment("all")', "api", r"ReferenceEnvironmentFlags"),
    # -- integrations (plugins) ----------------------------------------------------------------------------
    ("redis-bad-volume", 'builder.add_redis("cache").with_data_volume("my cache")', "cache", r"\[a-zA-Z0-9\]"),
    ("postgres-runtime-args", 'builder.add_postgres("pg").with_container_runtime_args("--memory")', "pg", r"needs a value"),
    ("redis-image-tag", 'builder.add_redis("cache").with_image_tag("latest!")', "cache", r"tag"),
]

#: Exceptions that mean "a check of ours spoke": anything else (AttributeError, OSError, a docker error...)
#: is a raw error from somewhere deeper.
OURS = (ValueError, TypeError, LookupError)


def load(tmp_path: Path, body: str) -> BaseException:
    path = tmp_path / "apphost.py"
    path.write_text(
        "import aspyre\n\nbuilder = aspyre.DistributedApplication.create_builder()\n"
        + textwrap.dedent(body).strip()
        + "\nbuilder.build().run()\n"
    )
    with pytest.raises(BaseException) as info:
        aspyre.testing.load_app_host(path)
    return info.value


@pytest.mark.parametrize(("body", "resource", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_malformed_app_host_fails_while_building_with_a_clear_message(
    tmp_path: Path, body: str, resource: str, fix: str
) -> None:
    exc = load(tmp_path, body)
    where = "".join(traceback.format_exception(exc))
    assert isinstance(exc, OURS), f"not one of our errors: {type(exc).__name__}\n{where}"
    assert not isinstance(exc, (OSError, KeyError)), where
    for e in (exc.__cause__, exc.__context__):
        assert e is None or type(e).__module__.split(".")[0] not in {"docker", "requests", "urllib3"}, where
    message = str(exc)
    assert f"'{resource}'" in message, f"the message does not name resource {resource!r}: {message}"
    assert re.search(fix, message, re.DOTALL), f"the message does not say what to do ({fix!r}): {message}"
    assert len(message) < 2000, "a clear message is short"


def test_the_corpus_is_large_and_covers_every_family() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)
    families = {
        "image": ("add_container", "with_image"),
        "mounts": ("with_volume", "with_bind_mount"),
        "container": ("with_container_name", "with_container_network_alias", "with_entrypoint", "with_lifetime"),
        "runtime args": ("with_container_runtime_args",),
        "environment": ("with_environment",),
        "args": ("with_args", "add_executable"),
        "endpoints": ("with_endpoint", "with_http_endpoint"),
        "lifecycle": ("wait_for_completion", "with_command", "on_resource_ready", "with_url", "with_relationship"),
        "health": ("with_http_health_check",),
        "integrations": ("add_redis", "add_postgres"),
        "annotations from plugins": ("with_annotation",),
    }
    for family, methods in families.items():
        assert any(m in c[1] for c in CASES for m in methods), family


#: Cases also run through the ``aspyre`` command (one per way of failing: at a call, at build(), in a plugin).
CLI_CASES = ["image-uppercase", "runtime-args-annotation-from-a-plugin", "env-5mb", "redis-bad-volume"]


@pytest.mark.parametrize("case", CLI_CASES)
def test_the_command_shows_the_message_with_the_app_hosts_lines_only(tmp_path: Path, case: str) -> None:
    (body, resource, fix) = next(c[1:] for c in CASES if c[0] == case)
    (tmp_path / "apphost.py").write_text(
        "import aspyre\n\nbuilder = aspyre.DistributedApplication.create_builder()\n"
        + textwrap.dedent(body).strip()
        + "\nbuilder.build().run()\n"
    )
    done = subprocess.run(
        [str(ASPYRE), "describe", "apphost.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "failed while building its model" in done.stderr
    files = re.findall(r'File "([^"]+)"', done.stderr)
    assert files, done.stderr
    assert files[0].endswith("apphost.py"), done.stderr
    core = str(Path(aspyre.__file__).parent)
    for f in files:  # the app host's lines (and an integration's), never aspyre's, docker's or the OS's
        assert not f.startswith(core) and not re.search(r"[/\\](docker|urllib3|requests)[/\\]", f), done.stderr
    assert f"'{resource}'" in done.stderr
    assert re.search(fix, done.stderr, re.DOTALL)
