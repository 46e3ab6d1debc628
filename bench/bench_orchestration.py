"""Orchestration overhead and event dispatch cost.

1. Time until N independent Redis containers are all Running and healthy (a PING health check), started
   by aspyre, against creating and starting the same containers with the docker SDK directly and polling
   PING, in the same run. The ratio is aspyre's orchestration overhead.
2. Event dispatch: cost of ``eventing.publish`` per subscriber (0, 1, 10, 100 sync subscribers, plus one
   pluggy hook implementation), against calling the same handlers in a plain loop.

    .venv/bin/python bench/bench_orchestration.py [--containers 1,4,8] [--repeat 3]

Needs a Docker engine with the ``redis:7`` image for part 1 (skipped otherwise).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

import aspyre

IMAGE = "redis:7"


def _ping(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


async def aspyre_all_healthy(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        b = aspyre.DistributedApplication.create_builder([], app_host_path=Path(tmp) / "apphost.py", load_plugins=False)
        for i in range(n):
            rb = b.add_container(f"r{i}", "redis", "7").with_endpoint(target_port=6379, name="tcp")
            ep = rb.get_endpoint("tcp")

            async def check(ctx: aspyre.HealthCheckContext, ep: aspyre.EndpointReference = ep) -> bool:
                return await anyio.to_thread.run_sync(_ping, ep.port)

            rb.with_health_check("ping", check)
        app = b.build()
        t0 = time.perf_counter()
        async with app:
            for i in range(n):
                await app.resource_notifications.wait_for_resource_healthy(f"r{i}")
            elapsed = time.perf_counter() - t0
        return elapsed


def sdk_all_healthy(n: int) -> float:
    import docker

    client = docker.from_env()
    containers: list[Any] = []
    try:
        t0 = time.perf_counter()
        net = client.networks.create(f"bench-{time.time_ns()}", driver="bridge")
        for _ in range(n):
            c = client.containers.create(IMAGE, detach=True, ports={"6379/tcp": ("127.0.0.1", None)}, network=net.name)
            containers.append(c)
            c.start()
        ports = []
        for c in containers:
            c.reload()
            ports.append(int(c.ports["6379/tcp"][0]["HostPort"]))
        pending = set(ports)
        while pending:
            pending = {p for p in pending if not _ping(p)}
            if pending:
                time.sleep(0.1)
        elapsed = time.perf_counter() - t0
    finally:
        for c in containers:
            c.remove(force=True, v=True)
        for nw in client.networks.list(filters={"name": "bench-"}):
            nw.remove()
        client.close()
    return elapsed


def bench_containers(counts: list[int], repeat: int) -> None:
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:
        print(f"containers: skipped ({exc})")
        return
    print(f"time to all healthy, median of {repeat} (seconds)")
    print(f"{'N':>4} {'docker SDK':>11} {'aspyre':>8} {'ratio':>6}")
    for n in counts:
        sdk = statistics.median(sdk_all_healthy(n) for _ in range(repeat))
        asp = statistics.median(anyio.run(aspyre_all_healthy, n) for _ in range(repeat))
        print(f"{n:>4} {sdk:>11.3f} {asp:>8.3f} {asp / sdk:>6.2f}")


class _Hook:
    @aspyre.plugins.hookimpl
    def aspyre_before_resource_started(self, event: aspyre.events.Event) -> None:
        return None


async def bench_dispatch() -> None:
    n_events = 20_000
    res = aspyre.Resource("r")
    print(f"event dispatch, {n_events} BeforeResourceStartedEvent per case (microseconds per publish)")
    print(f"{'subscribers':>11} {'plain loop':>10} {'bus':>8} {'bus+hook':>9} {'bus/sub':>8}")
    for subs in (0, 1, 10, 100):
        bus = aspyre.events.DistributedApplicationEventing()
        handlers = [lambda e: None for _ in range(subs)]
        for h in handlers:
            bus.subscribe(aspyre.events.BeforeResourceStartedEvent, h)
        event = aspyre.events.BeforeResourceStartedEvent(res)
        t0 = time.perf_counter()
        for _ in range(n_events):
            for h in handlers:
                h(event)
        plain = (time.perf_counter() - t0) / n_events * 1e6
        t0 = time.perf_counter()
        for _ in range(n_events):
            await bus.publish(event)
        direct = (time.perf_counter() - t0) / n_events * 1e6
        import pluggy

        pm = pluggy.PluginManager("aspyre")
        pm.add_hookspecs(aspyre.plugins.HookSpecs)
        pm.register(_Hook())
        bus.plugin_manager = pm
        t0 = time.perf_counter()
        for _ in range(n_events):
            await bus.publish(event)
        hooked = (time.perf_counter() - t0) / n_events * 1e6
        per = (direct / subs) if subs else float("nan")
        print(f"{subs:>11} {plain:>10.2f} {direct:>8.2f} {hooked:>9.2f} {per:>8.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--containers", default="1,4,8")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip-containers", action="store_true")
    a = p.parse_args()
    print(f"python {sys.version.split()[0]}")
    anyio.run(bench_dispatch)
    if not a.skip_containers:
        bench_containers([int(x) for x in a.containers.split(",")], a.repeat)


if __name__ == "__main__":
    main()
