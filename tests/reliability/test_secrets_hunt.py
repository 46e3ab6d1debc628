"""A secrets hunt: an app host with secret parameters, a secret connection string and a generated secret
(Redis with a password, Postgres, a worker that uses both with real clients) goes through every way aspyre
shows or writes things, and no secret value may appear in any of them:

* ``aspyre run --plain``, the live table of ``aspyre run`` on a terminal, ``python apphost.py``;
* ``aspyre describe`` and ``aspyre describe --json``;
* ``aspyre publish`` to the manifest, Docker Compose and Kubernetes (the values files ``.env`` and
  ``secrets.env`` excepted: keeping secrets is what they are for), and what the command prints;
* the pytest plugin's report of a failing test;
* in process: ``repr`` and ``str`` of every resource, parameter, annotation, snapshot and event, the
  resource logs, and the app host's Python log records.

Each output is its own test case, so the report counts them.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

import aspyre
import aspyre.testing

from .helpers import ASPYRE, run, run_until

pytestmark = [pytest.mark.reliability, pytest.mark.docker, pytest.mark.slow]


def _secret(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


#: The secret values, by what they are (letters and digits only, so every encoding shows them as they are).
SECRETS = {
    "redis password": _secret("rds"),
    "postgres password": _secret("pgs"),
    "api key": _secret("key"),
    "connection string password": _secret("ext"),
}

APP_HOST = """
import aspyre

builder = aspyre.DistributedApplication.create_builder()

redis_password = builder.add_parameter("redis-password", secret=True)
pg_password = builder.add_parameter("pg-password", secret=True)
api_key = builder.add_parameter("api-key", secret=True)
token = builder.add_parameter("token", secret=True, default=aspyre.GenerateParameterDefault())
ext = builder.add_connection_string("ext")

cache = builder.add_redis("cache", password=redis_password)
db = builder.add_postgres("pg", password=pg_password).add_database("appdb")

(
    builder.add_python_app("worker", "worker.py", "--api-key", api_key)
    .with_reference(cache)
    .with_reference(db)
    .with_reference(ext)
    .with_environment("API_KEY", api_key)
    .with_environment("TOKEN", token)
    .with_environment("AUTHORIZATION", aspyre.ReferenceExpression.format("Bearer {}", token))
    .wait_for(cache)
    .wait_for(db)
)

builder.build().run()
"""

WORKER = """
import os
import sys

import psycopg
import redis

assert redis.Redis.from_url(os.environ["CACHE_URI"]).ping()
with psycopg.connect(os.environ["APPDB_URI"]) as conn:
    assert conn.execute("SELECT 1").fetchone() == (1,)
assert sys.argv[1:] == ["--api-key", os.environ["API_KEY"]]
assert "Password=" in os.environ["ConnectionStrings__ext"] and os.environ["TOKEN"]
print("worker: redis and postgres answered with their passwords")
"""

FAILING_TEST = """
import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_fails_with_resources_in_the_explanation(aspyre_app_factory):
    app = await aspyre_app_factory("apphost.py")
    await app.resource_notifications.wait_for_resource("worker", "Finished")
    snapshots = {r.name: app.resource_notifications.get_snapshot(r) for r in app.model}
    resources = list(app.model)
    assert snapshots == {} and resources == [], "the report must show these without their secrets"
