"""Benchmark: build + validate + publish (Aspire manifest) for large app models.

Run: ``.venv/bin/python bench/bench_publish.py`` (options: ``--sizes 1000 10000``, ``--repeat 3``).

Each model has, in equal parts, parameters, composed connection strings, containers and
executables; every resource that can refers to about three others (a connection string, an
endpoint, a parameter), so the manifest has ~3 references per resource. Prints, per size, the
time to describe the model (builder calls), to validate it (``build()``), to publish it (manifest
built, serialised and written) and the manifest size, then how the times grow between sizes
(a ratio close to the size ratio means linear growth).

Each sample is a fresh interpreter (``--repeat`` rounds, medians). ``--compare DIR`` measures another checkout
of the repository in the same rounds, interleaved (its ``core/src``, ``plugins/*/src`` first on ``PYTHONPATH``),
and prints this tree ÷ DIR per phase: ``git archive main | tar -x -C /tmp/base`` makes one.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
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
    # Imported before timing (aspyre imports its names, the builder's modules and the graph checks on first use:
    # a small model described and built first loads them; the publisher's modules are loaded by publishing, as
    # in an app host).
    with tempfile.TemporaryDirectory(prefix="aspyre-bench-") as tmp:
        describe(8, Path(tmp)).build()
    _ = aspyre.publishing.manifest_from_json
    clock, cpu = time.perf_counter, time.process_time  # CPU time: what a loaded machine disturbs least
    with tempfile.TemporaryDirectory(prefix="aspyre-bench-") as tmp:
        app_dir = Path(tmp)
        t0, c0 = clock(), cpu()
        builder = describe(n, app_dir)
        t1, c1 = clock(), cpu()
        app = builder.build()
        t2, c2 = clock(), cpu()
        path = asyncio.run(app.publish_async())
        t3, c3 = clock(), cpu()
        size = path.stat().st_size
        count = len(aspyre.publishing.manifest_from_json(path.read_text(encoding="utf-8")).resources)
    return {
        "describe": t1 - t0,
        "validate": t2 - t1,
        "publish": t3 - t2,
        "total": t3 - t0,
        "cpu describe": c1 - c0,
        "cpu validate": c2 - c1,
        "cpu publish": c3 - c2,
        "cpu total": c3 - c0,
        "bytes": float(size),
        "entries": float(count),
    }


PHASES = ("describe", "validate", "publish", "total")


def tree_path(root: Path) -> str:
    """The source directories of a checkout, as ``PYTHONPATH``."""
    dirs = [root / "core" / "src", *sorted(root.glob("plugins/*/src")), *sorted(root.glob("examples/*/src"))]
    return os.pathsep.join(str(d) for d in dirs)


def sample(n: int, root: Path | None) -> dict[str, float]:
    env = dict(os.environ)
    if root is not None:
        env["PYTHONPATH"] = tree_path(root)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n)], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="fresh interpreters per size (and tree); medians")
    parser.add_argument("--compare", type=Path, help="another checkout, measured in the same rounds")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child)))
        return
    trees: dict[str, Path | None] = {"this": None}
    if args.compare is not None:
        trees["compare"] = args.compare.resolve()
    samples: dict[tuple[str, int], list[dict[str, float]]] = {(t, n): [] for t in trees for n in args.sizes}
    for _ in range(args.repeat):
        for n in args.sizes:
            for tree, root in trees.items():  # interleaved: drift affects both trees alike
                samples[tree, n].append(sample(n, root))
    load = os.getloadavg()
    print(f"medians of {args.repeat} fresh interpreters; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    results: dict[tuple[str, int], dict[str, float]] = {
        key: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for key, runs in samples.items()
    }
    for tree, root in trees.items():
        print(f"-- {'this tree' if root is None else f'compare: {root}'}")
        print(
            f"{'resources':>9} {'describe':>9} {'validate':>9} {'publish':>9} {'total':>9} {'manifest':>10} "
            f"{'entries':>8}"
        )
        for n in args.sizes:
            best = results[tree, n]
            print(
                f"{n:>9} {best['describe']:>8.3f}s {best['validate']:>8.3f}s {best['publish']:>8.3f}s "
                f"{best['total']:>8.3f}s {best['bytes'] / 1e6:>8.2f}MB {int(best['entries']):>8}"
            )
        sizes = sorted(args.sizes)
        for small, big in itertools.pairwise(sizes):
            ratios = "  ".join(
                f"{phase} x{results[tree, big][phase] / results[tree, small][phase]:.1f}"
                for phase in PHASES
                if results[tree, small][phase] > 0
            )
            print(f"growth {small} -> {big} (x{big / small:.0f} resources): {ratios}")
        for n in args.sizes:
            cpu = "  ".join(f"{phase} {results[tree, n]['cpu ' + phase]:.3f}s" for phase in PHASES)
            print(f"{n:>9} CPU time: {cpu}")
    if args.compare is not None:
        print("-- this tree / compare (medians)")
        for n in args.sizes:
            ratios = "  ".join(
                f"{phase} {results['this', n][phase] / results['compare', n][phase]:.2f}" for phase in PHASES
            )
            print(f"{n:>9}: {ratios}")
        print("-- this tree / compare, CPU time of the process (less disturbed by other load)")
        for n in args.sizes:
            ratios = "  ".join(
                f"{phase} {results['this', n]['cpu ' + phase] / results['compare', n]['cpu ' + phase]:.2f}"
                for phase in PHASES
            )
            print(f"{n:>9}: {ratios}")

if __name__ == "__main__":
    main()
