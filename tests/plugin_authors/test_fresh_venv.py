"""In a fresh virtual environment, as a user has it: aspyre, aspyre-redis and aspyre-postgres installed from wheels
of this checkout (their other requirements from the package index), nothing editable.

* ``aspyre stubs`` makes ``builder.add_redis(...)`` a ``ResourceBuilder[RedisResource]`` for mypy and pyright
  (before it, it is ``Any``), and a wrong argument to a plugin method an error in both;
* ``aspyre new integration gauge`` writes a distribution that installs and passes its own tests unchanged;
  once installed, the stubs are out of date (``aspyre stubs --check`` fails, builders warn), and after
  ``aspyre stubs`` again both checkers see ``builder.add_gauge(...)`` with its real signature.

The type checkers are the ones of the development environment, pointed at the fresh one
(``mypy --python-executable``, ``basedpyright --pythonpath``), each with its own plain settings.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow

REDIS_APP_HOST = """\
from typing import assert_type

import aspyre
from aspyre_postgres import PostgresDatabaseResource, PostgresServerResource
from aspyre_redis import RedisResource

builder = aspyre.DistributedApplication.create_builder()
cache = builder.add_redis("cache")
assert_type(cache, aspyre.ResourceBuilder[RedisResource])
assert_type(cache.with_persistence(30).with_data_volume().with_image_tag("8"), aspyre.ResourceBuilder[RedisResource])
pg = builder.add_postgres("pg", port=5432)
assert_type(pg, aspyre.ResourceBuilder[PostgresServerResource])
assert_type(pg.add_database("appdb"), aspyre.ResourceBuilder[PostgresDatabaseResource])
assert_type(pg.with_data_volume(read_only=True), aspyre.ResourceBuilder[PostgresServerResource])
builder.add_redis("other", port="6379")  # wrong
cache.with_persistence(interval="often")  # wrong
pg.with_persistence()  # wrong
builder.add_rediss("typo")  # wrong
builder.build().run()
"""

GAUGE_APP_HOST = """\
from typing import assert_type

import aspyre
from aspyre_gauge import GaugeResource

