"""Each distribution of the repository builds as a wheel and installs on its own."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = [ROOT / "core", *sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))]
PYTHON = sys.executable


def project_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def run(args: list[str], *, env: dict[str, str] | None = None, timeout: float) -> str:
    """Run a step of the test; a failure shows the step's own output (a bare CalledProcessError says nothing)."""
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, (
        f"{' '.join(args[:4])} ... exited with {proc.returncode}\n"
        f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("project", PROJECTS, ids=project_id)
def test_wheel_builds_and_installs_alone(project: Path, tmp_path: Path) -> None:
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    packages = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"][
        "packages"
    ]
    (package_dir,) = packages
    package = Path(package_dir).name

    # Build (offline: the build backend comes from this environment).
    dist = tmp_path / "dist"
    run([PYTHON, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(project)], timeout=300)
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert f"{package}/py.typed" in names
        assert f"{package}/__init__.py" in names
        # Every file of the package ships, data too (the dashboard's pages and scripts).
        source = project / package_dir
        files = {
            f"{package}/{f.relative_to(source).as_posix()}"
            for f in source.rglob("*")
            if f.is_file() and "__pycache__" not in f.parts
        }
        assert files <= set(names), sorted(files - set(names))
        assert not any(n.startswith(("tests/", "src/")) for n in names)
        ep_files = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        declared = meta.get("entry-points", {})
        if any(declared.values()):
            (ep_file,) = ep_files
            parser = configparser.ConfigParser(delimiters=("=",))
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            parser.read_string(zf.read(ep_file).decode())
            for group, eps in declared.items():
                for name, value in eps.items():
                    assert parser.get(group, name).strip() == value, (group, name)
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        assert f"Name: {meta['name']}" in metadata

    # Install only this wheel, without its dependencies, and use it from there.
    target = tmp_path / "site"
    run(
        [PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        timeout=300,
    )
    code = f"""
import importlib, importlib.metadata, json
mod = importlib.import_module({package!r})
dist = importlib.metadata.distribution({meta["name"]!r})
eps = sorted(f"{{e.group}}:{{e.name}}" for e in dist.entry_points if e.group.startswith("aspyre."))
resolved = []
for ep in dist.entry_points:
    if ep.group in ("aspyre.builder_methods", "aspyre.resource_methods"):
        resolved.append(callable(ep.load()))
print(json.dumps({{"file": mod.__file__, "dist": str(dist.locate_file("")), "eps": eps, "resolved": resolved}}))
"""
    env = dict(os.environ, PYTHONPATH=str(target))
    result = json.loads(run([PYTHON, "-c", code], env=env, timeout=120))
    assert Path(result["file"]).is_relative_to(target)
    assert Path(result["dist"]) == target
    expected = sorted(
        f"{g}:{n}" for g, eps in meta.get("entry-points", {}).items() if g.startswith("aspyre.") for n in eps
    )
    assert result["eps"] == expected
    assert all(result["resolved"])


def test_every_plugin_is_covered() -> None:
    names = {p.name for p in PROJECTS}
    assert {"core", "redis", "postgres", "talking_clock", "dashboard"} <= names
