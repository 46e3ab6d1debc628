"""Entry-point scan cost with many unrelated distributions installed.

For each N, N fake distributions (``*.dist-info`` with METADATA and an ``entry_points.txt`` holding
a ``console_scripts`` and another group's entry, like real packages) are generated in a directory
put on ``PYTHONPATH``. Each sample is a fresh interpreter that has already imported what it needs
(not timed) and then times, in-process:

* ``plain``    ``importlib.metadata.entry_points(group="aspyre.builder_methods")``: the stdlib
  lookup of one group, the baseline;
* ``scan``     aspyre's registry scan (``plugin_registry().entries()``) as an app host gets it: the result
  of an earlier process read back from the on-disk cache (``ASPYRE_PLUGIN_CACHE``), checked against the
  ``sys.path`` directories' modification times;
* ``uncached`` the same with ``ASPYRE_PLUGIN_CACHE=0``: one pass over every distribution, keeping
  aspyre's groups;
* ``resolve``  the scan plus one resolution, ``builder.add_redis`` (imports ``aspyre_redis``);
* ``again``    a second resolution in the same process (``builder.add_postgres``): no new scan.

The cache lives in a temporary ``XDG_CACHE_HOME`` of the run; the noise directories are made more than
two seconds before the first timed sample (the cache is not written for a directory changed within two
seconds).

    .venv/bin/python bench/bench_scan.py [--sizes 0,200,1000] [--repeat 11]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAIN = """
import importlib.metadata, json, time
t = time.perf_counter()
eps = importlib.metadata.entry_points(group="aspyre.builder_methods")
names = sorted(e.name for e in eps)
print(json.dumps({"plain": time.perf_counter() - t, "found": len(names)}))
"""

ASPYRE = """
import importlib.metadata, json, time  # imported before timing, as in PLAIN
import aspyre
b = aspyre.DistributedApplication.create_builder([], load_plugins=False)
reg = aspyre.plugins.registry()
reg.refresh()  # forget the scan the builder made (its stubs check): time a fresh one
before = reg.scan_count
t0 = time.perf_counter()
reg.entries()
t1 = time.perf_counter()
b.add_redis
t2 = time.perf_counter()
b.add_postgres
t3 = time.perf_counter()
assert reg.scan_count == before + 1
print(json.dumps({"scan": t1 - t0, "resolve": t2 - t0, "again": t3 - t2}))
"""


def make_noise(root: Path, n: int) -> None:
    for i in range(n):
        info = root / f"noise_pkg_{i}-1.0.{i}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: noise-pkg-{i}\nVersion: 1.0.{i}\n")
        (info / "entry_points.txt").write_text(
            f"[console_scripts]\nnoise-{i} = noise_pkg_{i}.cli:main\n\n[noise.plugins]\nn{i} = noise_pkg_{i}:plugin\n"
        )
        (info / "RECORD").write_text("")


def run(code: str, pythonpath: Path, cwd: str, *, cache: bool = True) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(pythonpath), XDG_CACHE_HOME=os.path.join(cwd, "cache"))
    env["ASPYRE_PLUGIN_CACHE"] = "1" if cache else "0"
    env.setdefault("ASPYRE_SECRETS_DIR", os.path.join(cwd, "secrets"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules cached, outside the source tree
    env["PYTHONPYCACHEPREFIX"] = os.path.join(cwd, "pycache")
    # The children run in a directory nothing writes to ("" on sys.path is the current directory).
    workdir = os.path.join(cwd, "work")
    os.makedirs(workdir, exist_ok=True)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=workdir, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,200,1000", help="numbers of unrelated distributions")
    parser.add_argument("--repeat", type=int, default=11, help="fresh interpreters per measurement")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    import importlib.metadata

    installed = sum(1 for _ in importlib.metadata.distributions())
    print(f"Python {sys.version.split()[0]}; {installed} distributions installed in this environment, plus N fake ones")
    print(f"medians of {args.repeat} fresh interpreters, ms")
    print(f"{'N':>6} {'plain':>8} {'uncached':>9} {'scan':>8} {'scan/plain':>11} {'resolve':>9} {'again':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "work"))  # settled before the first sample, as the noise directories
        for n in sizes:
            noise = Path(tmp) / f"noise-{n}"
            noise.mkdir()
            make_noise(noise, n)
            time.sleep(2.1)  # older than the cache's settling time
            run(PLAIN, noise, tmp)  # warm the page cache
            run(ASPYRE, noise, tmp)  # and write the entry-point cache
            samples: dict[str, list[float]] = {"plain": [], "uncached": [], "scan": [], "resolve": [], "again": []}
            for _ in range(args.repeat):
                uncached = run(ASPYRE, noise, tmp, cache=False)
                samples["uncached"].append(uncached["scan"] * 1000)
                for key, value in {**run(PLAIN, noise, tmp), **run(ASPYRE, noise, tmp)}.items():
                    if key in samples:
                        samples[key].append(value * 1000)
            med = {k: statistics.median(v) for k, v in samples.items()}
            print(
                f"{n:>6} {med['plain']:>8.2f} {med['uncached']:>9.2f} {med['scan']:>8.2f} {med['scan'] / med['plain']:>10.2f}x "
                f"{med['resolve']:>9.2f} {med['again']:>7.3f}"
            )


if __name__ == "__main__":
    main()
