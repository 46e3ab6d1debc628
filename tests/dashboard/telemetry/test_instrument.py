"""Zero-code telemetry: an unmodified Python app in a virtual environment with ``opentelemetry-distro`` and
the redis instrumentation runs through ``opentelemetry-instrument`` under ``aspyre run``; its Redis calls
arrive as spans and its log records as logs, seen through the API and in a real browser.

The environment is made once (cached under ``.venv/aspyre-tests/``): a virtual environment that sees the
development environment's packages (the OpenTelemetry SDK and exporters, redis-py) through a ``.pth`` file,
plus the launcher and the instrumentation from PyPI, at the versions matching the installed SDK. Without
PyPI the test skips, and fails instead under ``ASPYRE_REQUIRE_DOCKER=1`` (CI, which reaches PyPI).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..helpers import ROOT, AppHost, dashboard_env, resources, signed_in, wait_until

pytestmark = pytest.mark.docker

PLAIN = Path(__file__).resolve().parent / "apphosts" / "plain.py"
REQUIRE = os.environ.get("ASPYRE_REQUIRE_DOCKER") == "1"


def instrumented_venv() -> Path:
    """A virtual environment with ``opentelemetry-instrument`` (made once per instrumentation version).

    Test sessions running at once in one checkout may all find it missing: each builds its own in a directory of
    its own and renames it into place; the first rename wins, the others discard theirs and use it.
    """
    version = importlib.metadata.version("opentelemetry-semantic-conventions")  # 0.NNbN, as the instrumentations
    target = ROOT / ".venv" / "aspyre-tests" / f"otel-instrument-{version}"
    if (target / "bin" / "opentelemetry-instrument").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"{target.name}.building-", dir=target.parent))
    building.chmod(0o755)  # as a directory made by mkdir (mkdtemp makes it private)
    aside = building.with_name(f"{building.name}.broken")
    try:
        _build_instrumented_venv(building, target, version)
        if target.exists() and not (target / "bin" / "opentelemetry-instrument").exists():
            with contextlib.suppress(OSError):  # an unfinished one (an interrupted run): moved aside, then removed
                target.rename(aside)
        try:
            building.rename(target)
        except OSError:  # another session's is in place already (a non-empty directory is never replaced)
            if not (target / "bin" / "opentelemetry-instrument").exists():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)
    return target


def _build_instrumented_venv(building: Path, target: Path, version: str) -> None:
    """The environment :func:`instrumented_venv` renames to ``target``, made in ``building``."""
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(building)
    purelib = subprocess.run(
        [str(building / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "aspyre-dev.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    packages = [f"opentelemetry-distro=={version}", f"opentelemetry-instrumentation-redis=={version}"]
    pip = [sys.executable, "-m", "pip", "--python", str(building / "bin" / "python"), "install", "--quiet", *packages]
    done = subprocess.run(pip, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        problem = f"could not install {' '.join(packages)} from PyPI: {done.stderr.strip()[-500:]}"
        if REQUIRE:
            pytest.fail(f"ASPYRE_REQUIRE_DOCKER=1 but {problem}")
        pytest.skip(problem)
    # The scripts' first line names the building directory: rewrite it for the final place.
    for script in (building / "bin").iterdir():
        if script.is_file() and not script.is_symlink() and script.read_bytes().startswith(b"#!"):
            script.write_text(script.read_text().replace(str(building), str(target)))


@pytest.fixture(scope="module")
def host() -> Iterator[AppHost]:
    app_host = AppHost(PLAIN, env=dashboard_env(PLAIN_VENV=str(instrumented_venv())))
    try:
        app_host.wait_for_dashboard()
        yield app_host
    finally:
        app_host.stop()


@pytest.fixture(scope="module")
def client(host: AppHost) -> Iterator[httpx.Client]:
    with signed_in(host) as c:
        yield c


def test_an_unmodified_app_sends_spans_and_logs_through_the_launcher(client: httpx.Client) -> None:
    plain = wait_until(lambda: resources(client).get("plain", {}).get("state") == "Running" and resources(client), "plain")
    properties = {p["name"]: p["value"] for p in plain["plain"]["properties"]}
    assert Path(properties["executable.path"]).name == "opentelemetry-instrument"  # the launcher runs the interpreter
    args = properties["executable.args"]
    assert Path(args[0]).parent.name == "bin" and args[1:3] == ["-u", str(PLAIN.parent.parent / "apps" / "plain.py")]

    def redis_spans() -> list[dict[str, Any]]:
        listed = client.get("/api/telemetry/traces", params={"resource": "plain"}).json()["items"]
        return [t for t in listed if t["name"] == "INCRBY"]  # redis-py sends incr() as INCRBY

    traces = wait_until(redis_spans, "the INCRBY spans of the unmodified app")
    detail = client.get(f"/api/telemetry/traces/{traces[0]['traceId']}").json()
    (span,) = detail["spans"]
    assert span["resource"] == "plain" and span["kind"] == "client"
    assert ["db.system", "redis"] in span["attributes"] or ["db.system.name", "redis"] in span["attributes"]
    assert span["instance"].startswith("plain-")  # service.instance.id injected by aspyre

    def visits() -> list[dict[str, Any]]:
        return list(client.get("/api/telemetry/logs", params={"resource": "plain", "q": "visit number"}).json()["items"])

    logs = wait_until(visits, "the unmodified app's log records")
    assert logs[0]["level"] == "Warning" and logs[0]["message"].startswith("visit number ")
    assert logs[0]["traceId"] in ("", None)  # logged outside any span


def test_the_traces_page_shows_them(context: Any, host: AppHost, client: httpx.Client) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(host.login_url)
    page.locator("#nav .nav-item[data-page='traces']").click()
    page.wait_for_selector("#traces-table tr.tl-row[data-trace] >> text=INCRBY")
    assert errors == []
