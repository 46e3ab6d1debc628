"""A Python app's environment: which interpreter runs it, and how ``with_uv()`` / ``with_pip()`` install it.

Build time only (the run-time side, ``opentelemetry-instrument`` and debugpy, is in
``aspyre._orchestrator._python``). The rule, in one place:

1. ``interpreter=`` given: that interpreter, no virtual environment;
2. a virtual environment (``venv=``, ``with_virtual_environment()``, or the one ``with_uv()`` /
   ``with_pip()`` create, ``<app dir>/.venv`` by default): its ``bin/python``;
3. else ``<app dir>/.venv`` when it has an interpreter;
4. else the interpreter running the app host.

A console script (``add_python_executable``) is taken from the same environment's ``bin``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from aspyre._errors import DistributedApplicationException
from aspyre._model._install import InstallCommand, PackageInstallAnnotation
from aspyre._model._python import PythonAppResource, PythonPackageManagerAnnotation

__all__ = [
    "DEFAULT_VENV",
    "choose_python_interpreter",
    "default_venv",
    "has_interpreter",
    "install_annotation",
    "set_environment",
    "uv_binary",
    "venv_executable",
]

#: The virtual environment of an app, relative to its directory.
DEFAULT_VENV = ".venv"
#: The files whose contents decide a Python install (missing ones count too).
PYTHON_INPUTS = ("pyproject.toml", "uv.lock", "requirements.txt", ".python-version")


def venv_executable(venv: Path, name: str) -> Path:
    """``<venv>/bin/<name>`` (``Scripts\\<name>.exe`` on Windows)."""
    if os.name == "nt":  # pragma: no cover - aspyre is tested on Linux
        return venv / "Scripts" / f"{name}.exe"
    return venv / "bin" / name


def has_interpreter(venv: Path) -> bool:
    """Whether ``venv`` has a Python interpreter (``bin/python``)."""
    return venv_executable(venv, "python").exists()


def default_venv(app_dir: Path) -> Path | None:
    """``<app_dir>/.venv`` when it has an interpreter."""
    venv = app_dir / DEFAULT_VENV
    return venv if has_interpreter(venv) else None


def choose_python_interpreter(
    app_dir: Path,
    *,
    interpreter: str | None = None,
    venv: Path | None = None,
    resolve: Callable[[str], Path] | None = None,
) -> str:
    """The rule above for an app in ``app_dir``: ``interpreter`` (a path through ``resolve``, a bare name kept for
    ``PATH``), else ``venv``'s (an error when it has none), else ``<app_dir>/.venv``'s, else the app host's."""
    if interpreter is not None:
        if ("/" in interpreter or os.sep in interpreter) and resolve is not None:
            return str(resolve(interpreter))
        return interpreter
    if venv is not None:
        if not has_interpreter(venv):
            raise FileNotFoundError(f"virtual environment {str(venv)!r} has no Python interpreter (bin/python)")
        return str(venv_executable(venv, "python"))
    found = default_venv(app_dir)
    return str(venv_executable(found, "python")) if found is not None else sys.executable


def _console_script(interpreter: str, name: str) -> str:
    """The console script ``name`` of the environment ``interpreter`` belongs to, else ``name`` on ``PATH``."""
    beside = Path(interpreter).parent / name
    if Path(interpreter).is_absolute() and beside.exists():
        return str(beside)
    return shutil.which(name) or name


def set_environment(resource: PythonAppResource, venv: Path | None, interpreter: str | None = None) -> None:
    """Point the app at ``venv`` (or at ``interpreter``, or at the app host's interpreter): its ``command``."""
    if interpreter is not None:
        python = interpreter
    elif venv is not None:
        python = str(venv_executable(venv, "python"))
    else:
        python = sys.executable
    resource.virtual_environment = venv if interpreter is None else None
    if resource.executable is None:
        resource.command = python
        resource.python = None
        return
    resource.python = python
    if venv is not None and interpreter is None:
        resource.command = str(venv_executable(venv, resource.executable))
    else:
        resource.command = _console_script(python, resource.executable)


# --------------------------------------------------------------------------- installing


class ToolNotFoundError(DistributedApplicationException, FileNotFoundError):
    """A tool an app needs (uv, node, npm) is not installed."""


def uv_binary() -> str:
    """The ``uv`` executable: the one of the ``uv`` package (an aspyre dependency), else ``uv`` on ``PATH``."""
    try:
        import uv

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise ToolNotFoundError("with_uv() needs uv: install it from PyPI (pip install uv)") from None
        return found


def _uv_plan(resource: PythonAppResource, venv: Path, args: tuple[str, ...] | None) -> list[InstallCommand]:
    uv = uv_binary()
    env = {"UV_PROJECT_ENVIRONMENT": str(venv)}
    wd = resource.working_dir
    if args is not None:
        return [InstallCommand(uv, args, env)]
    if (wd / "pyproject.toml").is_file():
        return [InstallCommand(uv, ("sync",), env)]
    steps: list[InstallCommand] = []
    if not has_interpreter(venv):
        steps.append(InstallCommand(uv, ("venv", "--clear", str(venv))))
    python = str(venv_executable(venv, "python"))
    steps.append(InstallCommand(uv, ("pip", "install", "--python", python, "-r", "requirements.txt")))
    return steps


def _pip_plan(resource: PythonAppResource, venv: Path, args: tuple[str, ...]) -> list[InstallCommand]:
    steps: list[InstallCommand] = []
    if not has_interpreter(venv):
        steps.append(InstallCommand(sys.executable, ("-m", "venv", str(venv))))
    wd = resource.working_dir
    what = ("-r", "requirements.txt") if (wd / "requirements.txt").is_file() else (".",)
    python = str(venv_executable(venv, "python"))
    steps.append(InstallCommand(python, ("-m", "pip", "install", *what, *args)))
    return steps


def _check_project(resource: PythonAppResource, method: str) -> None:
    wd = resource.working_dir
    if not ((wd / "pyproject.toml").is_file() or (wd / "requirements.txt").is_file()):
        raise ValueError(
            f"Python app {resource.name!r}: {method} installs from pyproject.toml or requirements.txt, and "
            f"{str(wd)!r} has neither; add one (or give the installer's arguments)"
        )


def install_annotation(resource: PythonAppResource, manager: PythonPackageManagerAnnotation) -> PackageInstallAnnotation:
    """The install step of ``with_uv()`` / ``with_pip()`` for the app's current environment."""
    venv = resource.virtual_environment or resource.working_dir / DEFAULT_VENV
    args = manager.install_args
    if manager.name == "uv":
        if args is None:
            _check_project(resource, "with_uv()")
        return PackageInstallAnnotation(
            installer="uv",
            working_dir=resource.working_dir,
            plan=lambda: _uv_plan(resource, venv, args),
            inputs=PYTHON_INPUTS,
            state_dir=venv,
            fingerprint=" ".join(("uv", *(args if args is not None else ("sync",)))),
        )
    _check_project(resource, "with_pip()")
    pip_args = args or ()
    return PackageInstallAnnotation(
        installer="pip",
        working_dir=resource.working_dir,
        plan=lambda: _pip_plan(resource, venv, pip_args),
        inputs=PYTHON_INPUTS,
        state_dir=venv,
        fingerprint=" ".join(("pip", "install", *pip_args)),
    )
