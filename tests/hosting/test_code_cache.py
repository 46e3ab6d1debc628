"""attrs' generated methods of aspyre's classes, compiled once and kept on disk: same behaviour, no compile later."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import aspyre._code_cache as code_cache
from aspyre._code_cache import CodeCache, read_table, write_table

PROBE = """
import attrs

@attrs.frozen
class Point:
    x: int
    y: int = attrs.field(default=0, repr=lambda v: f"<{v}>")
    secret: str = attrs.field(default="s3cret", repr=False, eq=False)

@attrs.define
class Box:
    items: list[int] = attrs.field(factory=list)
"""

SCRIPT = """
import json, sys
import aspyre  # installs the cache before attrs is imported
from aspyre._code_cache import installed_cache
import {module} as m
import aspyre._model._annotations  # a module of aspyre's own

p = m.Point(1, 2)
salt = hash("<attrs generated hash {module}.Point>")
init_error = None
try:
    m.Point("too", "many", "args", "here")
except TypeError as exc:
    init_error = str(exc)
cache = installed_cache()
print(json.dumps({{
    "repr": repr(p), "eq": p == m.Point(1, 2, "other"), "ne": p != m.Point(2, 2),
    "hash": hash(p) == hash((salt, 1, 2)), "box": repr(m.Box([3])), "init_error": init_error,
    "hits": None if cache is None else cache.hits, "misses": None if cache is None else cache.misses,
}}))
"""


def run(tmp_path: Path, module: str = "aspyre_probe_mod", **env: str) -> dict[str, object]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ASPYRE_")}
    full_env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(tmp_path / "src"), **env)
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT.format(module=module)],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("aspyre_probe_mod", "other_probe_mod"):
        (src / f"{name}.py").write_text(PROBE)
    return src


EXPECTED = {
    "repr": "Point(x=1, y=<2>)",
    "eq": True,
    "ne": True,
    "hash": True,
    "box": "Box(items=[3])",
    "init_error": "Point.__init__() takes from 2 to 4 positional arguments but 5 were given",
}


def cache_file(tmp_path: Path, module: str = "aspyre_probe_mod") -> Path:
    """The file that keeps the code of ``module``'s classes (one per module)."""
    (found,) = (tmp_path / "cache" / "aspyre").glob(f"attrs-*/{module}.bin")
    return found