"""

#: The worker finished: the run is complete.
DONE = r"worker\s*(:|│|\|)?\s*.*Finished"

#: What the publishers write that holds secrets by design.
VALUES_FILES = {".env", "secrets.env"}


class Hunt:
    """Every output collected, by name, and the secrets to look for."""

    def __init__(self) -> None:
        self.outputs: dict[str, str] = {}
        self.secrets = dict(SECRETS)

    def add(self, name: str, text: str) -> None:
        assert name not in self.outputs, name
        self.outputs[name] = text


def _in_process(app_host: Path, env: dict[str, str], hunt: Hunt) -> None:
    """Run the app in this process and record every repr, str, snapshot, event, log line and log record."""
    events: list[str] = []
    records: list[str] = []

    def configure(builder: aspyre.DistributedApplicationBuilder) -> None:
        builder.eventing.subscribe(aspyre.events.Event, lambda e: events.extend((repr(e), str(e))))

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            app = aspyre.testing.load_app_host(app_host, configure=configure)

            async def main() -> None:
                async with app:
                    with anyio.fail_after(240):
                        snap = await app.resource_notifications.wait_for_resource("worker", aspyre.KnownResourceStates.FINISHED)
                    assert snap.exit_code == 0, list(app.resource_loggers.backlog("worker"))
                    hunt.add("in process: snapshots (repr)", "\n".join(repr(app.resource_notifications.get_snapshot(r)) for r in app.model))
                    hunt.add("in process: snapshots (str)", "\n".join(str(app.resource_notifications.get_snapshot(r)) for r in app.model))

            anyio.run(main)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    hunt.add("in process: resources and parameters (repr, str)", "\n".join(f"{r!r}\n{r}" for r in app.model))
    hunt.add(
        "in process: annotations (repr, str)",
        "\n".join(f"{a!r}\n{a}" for r in app.model for a in r.annotations),
    )
    hunt.add("in process: events (repr, str)", "\n".join(events))
    hunt.add(
        "in process: resource logs",
        "\n".join(f"{r.name} | {line.content}" for r in app.model for line in app.resource_loggers.backlog(r.name)),
    )
    hunt.add("in process: Python log records", "\n".join(records))
    hunt.add("in process: the app and its model (repr)", f"{app!r}\n{app.model!r}")
    assert any("worker: redis and postgres answered" in line for line in hunt.outputs["in process: resource logs"].splitlines())


@pytest.fixture(scope="module")
def hunt(tmp_path_factory: pytest.TempPathFactory) -> Hunt:
    app_dir = tmp_path_factory.mktemp("secrets-hunt")
    store = tmp_path_factory.mktemp("secrets-store")
    (app_dir / "apphost.py").write_text(textwrap.dedent(APP_HOST).lstrip())
    (app_dir / "worker.py").write_text(textwrap.dedent(WORKER).lstrip())
    (app_dir / "test_report.py").write_text(textwrap.dedent(FAILING_TEST).lstrip())
    env = {
        "ASPYRE_SECRETS_DIR": str(store),
        "Parameters__redis-password": SECRETS["redis password"],
        "Parameters__pg-password": SECRETS["postgres password"],
        "Parameters__api-key": SECRETS["api key"],
        "ConnectionStrings__ext": f"Server=db.example.com;User Id=app;Password={SECRETS['connection string password']}",
    }
    full_env = {**os.environ, **env}
    full_env.pop("COLUMNS", None)
    result = Hunt()

    _in_process(app_dir / "apphost.py", env, result)
    # The generated secret is in the secrets store now (the one file allowed to hold it).
    (stored,) = list(store.glob("*.json"))
    result.secrets["generated token"] = json.loads(stored.read_text())["parameters"]["token"]

    result.add("aspyre run --plain", run_until([str(ASPYRE), "run", "--plain", "apphost.py"], app_dir, full_env, DONE))
    result.add(
        "aspyre run (live table on a terminal)",
        run_until([str(ASPYRE), "run", "apphost.py"], app_dir, full_env, DONE, tty=True),
    )
    result.add("python apphost.py", run_until([sys.executable, "apphost.py"], app_dir, full_env, DONE))
    result.add("aspyre describe", run([str(ASPYRE), "describe", "apphost.py"], app_dir, full_env))
    result.add("aspyre describe --json", run([str(ASPYRE), "describe", "--json", "apphost.py"], app_dir, full_env))
    for publisher in ("manifest", "docker-compose", "kubernetes"):
        out = app_dir / f"out-{publisher}"
        printed = run([str(ASPYRE), "publish", "apphost.py", "-p", publisher, "-o", str(out)], app_dir, full_env)
        result.add(f"aspyre publish -p {publisher}: console", printed)
        files = sorted(p for p in out.rglob("*") if p.is_file())
        assert files, publisher
        for path in files:
            if path.name not in VALUES_FILES:
                result.add(f"aspyre publish -p {publisher}: {path.relative_to(out)}", path.read_text(errors="replace"))
    report = run_pytest_report(app_dir, full_env)
    result.add("pytest plugin: report of a failing test", report)
    return result


def run_pytest_report(app_dir: Path, env: dict[str, str]) -> str:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_report.py"],
        cwd=app_dir, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    text = done.stdout + done.stderr
    assert done.returncode == 1, text  # the test fails, and pytest reports it
    assert "Captured aspyre resource logs" in text, text
    assert "worker: redis and postgres answered" in text, text
    return text


#: Every output the hunt searches (the names the fixture gives them).
OUTPUTS = [
    "in process: snapshots (repr)",
    "in process: snapshots (str)",
    "in process: resources and parameters (repr, str)",
    "in process: annotations (repr, str)",
    "in process: events (repr, str)",
    "in process: resource logs",
    "in process: Python log records",
    "in process: the app and its model (repr)",
    "aspyre run --plain",
    "aspyre run (live table on a terminal)",
    "python apphost.py",
    "aspyre describe",
    "aspyre describe --json",
    "aspyre publish -p manifest: console",
    "aspyre publish -p docker-compose: console",
    "aspyre publish -p kubernetes: console",
    "pytest plugin: report of a failing test",
]


def leaks(hunt: Hunt, text: str) -> list[str]:
    """The secrets ``text`` shows, whole or in part (either half of one is enough to count)."""
    found = []
    for what, value in hunt.secrets.items():
        half = len(value) // 2
        if value in text or value[:half] in text or value[half:] in text:
            found.append(what)
    return found


@pytest.mark.parametrize("output", OUTPUTS)
def test_no_secret_in(hunt: Hunt, output: str) -> None:
    text = hunt.outputs[output]
    assert text.strip(), f"{output} is empty: nothing was searched"
    assert leaks(hunt, text) == [], f"{output} shows secrets:\n{text}"


def test_no_secret_in_any_published_file(hunt: Hunt) -> None:
    files = {name: text for name, text in hunt.outputs.items() if name.startswith("aspyre publish") and ":" in name and not name.endswith("console")}
    assert len(files) >= 10
    shown = {name: leaks(hunt, text) for name, text in files.items()}
    assert {name: what for name, what in shown.items() if what} == {}


def test_the_outputs_are_what_they_claim(hunt: Hunt) -> None:
    """Each output really shows the run (the worker's line, the table, the masked values): a hunt through
    empty or wrong outputs would find nothing too."""
    worker_line = "worker: redis and postgres answered with their passwords"
    for name in ("aspyre run --plain", "python apphost.py", "aspyre run (live table on a terminal)"):
        assert worker_line in hunt.outputs[name], name
    table = hunt.outputs["aspyre run (live table on a terminal)"]
    assert "Ctrl-C stops the app" in table and "Endpoints" in table
    assert "Ctrl-C stops the app" not in hunt.outputs["aspyre run --plain"]
    snapshots = hunt.outputs["in process: snapshots (repr)"]
    for variable in ("ConnectionStrings__appdb", "ConnectionStrings__cache", "ConnectionStrings__ext", "API_KEY", "TOKEN"):
        assert f"name='{variable}', value=***" in snapshots, variable
    assert "name='executable.args', value=***" in snapshots
    assert "name='CACHE_PORT', value='" in snapshots  # not everything of a resource with a password is masked
    described = json.loads(hunt.outputs["aspyre describe --json"])
    assert "worker" in json.dumps(described)
    assert "worker" in hunt.outputs["aspyre describe"]
    published = [name for name in hunt.outputs if name.startswith("aspyre publish -p docker-compose: ")]
    assert "aspyre publish -p docker-compose: docker-compose.yaml" in published


def test_the_hunt_searched_everything(hunt: Hunt) -> None:
    """The counts in the closing note: outputs searched, characters, secrets, and leaks found (none)."""
    assert set(OUTPUTS) <= set(hunt.outputs)
    assert len(hunt.secrets) == 5
    total = sum(len(t) for t in hunt.outputs.values())
    found = sum(len(leaks(hunt, t)) for t in hunt.outputs.values())
    print(f"secrets hunt: {len(hunt.secrets)} secrets, {len(hunt.outputs)} outputs, {total} characters, {found} leaks")
    assert found == 0
