"""Replicas behind the endpoint proxy, with real processes and real HTTP: requests spread over them, traffic goes
on when one is killed, a restart keeps the address, fixed ports move with ``randomize_ports``."""

from __future__ import annotations

import collections
import os
import signal
import sys
from pathlib import Path

import anyio
import httpx
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = pytest.mark.anyio

WEBAPP = str(Path(__file__).with_name("webapp.py"))


def make_builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


async def get(url: str) -> tuple[int, int]:
    """(pid, port) of the replica that answered; a new connection per request."""
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.get(url)
    pid, port = response.text.split()
    return int(pid), int(port)


async def test_three_replicas_share_one_port_and_survive_a_kill(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    web = b.add_executable("web", sys.executable, WEBAPP).with_http_endpoint(env="PORT").with_replicas(3)
    web.with_http_health_check("/")
    app = b.build()
    with anyio.fail_after(60):
        async with app:
            await app.resource_notifications.wait_for_resource_healthy("web")
            snap = app.resource_notifications.get_snapshot("web")
            assert snap is not None
            with anyio.fail_after(20):
                while sum(r.state_text == S.RUNNING for r in snap.replicas) < 3:
                    await anyio.sleep(0.05)
                    snap = app.resource_notifications.get_snapshot("web")
                    assert snap is not None
            url = web.get_endpoint("http").url
            proxy_port = web.get_endpoint("http").port
            replica_ports = {dict(r.target_ports)["http"] for r in snap.replicas}
            assert len(replica_ports) == 3 and proxy_port not in replica_ports
            ids = {r.instance_id for r in snap.replicas}
            assert len(ids) == 3 and all(i.startswith("web-") for i in ids)

            seen: collections.Counter[int] = collections.Counter()
            for _ in range(30):
                pid, port = await get(url)
                assert port in replica_ports
                seen[pid] += 1
            assert len(seen) == 3, seen  # round-robin reached every replica
            assert min(seen.values()) >= 5, seen

            # One log stream per replica: each replica's lines carry its id.
            for replica in snap.replicas:
                lines = app.resource_loggers.backlog("web", replica=replica.instance_id)
                assert any(line.content == f"listening on {dict(replica.target_ports)['http']}" for line in lines)
                assert {line.replica for line in lines} == {replica.instance_id}

            victim = snap.replicas[0]
            assert victim.pid is not None
            os.kill(victim.pid, signal.SIGKILL)
            with anyio.fail_after(20):
                while True:
                    snap = app.resource_notifications.get_snapshot("web")
                    assert snap is not None
                    if snap.replicas[0].state_text == S.FINISHED:
                        break
                    await anyio.sleep(0.05)
            assert snap.state_text == S.RUNNING  # the resource still runs: two of three replicas do
            assert snap.replicas[0].exit_code == -signal.SIGKILL
            after: collections.Counter[int] = collections.Counter()
            for _ in range(20):
                pid, _port = await get(url)
                after[pid] += 1
            assert victim.pid not in after and len(after) == 2, after


async def test_restart_keeps_the_address(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    web = b.add_executable("web", sys.executable, WEBAPP).with_http_endpoint(env="PORT").with_http_health_check("/")
    app = b.build()
    with anyio.fail_after(60):
        async with app:
            await app.resource_notifications.wait_for_resource_healthy("web")
            url = web.get_endpoint("http").url
            first_pid, target = await get(url)
            assert web.get_endpoint("http").port != target  # the proxy listens, the process listens elsewhere
            await app.execute_command("web", "restart")
            # A request sent while the process restarts waits for it (the proxy keeps the address).
            second_pid, _ = await get(url)
            assert second_pid != first_pid
            assert web.get_endpoint("http").url == url


async def test_randomize_ports_moves_a_fixed_proxied_port(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    web = b.add_executable("web", sys.executable, WEBAPP).with_http_endpoint(port=1, env="PORT")
    app = b.build()
    app.options.randomize_ports = True
    with anyio.fail_after(60):
        async with app:
            await app.resource_notifications.wait_for_resource("web", S.RUNNING)
            port = web.get_endpoint("http").port
            assert port != 1
            pid, _ = await get(web.get_endpoint("http").url)
            assert pid > 0


def test_replicas_need_an_env_port_at_build(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("web", sys.executable, WEBAPP).with_http_endpoint(target_port=8000).with_replicas(2)
    with pytest.raises(
        aspyre.ModelValidationError, match=r"with_replicas\(2\): endpoint 'http' fixes target_port=8000"
    ):
        b.build()


@pytest.mark.docker
async def test_a_container_proxied_explicitly_keeps_its_address_across_a_restart(tmp_path: Path, app_host: Path) -> None:
    import redis.asyncio as redis

    b = make_builder(tmp_path)
    cache = (
        b.add_container("cache", "redis", "7")
        .with_endpoint(target_port=6379, name="tcp", scheme="tcp")
        .with_endpoint_proxy_support(True)
    )
    plain = b.add_container("plain", "redis", "7").with_endpoint(target_port=6379, name="tcp", scheme="tcp")
    app = b.build()
    with anyio.fail_after(90):
        async with app:
            await app.resource_notifications.wait_for_resource("cache", S.RUNNING)
            await app.resource_notifications.wait_for_resource("plain", S.RUNNING)
            port = cache.get_endpoint("tcp").port
            run = app.resource_notifications.get_snapshot("cache")
            assert run is not None
            container = str(run.property_value(aspyre.model.KnownProperties.Container.NAME))
            import docker

            client = docker.from_env()
            try:
                published = client.containers.get(container).ports["6379/tcp"][0]["HostPort"]
                assert int(published) != port  # Docker publishes behind the proxy
                plain_name = str(app.resource_notifications.get_snapshot("plain").property_value(  # type: ignore[union-attr]
                    aspyre.model.KnownProperties.Container.NAME
                ))
                assert int(client.containers.get(plain_name).ports["6379/tcp"][0]["HostPort"]) == plain.get_endpoint("tcp").port
            finally:
                client.close()
            for attempt in range(2):
                conn = redis.Redis(host="127.0.0.1", port=port)
                try:
                    with anyio.fail_after(20):
                        while True:
                            try:
                                await conn.set("k", f"v{attempt}")
                                break
                            except redis.ConnectionError:
                                await anyio.sleep(0.1)
                    assert await conn.get("k") == f"v{attempt}".encode()
                finally:
                    await conn.aclose()
                if attempt == 0:
                    await app.execute_command("cache", "restart")
                    await app.resource_notifications.wait_for_resource("cache", S.RUNNING)
            assert cache.get_endpoint("tcp").port == port