def every_entry(tmp_path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for path in (tmp_path / "cache" / "aspyre").glob("attrs-*/*.bin"):
        out.update(read_table(str(path)))
    return out


def test_the_second_process_compiles_nothing_and_behaves_the_same(tmp_path: Path, probe: Path) -> None:
    first = run(tmp_path)
    assert first["hits"] == 0 and isinstance(first["misses"], int) and first["misses"] > 20
    table = every_entry(tmp_path)
    assert len(table) == first["misses"]
    assert set(read_table(str(cache_file(tmp_path)))) == {k for k in table if "aspyre_probe_mod." in k}
    assert any(key.startswith("<attrs generated methods aspyre._model._annotations.") for key in table)
    # attrs' own classes too (its validators, made when attrs is imported)
    assert any(key.startswith("<attrs generated methods attr.validators.") for key in table)
    # and those attr._make defines for itself while it runs (before its _compile_and_eval can be wrapped)
    assert any(key.startswith("<attrs generated __hash__ attr._make.Attribute>") for key in table)
    second = run(tmp_path)
    assert second["misses"] == 0 and second["hits"] == first["misses"]
    for result in (first, second):
        assert {k: result[k] for k in EXPECTED} == EXPECTED
    # The per-process hash salt is not in the kept source: every process keys the same entry.
    assert not any(str(hash("<attrs generated hash aspyre_probe_mod.Point>")) in key for key in table)


def test_a_changed_class_gets_new_code(tmp_path: Path, probe: Path) -> None:
    run(tmp_path)
    (probe / "aspyre_probe_mod.py").write_text(PROBE.replace("    x: int\n", "    x: int\n    z: int = 5\n", 1))
    changed = run(tmp_path)
    assert changed["misses"] == 1  # Point only
    assert changed["repr"] == "Point(x=1, z=2, y=<0>)"
    assert changed["hash"] is False  # three fields hashed now


def test_only_aspyre_classes_are_cached(tmp_path: Path, probe: Path) -> None:
    mine = run(tmp_path)
    theirs = run(tmp_path, module="other_probe_mod")
    assert {k: theirs[k] for k in EXPECTED} == EXPECTED  # attrs' own code: the same salt as the cached one
    assert theirs["misses"] == 0 and theirs["hits"] == int(mine["misses"]) - 2  # type: ignore[call-overload]
    assert not any("other_probe_mod" in key for key in every_entry(tmp_path))
    assert not list((tmp_path / "cache" / "aspyre").glob("attrs-*/other_probe_mod.bin"))


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_a_damaged_file_is_ignored_and_replaced(tmp_path: Path, probe: Path, damage: str) -> None:
    first = run(tmp_path)
    path = cache_file(tmp_path)
    data = path.read_bytes()
    damaged = {
        "truncate": data[: len(data) // 2],
        "flip": data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:],
        "garbage": b"\x00\xff" * 100,
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    assert read_table(str(path)) == {}
    again = run(tmp_path)
    assert again["misses"] == 2  # the probe module's two classes, compiled again
    assert again["hits"] == int(first["misses"]) - 2  # type: ignore[call-overload]
    assert {k: again[k] for k in EXPECTED} == EXPECTED
    assert run(tmp_path)["misses"] == 0


def test_a_table_of_the_wrong_shape_is_ignored(tmp_path: Path) -> None:
    path = str(tmp_path / "t.bin")
    assert write_table(path, {"k": b"v"})
    assert read_table(path) == {"k": b"v"}
    assert write_table(path, {"k": "not bytes"})  # type: ignore[dict-item]
    assert read_table(path) == {}


def test_the_cache_can_be_turned_off(tmp_path: Path, probe: Path) -> None:
    result = run(tmp_path, ASPYRE_CODE_CACHE="0")
    assert result["hits"] is None and result["misses"] is None
    assert {k: result[k] for k in EXPECTED} == EXPECTED
    assert not (tmp_path / "cache" / "aspyre").exists()


def test_a_module_file_that_grew_too_large_keeps_what_was_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_cache, "_MAX_ENTRIES", 3)
    name = "<attrs generated methods aspyre_x.C{}>"
    first = CodeCache(str(tmp_path))
    for i in range(3):
        first.code(name.format(i), f"x = {i}\n")
    assert first.save()
    assert len(read_table(first.path("aspyre_x"))) == 3
    second = CodeCache(str(tmp_path))
    namespace: dict[str, object] = {}
    exec(second.code(name.format(1), "x = 1\n"), namespace)
    exec(second.code(name.format(9), "x = 9\n"), namespace)
    assert (second.hits, second.misses, namespace["x"]) == (1, 1, 9)
    assert second.save()
    assert sorted(read_table(second.path("aspyre_x"))) == [f"{name.format(1)}\nx = 1\n", f"{name.format(9)}\nx = 9\n"]
    assert not CodeCache(str(tmp_path)).save()  # nothing new: nothing written


PLATFORM_PROBE = """
import json, sys
import aspyre, attrs

@attrs.define
class C:
    x: int

imported_early = "platform" in sys.modules
import attr._compat as compat
import platform
print(json.dumps({
    "imported_early": imported_early, "pypy": compat.PYPY, "real": compat.platform is platform,
    "c": repr(C(1)), "builtins": compat.__builtins__ is __builtins__.__dict__,
}))
"""


@pytest.mark.parametrize("cache", ["1", "0"])
def test_attrs_is_imported_without_platform_and_gets_it_when_asked(tmp_path: Path, cache: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASPYRE_")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), ASPYRE_CODE_CACHE=cache)
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", PLATFORM_PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # attrs asks platform whether the interpreter is PyPy: answered without importing it (with the cache on).
    assert result["imported_early"] is (cache == "0")
    assert result == {**result, "pypy": False, "real": True, "c": "C(x=1)", "builtins": True}


def test_the_platform_stand_in_answers_other_questions_with_the_real_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # A later attrs that asks platform more than whether it runs on PyPy while importing must get real answers.
    import platform
    from types import ModuleType

    version = platform.python_version()
    monkeypatch.delitem(sys.modules, "platform")  # as in a fresh interpreter: the stand-in answers the import
    module = ModuleType("attr._compat_probe")

    def exec_module(mod: ModuleType) -> None:
        exec("import platform\nimpl = platform.python_implementation()\nseen = platform.python_version()\n", mod.__dict__)

    code_cache._exec_without_platform(exec_module, module)  # pyright: ignore[reportPrivateUsage]
    assert module.impl == "CPython"
    assert module.seen == version
    assert "__getattr__" in module.__dict__  # the stand-in was used, and is gone: the real module on first read
    assert module.platform is sys.modules["platform"]
    assert module.platform.python_version() == version
