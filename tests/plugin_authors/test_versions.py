"""Reading what a plugin declares about aspyre (its ``Requires-Dist``), comparing versions, and the interpreter
choice integrations reuse (``builder.python_interpreter``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import aspyre
from aspyre._plugin_versions import aspyre_requirement, requirement_problem, version_key


@pytest.mark.parametrize(
    ("specifier", "version", "problem"),
    [
        (">=0.1.0", "0.1.0", None),
        (">=0.2", "0.1.0", "it requires aspyre>=0.2"),
        (">=0.1, <0.3", "0.2.5", None),
        (">=0.1,<0.3", "0.3.0", "it requires aspyre>=0.1,<0.3"),
        ("~=0.1.0", "0.1.9", None),
        ("~=0.1.0", "0.2", "it requires aspyre~=0.1.0"),
        ("==0.1.*", "0.1.7", None),
        ("!=0.1.*", "0.1.7", "it requires aspyre!=0.1.*"),
        (">=1.0", "1.0.dev1", "it requires aspyre>=1.0"),
        (">=1.0rc1", "1.0", None),
        ("===0.1.0", "0.1.0", None),
        ("", "0.1.0", None),
        ("something odd", "0.1.0", None),  # unreadable: never held against the plugin
    ],
)
def test_requirement_problems(specifier: str, version: str, problem: str | None) -> None:
    assert requirement_problem(specifier, version) == problem


def test_versions_sort_as_pep_440_says() -> None:
    ordered = ["1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1.1"]
    keys = [version_key(v) for v in ordered]
    assert keys == sorted(keys)  # type: ignore[type-var]
    assert version_key("1.0") == version_key("1.0.0")
    assert version_key("not a version") is None


def test_the_requirement_on_aspyre_is_found_among_requires_dist() -> None:
    assert aspyre_requirement(["redis>=5", "aspyre (>=0.1.0)"]) == ">=0.1.0"
    assert aspyre_requirement(['Aspyre[redis]>=0.1,<1 ; python_version >= "3.11"']) == ">=0.1,<1"
    assert aspyre_requirement(['aspyre>=9; extra == "docs"']) is None
    assert aspyre_requirement(["aspyre"]) == ""
    assert aspyre_requirement(["aspyre-redis>=0.1"]) is None


def test_the_stated_plugin_api_version() -> None:
    assert aspyre.plugins.API_VERSION == "0.1"
    assert aspyre.__version__.startswith(aspyre.plugins.API_VERSION + ".")


def test_python_interpreter_is_add_python_apps_choice(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")
    assert builder.python_interpreter() == sys.executable  # no .venv next to the app host
    app = tmp_path / "svc"
    (app / ".venv" / "bin").mkdir(parents=True)
    (app / ".venv" / "bin" / "python").write_text("")
    assert builder.python_interpreter("svc") == str(app / ".venv" / "bin" / "python")
    assert builder.python_interpreter("svc", interpreter="python3.12") == "python3.12"
    assert builder.python_interpreter(interpreter="tools/py") == str(tmp_path / "tools" / "py")
    with pytest.raises(FileNotFoundError, match="has no Python interpreter"):
        builder.python_interpreter("svc", venv="missing-venv")
    web = builder.add_python_app("web", "svc/main.py")
    assert web.resource.command == builder.python_interpreter("svc")