builder = aspyre.DistributedApplication.create_builder()
gauge = builder.add_gauge("gauge", port=8080)
assert_type(gauge, aspyre.ResourceBuilder[GaugeResource])
assert_type(gauge.with_greeting("hi").with_http_health_check("/health"), aspyre.ResourceBuilder[GaugeResource])
builder.add_gauge("g2", greting="hi")  # wrong
builder.add_redis("cache").with_greeting("hi")  # wrong
builder.build().run()
"""


def _run(*args: str | Path, cwd: Path, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASPYRE_", "VIRTUAL_ENV", "PYTHON"))}
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


class FreshVenv:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.wheels = root / "wheels"
        self.venv = root / "venv"
        self.python = self.venv / "bin" / "python"
        self.aspyre = self.venv / "bin" / "aspyre"
        self.projects = root / "projects"
        self.gauge: Path | None = None

    def create(self) -> None:
        _run(
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", self.wheels,
            ROOT / "core", ROOT / "plugins" / "redis", ROOT / "plugins" / "postgres", cwd=self.root,
        )  # fmt: skip
        _run(sys.executable, "-m", "venv", self.venv, cwd=self.root)
        self.pip_install("aspyre", "aspyre-redis", "aspyre-postgres")

    def pip_install(self, *requirements: str | Path) -> None:
        _run(
            self.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--find-links", self.wheels,
            *requirements, cwd=self.root,
        )  # fmt: skip

    def install_gauge(self) -> Path:
        """``aspyre new integration gauge``, installed with its test requirements (once)."""
        if self.gauge is None:
            self.projects.mkdir(exist_ok=True)
            made = _run(self.aspyre, "new", "integration", "gauge", "-o", self.projects, cwd=self.root)
            assert "Wrote 11 files" in made.stdout
            self.gauge = self.projects / "aspyre-gauge"
            self.pip_install(f"{self.gauge}[test]")
        return self.gauge


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> FreshVenv:
    env = FreshVenv(tmp_path_factory.mktemp("fresh"))
    env.create()
    return env


def wrong_lines(source: str) -> set[int]:
    return {i for i, line in enumerate(source.splitlines(), start=1) if line.rstrip().endswith("# wrong")}


def type_errors(fresh: FreshVenv, source: str, name: str) -> dict[str, set[int]]:
    """The lines mypy (strict) and pyright (standard) report errors on, for ``source`` in the fresh venv."""
    work = fresh.root / "check"
    work.mkdir(exist_ok=True)
    (work / name).write_text(source, encoding="utf-8")
    (work / "pyrightconfig.json").write_text(json.dumps({"typeCheckingMode": "standard", "pythonVersion": "3.11"}))
    mypy = _run(
        sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-column-numbers",
        "--python-executable", fresh.python, "--cache-dir", fresh.root / "mypy-cache", name, cwd=work, check=False,
    )  # fmt: skip
    assert mypy.returncode in (0, 1), mypy.stdout + mypy.stderr
    pyright = _run(BIN / "basedpyright", "--outputjson", "--pythonpath", fresh.python, name, cwd=work, check=False)
    assert pyright.returncode in (0, 1), pyright.stdout + pyright.stderr
    found = {
        "mypy": {
            int(m["line"]) for m in re.finditer(rf"^{re.escape(name)}:(?P<line>\d+):\d+: error:", mypy.stdout, re.M)
        },
        "pyright": {
            d["range"]["start"]["line"] + 1
            for d in json.loads(pyright.stdout)["generalDiagnostics"]
            if d["severity"] == "error"
        },
    }
    found["mypy_output"] = mypy.stdout  # type: ignore[assignment]
    return found


def test_typed_extension_methods_after_one_command_and_after_installing_a_third_party_plugin(fresh: FreshVenv) -> None:
    wrong = wrong_lines(REDIS_APP_HOST)
    assert len(wrong) == 4
    asserts = {i for i, line in enumerate(REDIS_APP_HOST.splitlines(), start=1) if line.startswith("assert_type(")}

    # Without stubs, plugin methods are Any: every assert_type fails, no wrong argument is seen.
    before = type_errors(fresh, REDIS_APP_HOST, "apphost.py")
    for checker in ("mypy", "pyright"):
        assert asserts <= before[checker], (checker, before)
        assert 15 not in before[checker], checker  # add_redis(port="6379") is not checked

    generated = _run(fresh.aspyre, "stubs", cwd=fresh.root)
    assert "Wrote type stubs of the installed extension methods" in generated.stdout
    assert _run(fresh.aspyre, "stubs", "--check", cwd=fresh.root).returncode == 0
    assert "Type stubs: up to date" in _run(fresh.aspyre, "plugins", cwd=fresh.root).stdout

    after = type_errors(fresh, REDIS_APP_HOST, "apphost.py")
    assert after["mypy"] == wrong, after["mypy_output"]
    assert after["pyright"] == wrong
    assert 'Argument "port" to "add_redis"' in str(after["mypy_output"])

    # A third-party plugin arrives: the stubs are out of date, and say so.
    fresh.install_gauge()
    stale = _run(fresh.aspyre, "stubs", "--check", cwd=fresh.root, check=False)
    assert stale.returncode == 1
    assert "describe other plugins than the ones installed now: run 'aspyre stubs'" in stale.stderr
    warned = _run(fresh.python, "-c", "import aspyre; aspyre.DistributedApplication.create_builder([])", cwd=fresh.root)
    assert "StubsOutOfDateWarning" in warned.stderr and "Run 'aspyre stubs'" in warned.stderr

    _run(fresh.aspyre, "stubs", cwd=fresh.root)
    gauge = type_errors(fresh, GAUGE_APP_HOST, "gauge_app.py")
    assert gauge["mypy"] == wrong_lines(GAUGE_APP_HOST), gauge["mypy_output"]
    assert gauge["pyright"] == wrong_lines(GAUGE_APP_HOST)
    quiet = _run(
        fresh.python,
        "-W",
        "error",
        "-c",
        "import aspyre; aspyre.DistributedApplication.create_builder([])",
        cwd=fresh.root,
    )
    assert quiet.stderr == ""


def test_a_new_integration_installs_and_passes_its_own_tests_unchanged(fresh: FreshVenv) -> None:
    project = fresh.install_gauge()
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "docs/gauge.md",
        "pyproject.toml",
        "src/aspyre_gauge/__init__.py",
        "src/aspyre_gauge/_builder.py",
        "src/aspyre_gauge/_health.py",
        "src/aspyre_gauge/_resource.py",
        "src/aspyre_gauge/_server.py",
        "src/aspyre_gauge/py.typed",
        "tests/apphost.py",
        "tests/test_gauge.py",
    ]
    tests = _run(fresh.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, check=False)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"^5 passed", tests.stdout, re.M), tests.stdout
    check = _run(fresh.aspyre, "plugins", "--check", cwd=project)
    assert "no problems" in check.stdout
    listed = json.loads(_run(fresh.aspyre, "plugins", "--json", cwd=project).stdout)
    gauge = [p for g in listed["groups"] for p in g["plugins"] if p["distribution"] == "aspyre-gauge"]
    assert {(p["name"], p["status"]) for p in gauge} == {("add_gauge", "ok"), ("with_greeting", "ok")}
    pyproject = (project / "pyproject.toml").read_text()
    assert 'dependencies = ["aspyre>=0.1,<0.3", "httpx>=0.27"]' in pyproject
    assert (
        textwrap.dedent(
            """\
        [project.entry-points."aspyre.builder_methods"]
        add_gauge = "aspyre_gauge:add_gauge"
        """
        )
        in pyproject
    )
