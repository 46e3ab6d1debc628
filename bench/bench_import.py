"""Start-up cost: ``import aspyre`` + a builder + three plugin methods resolved, against ``python -c pass``.

Every sample is a fresh interpreter (``subprocess``), so module caches in memory do not help;
files are in the page cache (warm disk) and compiled modules are cached (in a temporary
``PYTHONPYCACHEPREFIX``, even when ``PYTHONDONTWRITEBYTECODE`` is set), as for an installed
package after its first run. ``--no-bytecode`` measures compiling every module each time instead.

Scenarios, each timed from outside (process start to exit, ms; and the child's CPU time, user + system,
which a busy shared machine disturbs less than wall time):

* ``baseline``   ``python -c pass``
* ``import``     ``import aspyre``
* ``builder``    ``import aspyre`` + ``DistributedApplication.create_builder([])``
* ``plugins``    the above + ``builder.add_redis("cache")``, ``builder.add_postgres("pg")`` and
  ``.add_database("db")``: three extension methods resolved through entry points (one scan) and called
* ``build``      the above (without the timings inside) + ``builder.build()``: the model validated, so what the
  builder leaves for ``build()`` to import is counted too

The ``plugins`` scenario also reports, from inside the child, how its time splits between the
import, the builder, and the three resolutions (the entry-point scan plus importing the two
plugin modules).

aspyre keeps two start-up caches in ``~/.cache/aspyre`` (the compiled methods attrs generates for its classes,
and the entry-point scan; ``docs/plugin-api.md``): the warm-up round fills them, so the table shows every
process after the first. ``ASPYRE_CODE_CACHE=0 ASPYRE_PLUGIN_CACHE=0 bench/bench_import.py ...`` measures
without them (the first process after an upgrade, roughly).

``--compare DIR`` also runs every scenario against another checkout of the repository (for example
``git worktree add /tmp/base main``, or ``git archive main | tar -x -C /tmp/base``): its ``core/src``,
``plugins/*/src`` and ``examples/*/src`` go first on ``PYTHONPATH``, so the same interpreter and installed
entry points import that tree's code (this tree's directories go on ``PYTHONPATH`` too, so that both pay the
same path lookups). Rounds interleave both trees; the table adds the ratio this tree ÷ DIR.

    .venv/bin/python bench/bench_import.py [--repeat 21] [--no-bytecode] [--compare DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = {
    "baseline": "pass",
    "import": "import aspyre",
    "builder": "import aspyre\naspyre.DistributedApplication.create_builder([])",
    "plugins": "\n".join(
        [
            "import time, json",
            "t0 = time.perf_counter()",
            "import aspyre",
            "t1 = time.perf_counter()",
            "b = aspyre.DistributedApplication.create_builder([])",
            "t2 = time.perf_counter()",
            "b.add_redis('cache')",
            "b.add_postgres('pg').add_database('db')",
            "t3 = time.perf_counter()",
            "print(json.dumps([t1 - t0, t2 - t1, t3 - t2]))",
        ]
    ),
    "build": "\n".join(
        [
            "import aspyre",
            "b = aspyre.DistributedApplication.create_builder([])",
            "b.add_redis('cache')",
            "b.add_postgres('pg').add_database('db')",
            "b.build()",
        ]
    ),
}


def child_env(cwd: str, bytecode: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ASPYRE_SECRETS_DIR", os.path.join(cwd, "secrets"))
    if bytecode:
        # Compiled modules cached as for an installed package, but outside the source tree.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(cwd, "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def tree_path(root: Path) -> str:
    """The source directories of a checkout, as ``PYTHONPATH``."""
    dirs = [root / "core" / "src", *sorted(root.glob("plugins/*/src")), *sorted(root.glob("examples/*/src"))]
    return os.pathsep.join(str(d) for d in dirs)


def sample(code: str, cwd: str, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall-clock ms, CPU ms (user + system, of the child: steadier than wall time on a busy machine), stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=21, help="samples per scenario (interleaved)")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="compile every module from source each time (PYTHONDONTWRITEBYTECODE=1)",
    )
    parser.add_argument("--compare", type=Path, help="another checkout to measure in the same rounds")
    args = parser.parse_args()

    # Compared, both trees go on PYTHONPATH: each stdlib import then looks through as many directories in both.
    this_root = None if args.compare is None else Path(__file__).resolve().parent.parent
    trees = {"this": this_root} if args.compare is None else {"this": this_root, "compare": args.compare.resolve()}
    times: dict[tuple[str, str], list[float]] = {(t, name): [] for t in trees for name in SCENARIOS}
    cpu: dict[tuple[str, str], list[float]] = {(t, name): [] for t in trees for name in SCENARIOS}
    phases: dict[str, list[list[float]]] = {t: [] for t in trees}
    with tempfile.TemporaryDirectory() as cwd:
        base_env = child_env(cwd, bytecode=not args.no_bytecode)
        envs = {
            t: base_env if root is None else {**base_env, "PYTHONPATH": tree_path(root)} for t, root in trees.items()
        }
        for env in envs.values():
            for code in SCENARIOS.values():  # warm the page cache and the bytecode cache
                sample(code, cwd, env)
        for _ in range(args.repeat):
            for name, code in SCENARIOS.items():  # interleaved: drift affects all alike
                for tree, env in envs.items():
                    ms, cpu_ms, out = sample(code, cwd, env)
                    times[tree, name].append(ms)
                    cpu[tree, name].append(cpu_ms)
                    if name == "plugins":
                        phases[tree].append(json.loads(out))

    cache = "compiled from source every time" if args.no_bytecode else "bytecode cached"
    off = [v for v in ("ASPYRE_CODE_CACHE", "ASPYRE_PLUGIN_CACHE") if os.environ.get(v, "").lower() in ("0", "off")]
    if off:
        cache += f"; {' and '.join(off)} off"
    load = os.getloadavg()
    print(
        f"Python {sys.version.split()[0]}, {args.repeat} fresh interpreters per scenario ({cache}), medians; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    for tree, root in trees.items():
        base = statistics.median(times[tree, "baseline"])
        label = "this tree" if tree == "this" else f"compare: {root}"
        print(f"-- {label}")
        cpu_base = statistics.median(cpu[tree, "baseline"])
        print(
            f"{'scenario':<10} {'median ms':>10} {'min ms':>8} {'vs baseline':>12} {'extra ms':>9} {'extra CPU ms':>13}"
        )
        for name in SCENARIOS:
            values = times[tree, name]
            med = statistics.median(values)
            extra_cpu = statistics.median(cpu[tree, name]) - cpu_base
            print(
                f"{name:<10} {med:>10.1f} {min(values):>8.1f} {med / base:>11.2f}x {med - base:>9.1f} {extra_cpu:>13.1f}"
            )
        imp, build, resolve = (statistics.median(p[i] for p in phases[tree]) * 1000 for i in range(3))
        print(
            f"inside the 'plugins' child: import aspyre {imp:.1f} ms, create_builder {build:.1f} ms, "
            f"3 methods resolved + called {resolve:.1f} ms"
        )
    if args.compare is not None:
        for label, table in (("ms", times), ("CPU ms", cpu)):
            print(f"-- extra {label} above 'python -c pass', this tree / compare")
            for name in SCENARIOS:
                if name == "baseline":
                    continue
                extra = {t: statistics.median(table[t, name]) - statistics.median(table[t, "baseline"]) for t in trees}
                ratio = extra["this"] / extra["compare"]
                print(f"{name:<10} {extra['this']:>7.1f} / {extra['compare']:>7.1f} = {ratio:.2f}")


if __name__ == "__main__":
    main()
