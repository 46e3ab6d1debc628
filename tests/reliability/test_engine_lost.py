"""The container engine goes away mid-run and comes back: containers show it, the rest runs, all recovers."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import anyio
import docker.errors
import pytest

import aspyre
from aspyre import KnownResourceStates as S

from .engine_proxy import EngineProxy

pytestmark = [pytest.mark.reliability, pytest.mark.anyio, pytest.mark.docker]

COUNTER = 'i=0; while :; do i=$((i+1)); echo "n $i"; sleep 0.2; done'
TICKER = "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.05)"


def _numbers(app: aspyre.DistributedApplication, name: str) -> list[int]:
    return [int(m.group(1)) for x in app.resource_loggers.backlog(name) if (m := re.fullmatch(r"n (\d+)", x.content))]


def _lines(app: aspyre.DistributedApplication, name: str) -> list[str]:
    return [x.content for x in app.resource_loggers.backlog(name)]


async def test_the_engine_going_away_and_coming_back(
    tmp_path: Path, app_host: Path, docker_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EngineProxy(tmp_path / "engine.sock") as proxy:
        monkeypatch.setenv("DOCKER_HOST", proxy.docker_host)
        b = aspyre.DistributedApplication.create_builder([], app_host_path=app_host)
        b.add_container("box", "redis", "7").with_entrypoint("/bin/sh").with_args("-c", COUNTER)
        b.add_executable("ticker", sys.executable, "-c", TICKER)
        app = b.build()
        app.options.stop_grace_period = 2
        watch = app.resource_notifications
        with anyio.fail_after(90):
            async with app:
                running = await watch.wait_for_resource("box", S.RUNNING)
                container_id = running.property_value("container.id")
                await watch.wait_for_resource("ticker", S.RUNNING)
                while not _numbers(app, "box"):
                    await anyio.sleep(0.05)

                proxy.lose()
                lost = await watch.wait_for_resource("box", S.RUNTIME_UNHEALTHY)
                assert lost.property_value("container.id") == container_id
                said = [x for x in _lines(app, "box") if "container engine" in x]
                assert len(said) == 1, said
                assert said[0].startswith("Lost the connection to the container engine"), said
                assert "connection refused" in said[0] or "connection was dropped" in said[0], said
                assert not any("Traceback" in x or "urllib3" in x for x in _lines(app, "box"))
                # the rest of the app runs on
                ticks = len(_lines(app, "ticker"))
                await anyio.sleep(1.0)
                assert len(_lines(app, "ticker")) > ticks
                assert watch.get_snapshot("ticker").state_text == S.RUNNING  # type: ignore[union-attr]
                assert watch.get_snapshot("box").state_text == S.RUNTIME_UNHEALTHY  # type: ignore[union-attr]
                before = max(_numbers(app, "box"))

                proxy.restore()
                back = await watch.wait_for_resource("box", S.RUNNING)
                assert back.property_value("container.id") == container_id  # the same container, followed again
                assert any(x.startswith("The container engine is back") for x in _lines(app, "box"))
                while max(_numbers(app, "box")) <= before + 3:
                    await anyio.sleep(0.05)
                # what it wrote while the engine was away is read back from the engine's log: each line once, in order
                numbers = _numbers(app, "box")
                assert numbers == list(range(1, max(numbers) + 1)), numbers
        final = watch.get_snapshot("box")
        assert final is not None and final.state_text == S.EXITED
    assert app.failed_resources == []
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_container(container_id)  # a session container: removed at the end


async def test_stopping_the_app_while_the_engine_is_away(
    tmp_path: Path, app_host: Path, docker_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EngineProxy(tmp_path / "engine.sock") as proxy:
        monkeypatch.setenv("DOCKER_HOST", proxy.docker_host)
        b = aspyre.DistributedApplication.create_builder([], app_host_path=app_host)
        b.add_container("box", "redis", "7").with_entrypoint("/bin/sh").with_args("-c", COUNTER)
        b.add_container("later", "redis", "7").with_entrypoint("/bin/sh").with_args("-c", COUNTER).with_explicit_start()
        b.add_executable("ticker", sys.executable, "-c", TICKER)
        app = b.build()
        app.options.stop_grace_period = 2
        watch = app.resource_notifications
        with anyio.fail_after(90):
            async with app:
                await watch.wait_for_resource("box", S.RUNNING)
                proxy.lose()
                await watch.wait_for_resource("box", S.RUNTIME_UNHEALTHY)
                # a container started meanwhile cannot start: it says why, in one line, and harms nobody
                await app.start_resource("later")
                await watch.wait_for_resource("later", S.RUNTIME_UNHEALTHY)
                said = _lines(app, "later")
                assert len(said) == 1 and said[0].startswith("Lost the connection to the container engine"), said
                assert watch.get_snapshot("ticker").state_text == S.RUNNING  # type: ignore[union-attr]
            # the app stopped anyway (the container could not be stopped: its log says so)
        assert watch.get_snapshot("ticker").state_text == S.FINISHED  # type: ignore[union-attr]
        assert watch.get_snapshot("box").state_text == S.EXITED  # type: ignore[union-attr]
        assert any("Could not stop container" in x for x in _lines(app, "box")), _lines(app, "box")
        assert not any("Traceback" in x for x in _lines(app, "box"))
