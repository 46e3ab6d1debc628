"""A Dockerfile for a Python app (``add_python_app``, ``add_python_module``, ``add_python_executable``,
``add_uvicorn_app``) that has none, for publishers that deploy containers.

The image: a slim Python base, a virtual environment in ``/opt/venv`` (on ``PATH``, so a console script
runs by name), the app's dependencies (``requirements.txt``; else the ``pyproject.toml`` project, or only
its ``[project] dependencies`` when it has no ``[build-system]``, as uv's applications; else none)
installed from the package index or from a wheelhouse, the app's directory in ``/app``, a non-root user,
and the app's command. The build context is the app's working directory.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import tomllib
from pathlib import Path, PurePosixPath

import attrs

from aspyre._model._python import PythonAppResource, PythonEntrypointType

__all__ = ["DEFAULT_PYTHON_IMAGE", "PythonDockerfile", "python_app_dockerfile"]

log = logging.getLogger("aspyre.publishing")

#: Directories an app's directory may hold that do not belong in its image.
_LOCAL_ONLY = (".venv", "node_modules", "__pycache__")

#: The base image of generated Dockerfiles.
DEFAULT_PYTHON_IMAGE = "python:3.11-slim"
#: The uid the app runs as (numeric, so Kubernetes' ``runAsNonRoot`` can verify it).
APP_UID = 10001


@attrs.frozen
class PythonDockerfile:
    """A generated Dockerfile: its text, its build context (the app's directory) and the app's command."""

    resource_name: str
    #: The build context: the app's working directory (absolute).
    context: Path
    #: The Dockerfile's text (deterministic: the same app gives the same bytes).
    text: str
    #: The app's command inside the image (``CMD``): ``("python", "-u", "api.py")``, ``("celery",)``.
    command: tuple[str, ...]
    #: What installs the dependencies: ``"requirements.txt"``, ``"pyproject.toml"`` or ``None``.
    dependencies: str | None
    #: What the image runs, for comments: ``api.py``, ``-m pkg.main``, ``celery``.
    description: str = ""


def _wheelhouse_path(resource: PythonAppResource, context: Path, wheelhouse: str | os.PathLike[str]) -> str:
    path = Path(wheelhouse)
    if not path.is_absolute():
        path = context / path
    path = Path(os.path.abspath(path))
    if not path.is_relative_to(context):
        raise ValueError(
            f"Python app {resource.name!r}: the wheelhouse {str(path)!r} is outside the app's directory "
            f"{str(context)!r}, its build context; put it inside (e.g. {str(context / 'wheels')!r})"
        )
    if not path.is_dir():
        raise ValueError(
            f"Python app {resource.name!r}: the wheelhouse {str(path)!r} does not exist; build it first, e.g. "
            f"python -m pip wheel -w {path} -r requirements.txt (with the base image's Python version)"
        )
    return PurePosixPath(path.relative_to(context).as_posix()).as_posix()


def python_app_dockerfile(
    resource: PythonAppResource,
    *,
    base_image: str = DEFAULT_PYTHON_IMAGE,
    wheelhouse: str | os.PathLike[str] | None = None,
    producer: str = "aspyre",
) -> PythonDockerfile:
    """The Dockerfile of a Python app, built with the app's working directory as context.

    ``wheelhouse`` is a directory of wheels inside the app's directory (relative to it, or
    absolute): dependencies are then installed from it alone (``pip install --no-index
    --find-links``), for builds that reach no package index. ``producer`` names the publisher in
    the file's first comment. Raises ``ValueError`` (naming the resource) when the script lies
    outside the working directory or the wheelhouse does not exist.
    """
    context = Path(os.path.abspath(resource.working_dir))
    kind = resource.entrypoint_type
    if kind is PythonEntrypointType.EXECUTABLE:
        assert resource.executable is not None
        command: tuple[str, ...] = (resource.executable,)
        what = f"console script {resource.executable}"
    elif kind is PythonEntrypointType.MODULE:
        assert resource.module is not None
        command = ("python", "-u", "-m", resource.module)
        what = f"module {resource.module}"
    else:
        assert resource.script_path is not None
        script = Path(os.path.abspath(resource.script_path))
        if not script.is_relative_to(context):
            raise ValueError(
                f"Python app {resource.name!r}: its script {str(script)!r} is outside its working directory "
                f"{str(context)!r}, which is the build context of the generated Dockerfile; give the app a "
                "Dockerfile with with_dockerfile(...), or a working directory that contains the script"
            )
        relative = script.relative_to(context).as_posix()
        command = ("python", "-u", relative)
        what = relative
    find_links = None if wheelhouse is None else _wheelhouse_path(resource, context, wheelhouse)
    if (context / "requirements.txt").is_file():
        dependencies: str | None = "requirements.txt"
    elif (context / "pyproject.toml").is_file():
        dependencies = "pyproject.toml"
    else:
        dependencies = None

    pip = "pip install"
    if find_links is not None:
        pip += " --no-index --find-links /tmp/wheels"
    lines = [
        f"# Generated by {producer} for the Python app {resource.name!r} ({what}); rewritten on every publish.",
        "# Build context: the app's directory. To use your own, give the app one: with_dockerfile(...).",
        f"FROM {base_image}",
        "ENV PYTHONUNBUFFERED=1 \\",
        "    PYTHONDONTWRITEBYTECODE=1 \\",
        "    PIP_DISABLE_PIP_VERSION_CHECK=1 \\",
        "    PIP_NO_CACHE_DIR=1 \\",
        "    VIRTUAL_ENV=/opt/venv \\",
        "    PATH=/opt/venv/bin:$PATH",
        "RUN python -m venv /opt/venv",
        "WORKDIR /app",
    ]
    if find_links is not None:
        lines.append(f"# Dependencies come from the wheelhouse {find_links}/ only (no package index).")
        lines.append(f"COPY {find_links}/ /tmp/wheels/")
    cleanup = " && rm -rf /tmp/wheels" if find_links is not None else ""
    if dependencies == "requirements.txt":
        lines += [
            "# Dependencies first: this layer is rebuilt only when requirements.txt changes.",
            "COPY requirements.txt ./",
            f"RUN {pip} -r requirements.txt{cleanup}",
            "COPY . .",
        ]
    elif dependencies == "pyproject.toml":
        project_deps = _dependencies_only(resource, context / "pyproject.toml")
        if project_deps is None:
            lines += ["COPY . .", f"RUN {pip} .{cleanup}"]
        else:
            lines += ["# pyproject.toml has no [build-system]: its [project] dependencies are installed, not the app."]
            if project_deps:
                lines.append(f"RUN {pip} {' '.join(shlex.quote(d) for d in project_deps)}{cleanup}")
            elif find_links is not None:
                lines.append("RUN rm -rf /tmp/wheels")
            lines.append("COPY . .")
    else:
        lines += ["# No requirements.txt or pyproject.toml: the app uses the standard library only.", "COPY . ."]
        if find_links is not None:
            lines.append("RUN rm -rf /tmp/wheels")
    lines += [
        f"RUN useradd --create-home --uid {APP_UID} app",
        f"USER {APP_UID}",
        f"CMD {json.dumps(list(command))}",
    ]
    _check_dockerignore(resource, context)
    description = " ".join(command[2:]) if command[0] == "python" else command[0]
    return PythonDockerfile(resource.name, context, "\n".join(lines) + "\n", command, dependencies, description)


def _check_dockerignore(resource: PythonAppResource, context: Path) -> None:
    local = [d for d in _LOCAL_ONLY if (context / d).is_dir()]
    if local and not (context / ".dockerignore").is_file():
        log.warning(
            "Python app %r: its directory %s has %s and no .dockerignore, so COPY . . puts them in the image; "
            "add a .dockerignore listing them",
            resource.name,
            context,
            ", ".join(local),
        )


def _dependencies_only(resource: PythonAppResource, pyproject: Path) -> list[str] | None:
    """The ``[project] dependencies`` of a pyproject.toml without ``[build-system]`` (``None``: it has one)."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"Python app {resource.name!r}: cannot read {str(pyproject)!r}: {exc}") from None
    if "build-system" in data:
        return None
    deps = data.get("project", {}).get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ValueError(f"Python app {resource.name!r}: [project] dependencies in {str(pyproject)!r} is not a list of strings")
    return list(deps)
