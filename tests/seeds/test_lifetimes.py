"""Lifetimes: parameters and connection strings are resources without a lifetime (``IResourceWithoutLifetime``):
no process, no start or stop, and waits on them are skipped, unless they have health checks (an external
service behind a connection string: see test_health_checks.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S
from aspyre import ReferenceExpression

from .helpers import run_builder, wait_state

pytestmark = pytest.mark.anyio


def test_parameters_and_connection_strings_have_no_lifetime(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    without = [
        builder.add_parameter("p", "v").resource,
        builder.add_connection_string("from-outside").resource,
        builder.add_connection_string("composed", ReferenceExpression.format("x")).resource,
    ]
    with_lifetime = [
        builder.add_container("c", "redis:7.0").resource,
        builder.add_executable("e", "python").resource,
    ]
    assert all(isinstance(r, aspyre.IResourceWithoutLifetime) for r in without)
    assert not any(isinstance(r, aspyre.IResourceWithoutLifetime) for r in with_lifetime)


async def test_a_wait_on_a_parameter_is_skipped_and_a_missing_value_fails_the_waiter(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    key = builder.add_parameter("api-key")  # no value anywhere
    builder.add_executable("worker", sys.executable, "-c", "pass").with_environment("KEY", key).wait_for(key)
    app = builder.build()
    async with app:
        # Before, the worker waited forever for a parameter whose state is "Value missing".
        await wait_state(app, "worker", S.FAILED_TO_START, timeout=10)
        lines = [line.content for line in app.resource_loggers.backlog("worker")]
    assert any("'api-key' have no value" in line and "Parameters__api-key" in line for line in lines), lines


async def test_no_start_or_stop_for_a_resource_without_lifetime(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    builder.add_parameter("p", "v")
    app = builder.build()
    async with app:
        with pytest.raises(TypeError, match="neither a container nor a process"):
            await app.start_resource("p")
        await app.stop_resource("p")  # nothing to stop: a no-op
        snapshot = app.resource_notifications.get_snapshot("p")
        assert snapshot is not None and snapshot.state_text == S.RUNNING


SLOW_SERVER = """
import http.server, os, time
time.sleep(2)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


async def test_waiting_for_a_composed_connection_string_waits_for_what_it_names(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    api = builder.add_executable("api", sys.executable, "-c", SLOW_SERVER).with_http_endpoint(env="PORT")
    api.with_http_health_check("/")
    link = builder.add_connection_string("api-link", ReferenceExpression.format("Url={}", api.get_endpoint("http")))
    builder.add_executable("worker", sys.executable, "-c", "import time; time.sleep(30)").with_reference(
        link
    ).wait_for(link)
    app = builder.build()
    async with app:
        await wait_state(app, "worker", S.RUNNING)
        # The worker started only once the api (which listens after 2 s) answered its health check.
        api_snapshot = app.resource_notifications.get_snapshot("api")
        assert api_snapshot is not None and api_snapshot.health_status is aspyre.HealthStatus.HEALTHY
        with anyio.fail_after(5):
            link_snapshot = await app.resource_notifications.wait_for_resource("api-link", S.RUNNING)
    assert link_snapshot.state_text == S.RUNNING
