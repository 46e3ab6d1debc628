"""Benchmark: build + validate + publish (Aspire manifest) for large app models.

Run: ``.venv/bin/python bench/bench_publish.py`` (options: ``--sizes 1000 10000``, ``--repeat 3``).

Each model has, in equal parts, parameters, composed connection strings, containers and
executables; every resource that can refers to about three others (a connection string, an
endpoint, a parameter), so the manifest has ~3 references per resource. Prints, per size, the
time to describe the model (builder calls), to validate it (``build()``), to publish it (manifest
built, serialised and written) and the manifest size, then how the times grow between sizes
(a ratio close to the size ratio means linear growth).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

import aspyre


def describe(n: int, app_dir: Path) -> aspyre.DistributedApplicationBuilder:
    builder = aspyre.DistributedApplication.create_builder(
        ["--publisher", "manifest", "--output-path", str(app_dir / "out")], app_host_path=app_dir / "apphost.py"
    )
    params: list[aspyre.ResourceBuilder[aspyre.ParameterResource]] = []
    containers: list[aspyre.ResourceBuilder[aspyre.ContainerResource]] = []
    connections: list[aspyre.ResourceBuilder[Any]] = []
    for i in range(n):
        kind = i % 4
        if kind == 0 or not params:
            params.append(builder.add_parameter(f"param-{i}", secret=i % 8 == 0))
        elif kind == 1 and containers:
            ep = containers[-1].get_endpoint("tcp")
            expr = aspyre.ReferenceExpression.format(
                "Host={h};Port={p};Password={pw:uri}",
                h=ep.property(aspyre.EndpointProperty.HOST),
                p=ep.property(aspyre.EndpointProperty.PORT),
                pw=params[-1],
            )
            connections.append(builder.add_connection_string(f"conn-{i}", expr))
        elif kind == 2 or not containers:
            c = builder.add_container(f"container-{i}", "acme/service", "1.0")
            c.with_endpoint(target_port=6000 + i % 1000, name="tcp")
            c.with_environment("SECRET", params[-1])
            if connections:
                c.with_reference(connections[-1])
            if containers:
                c.with_environment("PEER", containers[-1].get_endpoint("tcp"))
            containers.append(c)
        else:
            e = builder.add_executable(f"exe-{i}", "acme-worker", "--id", str(i))
            e.with_http_endpoint(env="PORT")
            e.with_environment("PEER", containers[-1].get_endpoint("tcp"))
            e.with_environment("TOKEN", params[-1])
            if connections:
                e.with_reference(connections[-1])
    return builder


def run(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="aspyre-bench-") as tmp:
        app_dir = Path(tmp)
        t0 = time.perf_counter()
        builder = describe(n, app_dir)
        t1 = time.perf_counter()
        app = builder.build()
        t2 = time.perf_counter()
        path = asyncio.run(app.publish_async())
        t3 = time.perf_counter()
        size = path.stat().st_size
        count = len(aspyre.publishing.manifest_from_json(path.read_text(encoding="utf-8")).resources)
    return {
        "describe": t1 - t0,
        "validate": t2 - t1,
        "publish": t3 - t2,
        "total": t3 - t0,
        "bytes": float(size),
        "entries": float(count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the best time of each phase is shown")
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    print(
        f"{'resources':>9} {'describe':>9} {'validate':>9} {'publish':>9} {'total':>9} {'manifest':>10} {'entries':>8}"
    )
    for n in args.sizes:
        runs = [run(n) for _ in range(args.repeat)]
        best = {k: min(r[k] for r in runs) for k in runs[0]}
        results[n] = best
        print(
            f"{n:>9} {best['describe']:>8.2f}s {best['validate']:>8.2f}s {best['publish']:>8.2f}s "
            f"{best['total']:>8.2f}s {best['bytes'] / 1e6:>8.2f}MB {int(best['entries']):>8}"
        )
    sizes = sorted(results)
    for small, big in itertools.pairwise(sizes):
        factor = big / small
        ratios = "  ".join(
            f"{phase} x{results[big][phase] / results[small][phase]:.1f}"
            for phase in ("describe", "validate", "publish", "total")
            if results[small][phase] > 0
        )
        print(f"growth {small} -> {big} (x{factor:.0f} resources): {ratios}")


if __name__ == "__main__":
    main()
