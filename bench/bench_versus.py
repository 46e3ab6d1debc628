"""aspyre against a hand-written docker SDK script, docker-compose and testcontainers-python, side by side.

Whole commands, each in a fresh process (what a person runs), interleaved rounds, medians. Scenarios:

* ``stack``: Redis (password) + PostgreSQL with a database ``appdb`` + two Python workers that connect to
  both (a PING and a ``SELECT 1`` on ``appdb``, from the same ``worker.py`` everywhere). Ready when both
  workers connected. Then Ctrl-C (SIGINT to the command's process group, as a terminal sends it): the time
  until the command exited, and whether every container and network it made is gone.
* ``redis1``, ``redis8``: one and eight Redis containers (password); ready when every one answers PING.

Contenders:

* ``aspyre``: ``python apphost.py`` (``builder.add_redis`` / ``add_postgres().add_database`` /
  ``add_executable`` workers with ``with_reference`` + ``wait_for``); it prints a marker line from a
  ``ResourceReadyEvent`` subscription (Redis scenarios). The dashboard is switched off
  (``ASPYRE_DISABLE_PLUGINS=aspyre-dashboard``; ``bench_dashboard.py`` measures what it adds).
* ``sdk``: a hand-written docker SDK script doing the same critical path in parallel (containers created
  and started from threads on the default bridge, PING / ``SELECT 1`` polled every 20 ms, the database made
  by the image's ``POSTGRES_DB``; on Ctrl-C: workers terminated, containers stopped (SIGTERM, as every other
  contender does) and removed with their volumes, in parallel). The
  physical limit of any orchestrator on this engine: the baseline of the ratios.
* ``compose``: a script running ``docker-compose up -d`` (v1, 500 ms health checks; a last service that
  depends on every other being healthy, so ``up -d`` returns when all are), then the workers; on Ctrl-C:
  workers terminated, ``docker-compose down``.
* ``testcontainers``: a script with ``RedisContainer`` / ``PostgresContainer`` (testcontainers-python's
  defaults: containers started one after the other, its own wait strategies; Ryuk off, local images only,
  connection mode ``docker_host``, as the engine here runs in the same container as the benchmark),
  then the workers; on Ctrl-C: the ``with`` blocks remove the containers.

Every object the contenders make carries a label or name of this run, and is removed after each sample
(nothing of anyone else's is touched). Needs Docker with the ``redis:8.6`` and ``postgres:17.6`` images,
``docker-compose`` and ``testcontainers`` (``requirements-dev.txt``).

    .venv/bin/python bench/bench_versus.py [--repeat 5] [--scenarios stack,redis1,redis8]
                                           [--contenders aspyre,sdk,compose,testcontainers]
                                           [--compare DIR]   # adds 'base': aspyre from another checkout
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

REDIS_IMAGE = "redis:8.6"
POSTGRES_IMAGE = "postgres:17.6"
LABEL = "aspyre.bench-versus"  # on everything sdk/compose/testcontainers make; value: the run id
PASSWORD = "benchpw-0123456789"
READY_TIMEOUT = 120.0

WORKER = '''
import os, pathlib, signal, sys, time
import psycopg, redis

def kv(text):
    return dict(part.split("=", 1) for part in text.split(";") if part)

address, *options = os.environ["ConnectionStrings__cache"].split(",")
host, port = address.rsplit(":", 1)
password = dict(o.split("=", 1) for o in options).get("password")
pg = kv(os.environ["ConnectionStrings__appdb"])
deadline = time.monotonic() + 60
while True:
    try:
        redis.Redis(host=host, port=int(port), password=password, socket_connect_timeout=2).ping()
        with psycopg.connect(host=pg["Host"], port=int(pg["Port"]), user=pg["Username"], password=pg["Password"],
                             dbname=pg["Database"], connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        break
    except Exception:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.02)
pathlib.Path(os.environ["READY_FILE"]).write_text("connected")
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(3600)
'''

APPHOST = '''
import os, sys
import aspyre

SCENARIO, N, HERE = os.environ["BENCH_SCENARIO"], int(os.environ["BENCH_N"]), os.path.dirname(__file__)
builder = aspyre.DistributedApplication.create_builder()
if SCENARIO == "stack":
    password = builder.add_parameter("cache-password", os.environ["BENCH_PASSWORD"], secret=True)
    cache = builder.add_redis("cache", password=password)
    appdb = builder.add_postgres("pg").add_database("appdb")
    for i in (1, 2):
        (builder.add_executable(f"worker{i}", sys.executable, os.path.join(HERE, "worker.py"))
            .with_environment("READY_FILE", os.path.join(HERE, f"ready-{i}"))
            .with_reference(cache).with_reference(appdb).wait_for(cache).wait_for(appdb))
else:
    password = builder.add_parameter("cache-password", os.environ["BENCH_PASSWORD"], secret=True)
    names = {f"cache{i}" for i in range(N)}
    for name in sorted(names):
        builder.add_redis(name, password=password)
    ready = set()

    def on_ready(event):
        ready.add(event.resource.name)
        if ready >= names:
            print("BENCH-ALL-READY", flush=True)

    builder.eventing.subscribe(aspyre.events.ResourceReadyEvent, on_ready)
builder.build().run()
'''

SDK = '''
import os, signal, subprocess, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
import docker, psycopg, redis

SCENARIO, N, HERE, RUN = os.environ["BENCH_SCENARIO"], int(os.environ["BENCH_N"]), os.path.dirname(__file__), os.environ["BENCH_RUN"]
PW = os.environ["BENCH_PASSWORD"]
client = docker.from_env()
labels = {"LABEL": RUN}
pool = ThreadPoolExecutor(16)
containers, workers = [], []

def start(name, image, command, env, port):
    c = client.containers.create(image, command=command, environment=env, name=f"{RUN}-{name}", labels=labels,
                                 ports={port: ("127.0.0.1", None)}, detach=True)
    containers.append(c)
    c.start()
    c.reload()
    return int(c.ports[port][0]["HostPort"])

def until(check):
    while True:
        try:
            check()
            return
        except Exception:
            time.sleep(0.02)

def redis_ready(port):
    until(lambda: redis.Redis(host="127.0.0.1", port=port, password=PW, socket_connect_timeout=1).ping())

def stop():
    for w in workers:
        w.terminate()
    def stop_remove(c):  # as an orchestrator stops: SIGTERM, grace, then remove with its anonymous volumes
        c.stop(timeout=10)
        c.remove(v=True)
    list(pool.map(stop_remove, containers))
    for w in workers:
        w.wait()

try:
    if SCENARIO == "stack":
        r = pool.submit(start, "cache", "REDIS", ["--requirepass", PW], {}, "6379/tcp")
        p = pool.submit(start, "pg", "POSTGRES", None, {"POSTGRES_PASSWORD": PW, "POSTGRES_DB": "appdb"}, "5432/tcp")
        rport, pport = r.result(), p.result()
        def pg_ready():
            with psycopg.connect(host="127.0.0.1", port=pport, user="postgres", password=PW, dbname="appdb", connect_timeout=1) as c:
                c.execute("SELECT 1")
        list(pool.map(lambda f: f(), [lambda: redis_ready(rport), lambda: until(pg_ready)]))
        env = dict(os.environ, ConnectionStrings__cache=f"127.0.0.1:{rport},password={PW}",
                   ConnectionStrings__appdb=f"Host=127.0.0.1;Port={pport};Username=postgres;Password={PW};Database=appdb")
        for i in (1, 2):
            workers.append(subprocess.Popen([sys.executable, os.path.join(HERE, "worker.py")], start_new_session=True,
                                            env=dict(env, READY_FILE=os.path.join(HERE, f"ready-{i}"))))
    else:
        ports = list(pool.map(lambda i: start(f"cache{i}", "REDIS", ["--requirepass", PW], {}, "6379/tcp"), range(N)))
        list(pool.map(redis_ready, ports))
        print("BENCH-ALL-READY", flush=True)
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
finally:
    stop()
'''

COMPOSE_DRIVER = '''
import os, subprocess, sys, time
HERE, RUN, SCENARIO = os.path.dirname(__file__), os.environ["BENCH_RUN"], os.environ["BENCH_SCENARIO"]
PW = os.environ["BENCH_PASSWORD"]
compose = ["docker-compose", "-p", RUN, "-f", os.path.join(HERE, "docker-compose.yml")]
workers = []
def port(service, target):
    out = subprocess.run([*compose, "port", service, str(target)], capture_output=True, text=True, check=True).stdout
    return int(out.strip().rsplit(":", 1)[1])
try:
    subprocess.run([*compose, "up", "-d", "--quiet-pull"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if SCENARIO == "stack":
        rport, pport = port("cache", 6379), port("pg", 5432)
        env = dict(os.environ, ConnectionStrings__cache=f"127.0.0.1:{rport},password={PW}",
                   ConnectionStrings__appdb=f"Host=127.0.0.1;Port={pport};Username=postgres;Password={PW};Database=appdb")
        for i in (1, 2):
            workers.append(subprocess.Popen([sys.executable, os.path.join(HERE, "worker.py")], start_new_session=True,
                                            env=dict(env, READY_FILE=os.path.join(HERE, f"ready-{i}"))))
    else:
        print("BENCH-ALL-READY", flush=True)
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
finally:
    for w in workers:
        w.terminate()
    subprocess.run([*compose, "down", "-v", "--timeout", "10"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for w in workers:
        w.wait()
'''

TESTCONTAINERS = '''
import contextlib, os, subprocess, sys, time
os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"  # no Ryuk image here (no registry)
os.environ["TESTCONTAINERS_CONNECTION_MODE"] = "docker_host"  # the engine runs beside us, not as our host
from testcontainers.community.postgres import PostgresContainer
from testcontainers.community.redis import RedisContainer
HERE, RUN, SCENARIO, N = os.path.dirname(__file__), os.environ["BENCH_RUN"], os.environ["BENCH_SCENARIO"], int(os.environ["BENCH_N"])
PW = os.environ["BENCH_PASSWORD"]
workers = []
def redis_container(name):
    return RedisContainer("REDIS", password=PW).with_name(f"{RUN}-{name}").with_kwargs(labels={"LABEL": RUN})
try:
    with contextlib.ExitStack() as stack:
        if SCENARIO == "stack":
            r = stack.enter_context(redis_container("cache"))
            p = stack.enter_context(PostgresContainer("POSTGRES", password=PW, dbname="appdb", driver=None)
                                    .with_name(f"{RUN}-pg").with_kwargs(labels={"LABEL": RUN}))
            rport, pport = int(r.get_exposed_port(6379)), int(p.get_exposed_port(5432))
            env = dict(os.environ, ConnectionStrings__cache=f"127.0.0.1:{rport},password={PW}",
                       ConnectionStrings__appdb=f"Host=127.0.0.1;Port={pport};Username=test;Password={PW};Database=appdb")
            for i in (1, 2):
                workers.append(subprocess.Popen([sys.executable, os.path.join(HERE, "worker.py")], start_new_session=True,
                                                env=dict(env, READY_FILE=os.path.join(HERE, f"ready-{i}"))))
        else:
            for i in range(N):
                stack.enter_context(redis_container(f"cache{i}"))
            print("BENCH-ALL-READY", flush=True)
        try:
            while True:
                time.sleep(3600)
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait()
except KeyboardInterrupt:
    pass
'''


def compose_file(scenario: str, n: int, run: str) -> str:
    redis_health = f'["CMD", "redis-cli", "-a", "{PASSWORD}", "--no-auth-warning", "ping"]'
    health = "      interval: 500ms\n      timeout: 2s\n      retries: 240\n"
    services: list[str] = []
    names: list[str] = []

    def redis(name: str) -> None:
        names.append(name)
        services.append(
            f"  {name}:\n    image: {REDIS_IMAGE}\n    command: [\"redis-server\", \"--requirepass\", \"{PASSWORD}\"]\n"
            f"    ports: [\"127.0.0.1::6379\"]\n    labels: {{{LABEL}: {run}}}\n"
            f"    healthcheck:\n      test: {redis_health}\n{health}"
        )

    if scenario == "stack":
        redis("cache")
        names.append("pg")
        services.append(
            f"  pg:\n    image: {POSTGRES_IMAGE}\n    environment: {{POSTGRES_PASSWORD: {PASSWORD}, POSTGRES_DB: appdb}}\n"
            f"    ports: [\"127.0.0.1::5432\"]\n    labels: {{{LABEL}: {run}}}\n    healthcheck:\n"
            f"      test: [\"CMD-SHELL\", \"PGPASSWORD={PASSWORD} psql -h 127.0.0.1 -U postgres -d appdb -c 'SELECT 1'\"]\n"
            f"{health}"
        )
    else:
        for i in range(n):
            redis(f"cache{i}")
    depends = "".join(f"      {name}: {{condition: service_healthy}}\n" for name in names)
    services.append(
        f"  ready:\n    image: {REDIS_IMAGE}\n    command: [\"true\"]\n    labels: {{{LABEL}: {run}}}\n"
        f"    depends_on:\n{depends}"
    )
    return "version: \"2.4\"\nservices:\n" + "".join(services)


class Sample:
    def __init__(self, ready: float | None, exit: float | None, leftovers: int, error: str = "") -> None:
        self.ready, self.exit, self.leftovers, self.error = ready, exit, leftovers, error


def _leftovers(client: Any, label: str, value: str) -> int:
    flt = {"label": f"{label}={value}"}
    return len(client.containers.list(all=True, filters=flt)) + len(client.networks.list(filters=flt))


def _clean(client: Any, label: str, value: str) -> None:
    flt = {"label": f"{label}={value}"}
    for c in client.containers.list(all=True, filters=flt):
        c.remove(force=True, v=True)
    for nw in client.networks.list(filters=flt):
        nw.remove()


def tree_path(root: Path) -> str:
    """The source directories of a checkout, as ``PYTHONPATH``."""
    dirs = [root / "core" / "src", *sorted(root.glob("plugins/*/src")), *sorted(root.glob("examples/*/src"))]
    return os.pathsep.join(str(d) for d in dirs)


def run_one(contender: str, scenario: str, python: str, interrupt: bool, compare: Path) -> Sample:
    import docker

    client = docker.from_env()
    n = {"stack": 0, "redis1": 1, "redis8": 8}[scenario]
    run = f"versus{os.getpid()}x{time.time_ns() % 10**9}"
    with tempfile.TemporaryDirectory(prefix="aspyre-versus-") as tmp:
        here = Path(tmp)
        (here / "worker.py").write_text(WORKER)
        scripts = {
            "aspyre": APPHOST,
            "sdk": SDK.replace('"LABEL"', repr(LABEL)).replace('"REDIS"', repr(REDIS_IMAGE)).replace(
                '"POSTGRES"', repr(POSTGRES_IMAGE)
            ),
            "compose": COMPOSE_DRIVER,
            "testcontainers": TESTCONTAINERS.replace('"LABEL"', repr(LABEL))
            .replace('"REDIS"', repr(REDIS_IMAGE))
            .replace('"POSTGRES"', repr(POSTGRES_IMAGE)),
        }
        kind = "aspyre" if contender in ("aspyre", "base") else contender
        script = here / ("apphost.py" if kind == "aspyre" else f"{kind}_driver.py")
        script.write_text(textwrap.dedent(scripts[kind]))
        if contender == "compose":
            (here / "docker-compose.yml").write_text(compose_file(scenario, n, run))
        env = dict(
            os.environ,
            BENCH_SCENARIO=scenario,
            BENCH_N=str(n),
            BENCH_RUN=run,
            BENCH_PASSWORD=PASSWORD,
            ASPYRE_DISABLE_PLUGINS="aspyre-dashboard",
            ASPYRE_SECRETS_DIR=str(here / "secrets"),
            PYTHONUNBUFFERED="1",
        )
        if contender == "base":  # aspyre from another checkout (--compare)
            env["PYTHONPATH"] = tree_path(compare)
        ready_files = [here / "ready-1", here / "ready-2"] if scenario == "stack" else []
        seen_ready = threading.Event()
        ready_at: list[float] = []
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [python, str(script)], cwd=here, env=env, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        errors: list[str] = []

        def read_out() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if "BENCH-ALL-READY" in line and not seen_ready.is_set():  # console lines may share the line
                    ready_at.append(time.perf_counter())
                    seen_ready.set()

        def read_err() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                errors.append(line)

        threads = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
        for t in threads:
            t.start()
        ready: float | None = None
        deadline = t0 + READY_TIMEOUT
        while time.perf_counter() < deadline and proc.poll() is None:
            if ready_files:
                if all(f.exists() for f in ready_files):
                    ready = time.perf_counter() - t0
                    break
                time.sleep(0.005)
            elif seen_ready.wait(0.05):
                ready = ready_at[0] - t0
                break
        exited: float | None = None
        if proc.poll() is None:
            time.sleep(1.0)  # settled: a person presses Ctrl-C later than at once
            t1 = time.perf_counter()
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=60)
                exited = time.perf_counter() - t1
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for t in threads:
            t.join(timeout=5)
        if kind == "aspyre":
            left = _leftovers(client, "aspyre.owner-pid", str(proc.pid))
            _clean(client, "aspyre.owner-pid", str(proc.pid))
        else:
            left = _leftovers(client, LABEL, run)
            if contender == "compose":
                left += _leftovers(client, "com.docker.compose.project", run)
                _clean(client, "com.docker.compose.project", run)
            _clean(client, LABEL, run)
        client.close()
        error = "" if ready is not None else "".join(errors[-20:]) or f"exit code {proc.returncode}"
        return Sample(ready, exited if interrupt else None, left, error)


def main() -> None:
    # Started in the background by a non-interactive shell, this process (and every contender it starts)
    # would ignore SIGINT: the contenders that rely on KeyboardInterrupt (the SDK, compose and testcontainers
    # scripts) would never stop on "Ctrl-C". Contenders inherit an ignored signal, not a handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds (medians)")
    parser.add_argument("--scenarios", default="stack,redis1,redis8")
    parser.add_argument("--contenders", default="aspyre,sdk,compose,testcontainers")
    parser.add_argument("--python", default=sys.executable, help="the interpreter every contender runs with")
    parser.add_argument(
        "--compare", type=Path, help="another checkout of aspyre: adds the contender 'base' (its aspyre, same rounds)"
    )
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")
    contenders = args.contenders.split(",")
    if args.compare is not None and "base" not in contenders:
        contenders.insert(1, "base")
    ready: dict[tuple[str, str], list[float]] = {(c, s): [] for c in contenders for s in scenarios}
    exits: dict[str, list[float]] = {c: [] for c in contenders}
    leftovers: dict[str, int] = {c: 0 for c in contenders}
    loads: list[float] = []
    for r in range(args.repeat):
        for scenario in scenarios:
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]  # rotate who goes first
            for contender in order:
                loads.append(os.getloadavg()[0])
                sample = run_one(contender, scenario, args.python, scenario == "stack", args.compare)
                if sample.ready is None:
                    print(f"{contender}/{scenario}: not ready: {sample.error.strip()[-800:]}", file=sys.stderr)
                    continue
                ready[contender, scenario].append(sample.ready)
                if sample.exit is not None:
                    exits[contender].append(sample.exit)
                leftovers[contender] += sample.leftovers
                print(
                    f"round {r + 1} {scenario:<7} {contender:<15} ready {sample.ready:6.3f}s"
                    + (f"  Ctrl-C→exit {sample.exit:6.3f}s" if sample.exit is not None else "")
                    + (f"  LEFT {sample.leftovers} objects" if sample.leftovers else ""),
                    flush=True,
                )

    def med(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    print(
        f"\nmedians of {args.repeat} interleaved rounds; load average during the run: median {med(loads):.2f}, "
        f"max {max(loads):.2f} (2 cores)"
    )
    head = f"{'scenario':<16}" + "".join(f"{c:>16}" for c in contenders)
    print(head)
    rows = [(f"{s} ready", [med(ready[c, s]) for c in contenders]) for s in scenarios]
    if "stack" in scenarios:
        rows.append(("stack Ctrl-C", [med(exits[c]) for c in contenders]))
    for label, values in rows:
        print(f"{label:<16}" + "".join(f"{v:>15.3f}s" for v in values))
    if "aspyre" in contenders:
        print("\naspyre ÷ each (below 1: aspyre is ahead; 'base' is aspyre from --compare)")
        print(f"{'scenario':<16}" + "".join(f"{c:>16}" for c in contenders if c != "aspyre"))
        for label, values in rows:
            mine = values[contenders.index("aspyre")]
            print(
                f"{label:<16}"
                + "".join(f"{mine / v:>16.2f}" for c, v in zip(contenders, values, strict=True) if c != "aspyre")
            )
    print("objects left after exit: " + ", ".join(f"{c} {leftovers[c]}" for c in contenders))


if __name__ == "__main__":
    main()
