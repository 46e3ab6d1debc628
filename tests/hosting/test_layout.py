"""The import arrows: plugins use only the public face, and each room imports none of the rooms built on it.

The public face itself is pinned in ``test_public_face.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "src" / "aspyre"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (anywhere in the file, TYPE_CHECKING blocks included), absolute."""
    package = ""
    if path.is_relative_to(CORE.parent):
        parts = path.relative_to(CORE.parent).parts
        package = ".".join(parts[:-1])
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """The modules imported by ``source``, a module of ``package`` (relative imports made absolute)."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            # "from aspyre import _model" reaches into the package too.
            out.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names if module == "aspyre")
    return out


def python_files(*dirs: Path) -> list[Path]:
    return sorted(p for d in dirs for p in d.rglob("*.py"))


def test_plugins_and_examples_import_only_the_public_face() -> None:
    files = python_files(*(ROOT / "plugins").glob("*/src"), ROOT / "examples")
    assert files, "no plugin sources found"
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in files
        for line, module in imports_of(path)
        if module.startswith("aspyre._")
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("room", "forbidden"),
    [
        (
            "_model",
            ("aspyre._eventing", "aspyre._orchestrator", "aspyre._publishing", "aspyre._hosting", "aspyre._cli"),
        ),
        ("_eventing", ("aspyre._orchestrator", "aspyre._publishing", "aspyre._hosting", "aspyre._cli")),
        ("_orchestrator", ("aspyre._publishing", "aspyre._hosting", "aspyre._cli")),
        ("_publishing", ("aspyre._orchestrator", "aspyre._hosting", "aspyre._cli")),
        ("_hosting", ("aspyre._cli",)),
        ("pytest_plugin.py", ("aspyre._cli",)),
    ],
)
def test_arrows_point_one_way(room: str, forbidden: tuple[str, ...]) -> None:
    """Each room (a package, or a module such as the pytest plugin) imports none of the rooms above it."""
    files = [CORE / room] if room.endswith(".py") else python_files(CORE / room)
    assert files
    assert all(path.is_file() for path in files)
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in files
        for line, module in imports_of(path)
        if module == "aspyre" or module.startswith(forbidden)
    ]
    assert offenders == []


IO_MODULES = ("os", "io", "subprocess", "socket", "docker", "httpx", "anyio", "asyncio", "shutil", "tempfile", "glob")
#: Methods of pathlib.Path that touch the file system. Paths as data (``Path`` as a type or an attrs
#: converter, ``PurePath`` operations such as ``/``, ``.name``, ``.parent``) stay allowed.
PATH_IO_METHODS = frozenset(
    {
        "absolute", "chmod", "cwd", "exists", "expanduser", "glob", "hardlink_to", "home", "is_block_device",
        "is_char_device", "is_dir", "is_fifo", "is_file", "is_junction", "is_mount", "is_socket", "is_symlink",
        "iterdir", "lchmod", "lstat", "mkdir", "read_bytes", "read_text", "readlink", "resolve", "rglob", "rmdir",
        "samefile", "stat", "symlink_to", "touch", "unlink", "walk", "write_bytes", "write_text",
    }
)  # fmt: skip


def io_uses_in(source: str, package: str) -> list[tuple[int, str]]:
    """What in ``source`` reaches the outside world: I/O modules, ``open()``, and file-system methods of paths."""
    found = [(line, module) for line, module in imports_in(source, package) if module.split(".")[0] in IO_MODULES]
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id == "open":
            found.append((node.lineno, "open()"))
        elif isinstance(node.func, ast.Attribute) and node.func.attr in PATH_IO_METHODS:
            found.append((node.lineno, f".{node.func.attr}()"))
    return sorted(found)


def test_the_model_room_does_no_io() -> None:
    """Pure data: no file, process, network or docker modules in the model room, no ``open()``, and no
    file-system methods of paths (``.exists()``, ``.resolve()``, ``.read_text()``...)."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in python_files(CORE / "_model")
        for line, what in io_uses_in(path.read_text(encoding="utf-8"), "aspyre._model")
    ]
    assert offenders == []


def test_io_checker_sees_path_methods_but_allows_paths_as_data() -> None:
    source = (
        "from pathlib import Path, PurePath\n"
        "import attrs\n"
        "@attrs.define\n"
        "class A:\n    where: Path = attrs.field(converter=Path)\n"
        "def f(p: Path) -> str:\n    return str(p.parent / 'x' / PurePath('y').name)\n"
        "def g(p: Path) -> bool:\n    return (p / 'bin' / 'python').exists()\n"
        "def h() -> str:\n    return Path('~').expanduser().resolve().read_text()\n"
        "def k() -> object:\n    return open('x')\n"
        "import os.path\n"
    )
    assert io_uses_in(source, "aspyre._model") == [
        (9, ".exists()"),
        (11, ".expanduser()"),
        (11, ".read_text()"),
        (11, ".resolve()"),
        (13, "open()"),
        (14, "os.path"),
    ]


def test_import_checker_sees_relative_and_type_checking_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .._hosting._app import DistributedApplication\n"
        "from . import _names\n"
        "from aspyre import _orchestrator\n"
    )
    modules = [m for _, m in imports_in(source, "aspyre._model")]
    assert "aspyre._hosting._app" in modules
    assert "aspyre._model" in modules
    assert "aspyre._orchestrator" in modules


MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 400


def test_modules_and_classes_stay_small() -> None:
    """Split by concern before a module passes ~600 lines or a class ~400 (see docs/architecture.md)."""
    files = python_files(CORE, *(ROOT / "plugins").glob("*/src"))
    too_long = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        if (n := len(text.splitlines())) > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {n} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                size = node.end_lineno - node.lineno + 1
                if size > MAX_CLASS_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}: class {node.name} {size} lines")
    assert too_long == []
