"""The builder's Python apps: scripts, modules, console scripts and Uvicorn apps (Aspire's ``AddPythonApp``,
``AddPythonModule``, ``AddPythonExecutable``, ``AddUvicornApp``).

:class:`PythonAppBuilderMethods` is a base of :class:`~aspyre.DistributedApplicationBuilder`; the environment
rule is in :mod:`._python_env`, the resource builder's Python methods (``with_uv``...) in
``_resource_builder/_python.py``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, TypeVar

from aspyre._model._endpoints import EndpointProperty, EndpointReference
from aspyre._model._names import validate_name
from aspyre._model._resources import IResource

from ._paths import resolve_path

if TYPE_CHECKING:
    from pathlib import Path

    from aspyre._model._execution import ExecutionContext
    from aspyre._model._python import PythonAppResource, UvicornAppResource

    from ._resource_builder import ResourceBuilder

__all__ = ["PythonAppBuilderMethods"]

T = TypeVar("T", bound=IResource)
P = TypeVar("P", bound="PythonAppResource")

PathLike = str | os.PathLike[str]


def _is_script(path: Path) -> bool:
    """Whether the second argument of ``add_python_app`` names a script (the form without an app directory)."""
    return path.suffix == ".py" or path.is_file()


def _require_str(name: str, method: str, param: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{method}() on resource {name!r}: {param} must be a str, not {type(value).__name__}")


class PythonAppBuilderMethods:
    """``add_python_app``, ``add_python_module``, ``add_python_executable``, ``add_uvicorn_app``.

    Each app runs in its directory, in its environment: ``<app dir>/.venv`` when it exists, else the
    interpreter running the app host; ``with_virtual_environment``, ``with_uv()`` and ``with_pip()``
    change that (see ``docs/apps.md``).
    """

    __slots__ = ()

    if TYPE_CHECKING:  # provided by DistributedApplicationBuilder
        execution_context: ExecutionContext

        @property
        def app_host_directory(self) -> Path: ...
        def resolve_path(self, path: PathLike) -> Path: ...
        def add_resource(self, resource: T) -> ResourceBuilder[T]: ...
        def _path_arg(self, name: str, method: str, param: str, path: PathLike | None) -> Path | None: ...

    def _add_python(
        self,
        resource: P,
        args: tuple[object, ...] = (),
        *,
        method: str,
        app_dir: Path | None = None,
        venv: PathLike | None = None,
        interpreter: PathLike | None = None,
    ) -> ResourceBuilder[P]:
        from ._python_env import default_venv, has_interpreter, set_environment

        python: str | None = None
        if interpreter is not None:
            path = self._path_arg(resource.name, method, "interpreter", interpreter)
            python = str(path) if "/" in os.fspath(interpreter) else os.fspath(interpreter)
        environment = self._path_arg(resource.name, method, "venv", venv)
        if environment is not None:
            if not has_interpreter(environment):
                raise FileNotFoundError(
                    f"Python app {resource.name!r}: virtual environment {str(environment)!r} has no Python "
                    "interpreter (bin/python); create it, or let with_uv() / with_pip() create it"
                )
        else:
            environment = default_venv(app_dir or resource.working_dir)
        set_environment(resource, environment, python)
        builder = self.add_resource(resource)
        if args:
            builder.with_args(*args)
        return builder

    def _app_dir(self, name: str, method: str, app_dir: PathLike) -> Path:
        validate_name("Resource", name)
        path = self._path_arg(name, method, "app_dir", app_dir)
        assert path is not None
        return path

    def add_python_app(
        self,
        name: str,
        app_dir: PathLike | None = None,
        script_path: PathLike | None = None,
        *args: object,
        module: str | None = None,
        interpreter: PathLike | None = None,
        venv: PathLike | None = None,
        working_dir: PathLike | None = None,
    ) -> ResourceBuilder[PythonAppResource]:
        """A Python script: ``add_python_app("api", "api", "main.py")`` runs ``python -u main.py`` in ``api/``.

        ``script_path`` is taken from ``app_dir`` (itself from the app host's directory). The short form
        ``add_python_app("api", "api/main.py", *args)`` names the script alone (a path ending in ``.py``, or
        an existing file): its directory is the app's. ``module=`` runs a module instead (prefer
        :meth:`add_python_module`). ``interpreter`` or ``venv`` choose the environment (else
        ``<app dir>/.venv``, else the app host's interpreter); ``working_dir`` defaults to the app's directory.
        """
        from aspyre._model._python import PythonAppResource
        validate_name("Resource", name)
        method = "add_python_app"
        if module is not None:
            if not isinstance(module, str):
                raise TypeError(f"{method}() on resource {name!r}: module must be a str, not {type(module).__name__}")
            first = self._path_arg(name, method, "app_dir", app_dir)
            if script_path is not None or (first is not None and _is_script(first)):
                raise ValueError(f"Python app {name!r}: give either a script path or module=, not both")
            directory = first or self.app_host_directory
            resource = PythonAppResource(name, command="", working_dir=directory, module=module)
        else:
            given = self._path_arg(name, method, "app_dir", app_dir)
            if given is None:
                raise ValueError(
                    f"Python app {name!r}: give the app's directory and its script, add_python_app({name!r}, "
                    "'app_dir', 'main.py'), or module="
                )
            if script_path is None or _is_script(given):
                if given.is_dir():
                    raise ValueError(
                        f"Python app {name!r}: {os.fspath(app_dir or given)!r} is a directory; name the script too: "
                        f"add_python_app({name!r}, {os.fspath(app_dir or given)!r}, 'main.py')"
                    )
                if script_path is not None:  # the short form: the rest are the script's arguments
                    args = (script_path, *args)
                script, directory = given, given.parent
            else:
                directory = given
                try:
                    script = resolve_path(script_path, directory)
                except (TypeError, ValueError) as exc:
                    raise type(exc)(f"{method}() on resource {name!r}: script_path: {exc}") from None
            resource = PythonAppResource(name, command="", working_dir=directory, script_path=script)
        wd = self._path_arg(name, method, "working_dir", working_dir)
        if wd is not None:
            resource.working_dir = wd
        return self._add_python(resource, args, method=method, app_dir=directory, venv=venv, interpreter=interpreter)

    def add_python_module(self, name: str, app_dir: PathLike, module: str) -> ResourceBuilder[PythonAppResource]:
        """A Python module: ``add_python_module("worker", "worker", "worker.main")`` runs ``python -u -m worker.main``."""
        from aspyre._model._python import PythonAppResource
        _require_str(name, "add_python_module", "module", module)
        if not module or not all(part.isidentifier() for part in module.split(".")):
            raise ValueError(f"Python app {name!r}: {module!r} is not a module name (such as 'pkg.main')")
        directory = self._app_dir(name, "add_python_module", app_dir)
        resource = PythonAppResource(name, command="", working_dir=directory, module=module)
        return self._add_python(resource, method="add_python_module")

    def add_python_executable(
        self, name: str, app_dir: PathLike, executable: str
    ) -> ResourceBuilder[PythonAppResource]:
        """A console script of the app's environment: ``add_python_executable("jobs", "jobs", "celery")`` runs
        ``<venv>/bin/celery`` (add its arguments with ``with_args``)."""
        from aspyre._model._python import PythonAppResource
        _require_str(name, "add_python_executable", "executable", executable)
        if not executable or "/" in executable or "\\" in executable:
            raise ValueError(
                f"Python app {name!r}: {executable!r} is not a console script name (such as 'celery'); "
                "for a script file use add_python_app"
            )
        directory = self._app_dir(name, "add_python_executable", app_dir)
        resource = PythonAppResource(name, command="", working_dir=directory, executable=executable)
        return self._add_python(resource, method="add_python_executable")

    def add_uvicorn_app(
        self, name: str, app_dir: PathLike, app: str, *, health_check_path: str | None = None
    ) -> ResourceBuilder[UvicornAppResource]:
        """An ASGI app served by Uvicorn: ``add_uvicorn_app("api", "api", "main:app")``.

        It runs ``python -u -m uvicorn main:app --host 127.0.0.1 --port <port>`` with an ``http`` endpoint
        (the port also in ``PORT``); published, it listens on ``0.0.0.0``. ``health_check_path`` adds an
        HTTP health check on that path. The app's environment needs ``uvicorn``.
        """
        from aspyre._model._python import UvicornAppResource
        _require_str(name, "add_uvicorn_app", "app", app)
        module, _, attribute = app.partition(":")
        if not attribute or not module:
            raise ValueError(f"Uvicorn app {name!r}: {app!r} is not 'module:attribute' (such as 'main:app')")
        directory = self._app_dir(name, "add_uvicorn_app", app_dir)
        resource = UvicornAppResource(name, command="", working_dir=directory, module="uvicorn", app=app)
        builder = self._add_python(resource, method="add_uvicorn_app")
        builder.with_http_endpoint(env="PORT")
        host = "0.0.0.0" if self.execution_context.is_publish_mode else "127.0.0.1"
        port = EndpointReference(resource, "http").property(EndpointProperty.TARGET_PORT)
        builder.with_args(app, "--host", host, "--port", port)
        if health_check_path is not None:
            builder.with_http_health_check(health_check_path)
        return builder
