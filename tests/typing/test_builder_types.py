"""The resource builders' types, as mypy and pyright see them.

Container-only methods (``with_image``, ``with_volume``...) exist for type checkers only on builders of
containers, ``with_working_directory`` only on builders of executables, ``with_uv``, ``with_debugpy``... only
on builders of Python apps: both checkers must reject
``builder.add_parameter("p").with_image("x")`` and accept the typed uses in ``snippets/builders_ok.py``
with the types its ``assert_type`` calls state. The checkers run as subprocesses, from this virtual
environment (they are development requirements: no skip).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import aspyre

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = Path(__file__).resolve().parent / "snippets"
OK = SNIPPETS / "builders_ok.py"
WRONG = SNIPPETS / "builders_wrong.py"
#: Every ``app`` a plugin sees is typed (``aspyre.events.App``), and a built app is one.
APP = SNIPPETS / "app_ok.py"
#: Names aspyre-redis and aspyre-postgres export on first use: typed, and a misspelt one is an error.
LAZY = SNIPPETS / "lazy_names.py"
BIN = Path(sys.executable).parent


def marked_lines(path: Path) -> set[int]:
    """The lines of ``path`` that end with ``# wrong``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {i for i, line in enumerate(lines, start=1) if line.rstrip().endswith("# wrong")}


def mypy_errors() -> dict[str, set[int]]:
    """File name -> the lines mypy reports errors on (both snippets in one run, with the project's settings)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-column-numbers",
            str(OK),
            str(WRONG),
            str(APP),
            str(LAZY),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 2: mypy itself failed
    found: dict[str, set[int]] = {OK.name: set(), WRONG.name: set(), APP.name: set(), LAZY.name: set()}
    for m in re.finditer(r"^(?P<file>[^\s:]+):(?P<line>\d+):\d+: error:", proc.stdout, re.MULTILINE):
        found.setdefault(Path(m["file"]).name, set()).add(int(m["line"]))
    return found


def pyright_errors() -> dict[str, set[int]]:
    """File name -> the lines pyright (basedpyright, the project's settings) reports errors on."""
    exe = BIN / "basedpyright"
    assert exe.exists(), f"{exe} is missing: basedpyright is a development requirement (scripts/setup installs it)"
    proc = subprocess.run(
        [str(exe), "--outputjson", str(OK), str(WRONG), str(APP), str(LAZY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    found: dict[str, set[int]] = {OK.name: set(), WRONG.name: set(), APP.name: set(), LAZY.name: set()}
    for d in report["generalDiagnostics"]:
        if d["severity"] == "error":
            found.setdefault(Path(d["file"]).name, set()).add(d["range"]["start"]["line"] + 1)
    return found


@pytest.fixture(scope="module")
def checked() -> dict[str, dict[str, set[int]]]:
    return {"mypy": mypy_errors(), "pyright": pyright_errors()}


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_typed_uses_type_check_with_the_stated_types(checked: dict[str, dict[str, set[int]]], checker: str) -> None:
    assert checked[checker][OK.name] == set()


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_the_app_plugins_see_is_typed_and_a_built_app_is_one(
    checked: dict[str, dict[str, set[int]]], checker: str
) -> None:
    assert checked[checker][APP.name] == set()


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_container_only_methods_are_errors_on_other_builders(
    checked: dict[str, dict[str, set[int]]], checker: str
) -> None:
    wrong = marked_lines(WRONG)
    assert len(wrong) >= 7, "the snippet lost its wrong lines"
    assert checked[checker][WRONG.name] == wrong


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_names_exported_on_first_use_are_typed_and_misspelt_ones_are_errors(
    checked: dict[str, dict[str, set[int]]], checker: str
) -> None:
    assert len(marked_lines(LAZY)) == 2
    assert checked[checker][LAZY.name] == marked_lines(LAZY)


def test_names_exported_on_first_use_resolve_and_misspelt_ones_raise_at_run_time() -> None:
    namespace: dict[str, object] = {}
    exec(compile(LAZY.read_text(encoding="utf-8"), str(LAZY), "exec"), namespace)
    check = namespace["check"]
    assert callable(check)
    with pytest.raises(AttributeError, match=r"^module 'aspyre_redis' has no attribute 'with_redis_comander'$"):
        check()


def test_the_snippet_marker_is_read() -> None:
    assert 'builder.add_parameter("p").with_image("x")' in WRONG.read_text().splitlines()[min(marked_lines(WRONG)) - 1]


def test_the_typed_uses_run(tmp_path: Path) -> None:
    namespace: dict[str, object] = {}
    exec(compile(OK.read_text(encoding="utf-8"), str(OK), "exec"), namespace)
    build = namespace["build"]
    assert callable(build)
    build(tmp_path / "apphost.py")


def test_the_typed_app_code_runs(tmp_path: Path) -> None:
    namespace: dict[str, object] = {}
    exec(compile(APP.read_text(encoding="utf-8"), str(APP), "exec"), namespace)
    build = namespace["build"]
    assert callable(build)
    assert build(tmp_path / "apphost.py") == ["p"]


def test_the_wrong_uses_fail_at_run_time_too(tmp_path: Path) -> None:
    """Untyped callers get the TypeError naming the method and the resource."""
    lines = WRONG.read_text(encoding="utf-8").splitlines()
    setup = "\n".join(line for i, line in enumerate(lines, start=1) if i not in marked_lines(WRONG))
    setup = setup.replace("create_builder([])", f"create_builder([], app_host_path={str(tmp_path / 'apphost.py')!r})")
    for number in sorted(marked_lines(WRONG)):
        namespace: dict[str, object] = {}
        exec(compile(setup, str(WRONG), "exec"), namespace)
        with pytest.raises(TypeError, match=r"\(\) needs (a container resource|an executable resource|a Python app)"):
            exec(compile(lines[number - 1], str(WRONG), "exec"), namespace)
    assert isinstance(namespace["builder"], aspyre.DistributedApplicationBuilder)
