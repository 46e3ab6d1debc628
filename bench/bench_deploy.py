"""Benchmark: deploying the demo app host (examples/apphost.py) with the deployment publishers.

Run: ``.venv/bin/python bench/bench_deploy.py`` (options: ``--repeat 5``, ``--no-up``).

1. Publish time of the demo with each publisher (``aspyre publish``, a fresh process each time, as
   a user runs it), against the manifest publisher in the same run (the ratio is what the
   deployment publishers add).
2. ``docker-compose up -d`` of the generated stack until every service is healthy (or, for the
   migration, exited 0), images built beforehand (``docker-compose build``, not timed), against
   ``aspyre run`` of the same app host until every resource is ready, side by side, alternating,
   in the same run. Needs Docker, docker-compose and the python:3.11-slim image (a wheelhouse of the
   demo's requirements is built with the system Python: containers reach no package index).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASPYRE = [sys.executable, "-m", "aspyre._cli"]


def copy_demo(dest: Path, wheelhouse: bool) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "examples" / "demo", dest / "demo", ignore=shutil.ignore_patterns("__pycache__"))
    text = (ROOT / "examples" / "apphost.py").read_text(encoding="utf-8")
    if wheelhouse:
        text = text.replace(
            'cache = builder.add_redis("cache")',
            'builder.add_docker_compose_environment("compose", wheelhouse="wheels")\ncache = builder.add_redis("cache")',
        )
    (dest / "apphost.py").write_text(text, encoding="utf-8")
    return dest / "apphost.py"


def publish_times(repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"manifest": [], "docker-compose": [], "kubernetes": []}
    with tempfile.TemporaryDirectory() as tmp:
        app_host = copy_demo(Path(tmp), wheelhouse=False)
        env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/bench.sock")
        for i in range(repeat):
            for publisher in times:
                start = time.perf_counter()
                subprocess.run(
                    [*ASPYRE, "publish", str(app_host), "-p", publisher, "-o", f"out-{publisher}-{i}"],
                    cwd=tmp,
                    env=env,
                    check=True,
                    capture_output=True,
                )
                times[publisher].append(time.perf_counter() - start)
    return times


def compose_states(project: str) -> dict[str, str]:
    ids = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not ids:
        return {}
    states = {}
    for c in json.loads(subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, check=True).stdout):
        service = c["Config"]["Labels"]["com.docker.compose.service"]
        state = c["State"]
        states[service] = state.get("Health", {}).get("Status") or f"{state['Status']}:{state['ExitCode']}"
    return states


def compose_up(out: Path, project: str) -> float:
    start = time.perf_counter()
    subprocess.run(["docker-compose", "-p", project, "up", "-d"], cwd=out, check=True, capture_output=True)
    while True:
        states = compose_states(project)
        if states == {"cache": "healthy", "migrate": "exited:0", "api": "healthy"}:
            return time.perf_counter() - start
        if time.perf_counter() - start > 300:
            raise RuntimeError(f"the stack did not become healthy: {states}")
        time.sleep(0.1)


def aspyre_run(app_host: Path) -> float:
    code = f"""
import sys, time, anyio, aspyre
start = time.perf_counter()
app = aspyre.testing.load_app_host({str(app_host)!r})
async def main():
    async with app:
        await app.resource_notifications.wait_for_resource_healthy("api")
    return time.perf_counter() - start
print(anyio.run(main))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=app_host.parent, check=True, capture_output=True, text=True)
    return float(proc.stdout.strip().splitlines()[-1])


def up_times(repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"docker-compose up": [], "aspyre run": []}
    with tempfile.TemporaryDirectory() as tmp:
        app_host = copy_demo(Path(tmp) / "app", wheelhouse=True)
        wheels = app_host.parent / "demo" / "wheels"
        python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
        subprocess.run(
            [python, "-m", "pip", "wheel", "-q", "-w", str(wheels), "-r", str(wheels.parent / "requirements.txt")],
            check=True,
            capture_output=True,
        )
        subprocess.run([*ASPYRE, "publish", str(app_host), "-p", "docker-compose", "-o", "out"], cwd=app_host.parent,
                       check=True, capture_output=True)
        out = app_host.parent / "out"
        project = f"aspyre-bench-{uuid.uuid4().hex[:8]}"
        try:
            subprocess.run(["docker-compose", "-p", project, "build"], cwd=out, check=True, capture_output=True)
            for _ in range(repeat):
                times["docker-compose up"].append(compose_up(out, project))
                subprocess.run(["docker-compose", "-p", project, "down", "-v"], cwd=out, check=True, capture_output=True)
                times["aspyre run"].append(aspyre_run(app_host))
        finally:
            subprocess.run(["docker-compose", "-p", project, "down", "-v", "--rmi", "local"], cwd=out,
                           capture_output=True, check=False)
    return times


def report(title: str, times: dict[str, list[float]], baseline: str) -> None:
    print(title)
    base = statistics.median(times[baseline])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:20} median {median:7.3f} s  min {min(values):7.3f} s  x{median / base:5.2f} of {baseline}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-up", action="store_true", help="only the publish times")
    ns = parser.parse_args()
    report(f"publish examples/apphost.py ({ns.repeat} runs each, fresh process):", publish_times(ns.repeat), "manifest")
    if not ns.no_up:
        report(
            f"to all healthy ({ns.repeat} runs each, alternating; images prebuilt):",
            up_times(ns.repeat),
            "aspyre run",
        )


if __name__ == "__main__":
    main()
