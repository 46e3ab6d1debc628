"""Python apps with ``with_uv()``: the first start (environment created) against the second (environment
unchanged, install skipped), and what the environment check costs.

1. Time from ``app.start()`` until a Uvicorn app (Starlette, uvicorn, redis-py from ``pyproject.toml``) runs,
   and until it is healthy, in a fresh copy of the app each repeat:
   * ``first``: ``with_uv()`` in a directory without ``.venv``: ``uv sync`` creates it (uv's wheel cache is
     warm after the first repeat, as on a developer's machine; ``--cold`` gives every repeat an empty cache,
     so packages are downloaded from PyPI);
   * ``second``: the same app host again: the environment check finds nothing changed, no install;
   * ``baseline``: the same app without ``with_uv()``, running in the ``.venv`` that is there: no install
     step at all. ``second / baseline`` is what the environment check adds to a start.
2. The environment check alone (hash the inputs, read the marker), in microseconds, against running
   ``uv sync`` on the unchanged environment (what checking by running the installer would cost).

    .venv/bin/python bench/bench_apps.py [--repeat 5] [--cold]

Needs PyPI (or a warm uv cache).
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import timeit
from pathlib import Path

import anyio

import aspyre
from aspyre._hosting._python_env import uv_binary
from aspyre._orchestrator._install import install_is_current
from aspyre.annotations import PackageInstallAnnotation

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "apps" / "fixtures" / "api"


async def start_until_healthy(app_host_dir: Path, *, uv: bool) -> tuple[float, float]:
    """Seconds from ``start()`` until the app's process runs, and until it is healthy."""
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=app_host_dir / "apphost.py")
    api = builder.add_uvicorn_app("api", "api", "main:app", health_check_path="/health")
    if uv:
        api.with_uv()
    app = builder.build()
    app.options.console_output = False
    t0 = time.perf_counter()
    async with app:
        await app.resource_notifications.wait_for_resource("api", aspyre.KnownResourceStates.RUNNING)
        running = time.perf_counter() - t0
        await app.resource_notifications.wait_for_resource_healthy("api")
        healthy = time.perf_counter() - t0
    return running, healthy


def check_cost(app_dir: Path) -> tuple[float, float]:
    """Microseconds per environment check, and milliseconds per no-op ``uv sync``."""
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=app_dir.parent / "apphost.py")
    resource = builder.add_uvicorn_app("api", "api", "main:app").with_uv().resource
    ann = resource.annotations.last(PackageInstallAnnotation)
    assert ann is not None and install_is_current(ann)
    timer = timeit.Timer(lambda: install_is_current(ann))
    number, _ = timer.autorange()
    per_check = min(timer.repeat(repeat=5, number=number)) / number * 1e6
    syncs = []
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([uv_binary(), "sync", "--quiet"], cwd=app_dir, env=env, check=True)
        syncs.append(time.perf_counter() - t0)
    return per_check, statistics.median(syncs) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="an empty uv cache for every first start")
    args = parser.parse_args()

    first: list[tuple[float, float]] = []
    second: list[tuple[float, float]] = []
    baseline: list[tuple[float, float]] = []
    last_dir: Path | None = None
    with tempfile.TemporaryDirectory() as keep:
        for i in range(args.repeat):
            where = Path(keep) / f"run{i}"
            shutil.copytree(FIXTURE, where / "api")
            if args.cold:
                os.environ["UV_CACHE_DIR"] = str(where / "uv-cache")
            first.append(anyio.run(functools.partial(start_until_healthy, where, uv=True)))
            os.environ.pop("UV_CACHE_DIR", None)
            second.append(anyio.run(functools.partial(start_until_healthy, where, uv=True)))
            baseline.append(anyio.run(functools.partial(start_until_healthy, where, uv=False)))
            last_dir = where / "api"
            print(
                f"  repeat {i + 1} (running/healthy, s): first {first[-1][0]:.2f}/{first[-1][1]:.2f}  "
                f"second {second[-1][0]:.2f}/{second[-1][1]:.2f}  baseline {baseline[-1][0]:.2f}/{baseline[-1][1]:.2f}"
            )
        assert last_dir is not None
        per_check, per_sync = check_cost(last_dir)

    cache = "cold (empty uv cache)" if args.cold else "warm uv cache"
    for what, index in (("running (process started)", 0), ("healthy (GET /health answered)", 1)):
        f = statistics.median(t[index] for t in first)
        s = statistics.median(t[index] for t in second)
        b = statistics.median(t[index] for t in baseline)
        print(f"\nuvicorn app with with_uv(), start until {what}, median of {args.repeat} ({cache}):")
        print(f"  first start (environment created)   {f * 1e3:7.0f} ms")
        print(f"  second start (unchanged, skipped)   {s * 1e3:7.0f} ms   second/first = {s / f:.2f}")
        print(f"  baseline (existing .venv, no step)  {b * 1e3:7.0f} ms   second/baseline = {s / b:.2f}")
    print("\nenvironment check alone:")
    print(f"  hash inputs + read marker {per_check:8.1f} us")
    print(f"  no-op `uv sync`           {per_sync * 1e3:8.0f} us   ({per_sync * 1e3 / per_check:.0f}x the check)")


if __name__ == "__main__":
    main()
