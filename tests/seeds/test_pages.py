"""The pages' own examples, as docs/concepts.md writes them in Python, run for real: the Redis example (a derived
container resource with a free-standing password parameter, a named health check fed by the connection string,
persistence by annotation) against a real Redis, with redis-py in a process that references it."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

CONCEPTS = Path(__file__).resolve().parents[2] / "docs" / "concepts.md"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

CLIENT = """
import os, redis
address, _, password = os.environ["ConnectionStrings__cache"].partition(",password=")
host, _, port = address.rpartition(":")
client = redis.Redis(host=host, port=int(port), password=password)
print(client.ping(), client.config_get("save")["save"], client.config_get("requirepass")["requirepass"] == password)
"""


def page_block(first_line: str) -> str:
    """The python block of docs/concepts.md that starts with ``first_line``."""
    found = [b for b in FENCE.findall(CONCEPTS.read_text(encoding="utf-8")) if b.startswith(first_line)]
    assert len(found) == 1, f"docs/concepts.md has {len(found)} blocks starting with {first_line!r}"
    return found[0]


def test_the_block_is_found() -> None:
    assert "def add_redis(" in page_block("# The page's Redis example.")


async def test_the_pages_redis_example_runs(app_host: Path, docker_client: Any) -> None:
    namespace: dict[str, Any] = {"__name__": "page_redis"}
    exec(compile(page_block("# The page's Redis example."), str(CONCEPTS), "exec"), namespace)
    add_redis, persistence = namespace["add_redis"], namespace["PersistenceAnnotation"]

    builder = aspyre.DistributedApplication.create_builder([], app_host_path=app_host)
    cache = add_redis(builder, "cache").with_annotation(persistence(60, 100))
    client = builder.add_executable("client", sys.executable, "-c", CLIENT).with_reference(cache).wait_for(cache)
    app = builder.build()
    app.options.stop_grace_period = 1  # the page's "sh -c redis-server" leaves SIGTERM to a shell that ignores it
    password = app.model["cache-password"]
    assert isinstance(password, aspyre.ParameterResource) and password.secret  # adopted by build()
    async with app:
        with anyio.fail_after(90):
            done = await app.resource_notifications.wait_for_resource(client.resource, S.FINISHED)
        lines = [line.content for line in app.resource_loggers.backlog("client")]
        cache_snapshot = app.resource_notifications.get_snapshot("cache")
        connection_string = await app.get_connection_string("cache")
    assert done.exit_code == 0, lines
    assert lines == ["True 60 100 True"], lines
    assert cache_snapshot is not None and cache_snapshot.health_status is aspyre.HealthStatus.HEALTHY
    (report,) = cache_snapshot.health_reports
    assert report.name == "cache_check" and report.description is not None and report.description.endswith("PONG")
    assert connection_string is not None and connection_string.endswith(f",password={password.value}")
    assert len(password.value) == 22
