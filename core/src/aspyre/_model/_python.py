"""Python apps: their resources (a script, a module or a console script; an ASGI app under Uvicorn) and annotations
(their package manager, how they run under a debugger, whether they run instrumented).

Imported by the builder methods that add or configure a Python app, and by run and publish mode: not by every app
host's builder.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

import attrs

from .._public import present as _present
from .._public import present_top_level as _present_top_level
from ._annotations import ResourceAnnotation
from ._known import KnownResourceTypes
from ._resources import ExecutableResource

__all__ = [
    "AutoInstrumentationAnnotation",
    "DebugpyAnnotation",
    "PythonAppResource",
    "PythonEntrypointType",
    "PythonPackageManagerAnnotation",
    "UvicornAppResource",
]


class PythonEntrypointType(enum.Enum):
    """What a Python app runs (Aspire's ``EntrypointType``)."""

    #: A script file: ``python -u script.py``.
    SCRIPT = "script"
    #: A module: ``python -u -m module``.
    MODULE = "module"
    #: A console script of the app's environment (``uvicorn``, ``pytest``): ``<venv>/bin/name``.
    EXECUTABLE = "executable"


@attrs.define(eq=False, repr=False)
class PythonAppResource(ExecutableResource):
    """A Python app: a script, a module or a console script, run in a Python environment.

    ``command`` is the interpreter for a script or a module (which come first in the arguments:
    ``-u script`` or ``-u -m module``), and the console script itself for an executable, whose
    interpreter is :attr:`interpreter`. ``virtual_environment`` is the environment the app runs in
    (``None``: the interpreter it was given, or the app host's).
    """

    resource_type: ClassVar[str] = KnownResourceTypes.PYTHON_APP

    script_path: Path | None = attrs.field(default=None, kw_only=True)
    module: str | None = attrs.field(default=None, kw_only=True)
    #: The console script an executable app runs (``add_python_executable``).
    executable: str | None = attrs.field(default=None, kw_only=True)
    virtual_environment: Path | None = attrs.field(default=None, kw_only=True)
    #: The interpreter when ``command`` is a console script (``None``: ``command`` is the interpreter).
    python: str | None = attrs.field(default=None, kw_only=True)

    @property
    def entrypoint_type(self) -> PythonEntrypointType:
        """Whether the app is a script, a module or a console script."""
        if self.executable is not None:
            return PythonEntrypointType.EXECUTABLE
        if self.module is not None:
            return PythonEntrypointType.MODULE
        return PythonEntrypointType.SCRIPT

    @property
    def interpreter(self) -> str:
        """The Python interpreter that runs the app."""
        return self.python or self.command

    def entry_args(self) -> list[str]:
        """The interpreter arguments that select the app (``-u script``, ``-u -m module``; none for a console script)."""
        if self.executable is not None:
            return []
        if self.module is not None:
            return ["-u", "-m", self.module]
        assert self.script_path is not None
        return ["-u", str(self.script_path)]


@attrs.define(eq=False, repr=False)
class UvicornAppResource(PythonAppResource):
    """An ASGI app served by Uvicorn (``python -m uvicorn app``), with an ``http`` endpoint (Aspire's ``UvicornAppResource``)."""

    resource_type: ClassVar[str] = KnownResourceTypes.UVICORN_APP

    #: The ASGI app, ``module:attribute`` (``main:app``).
    app: str = attrs.field(default="", kw_only=True)


@attrs.frozen
class DebugpyAnnotation(ResourceAnnotation):
    """Run the app under debugpy, listening on the endpoint ``endpoint_name`` (``with_debugpy()``).

    ``wait_for_client``: the app's code starts only once a debugger attached.
    """

    endpoint_name: str = "debugpy"
    wait_for_client: bool = False


@attrs.frozen
class AutoInstrumentationAnnotation(ResourceAnnotation):
    """Whether a Python app runs through ``opentelemetry-instrument`` when its environment has it.

    Without this annotation it does (``enabled=True``): an app whose environment has
    ``opentelemetry-distro`` produces telemetry with no code change. ``with_auto_instrumentation(False)``
    runs it as it is.
    """

    enabled: bool = True


def _args(value: Iterable[object] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError("install arguments are a sequence of strings, not one string")
    return tuple(str(v) for v in value)


@attrs.frozen
class PythonPackageManagerAnnotation(ResourceAnnotation):
    """The app's package manager (``with_uv()`` / ``with_pip()``): ``uv`` or ``pip``, and its arguments.

    ``install_args``: for uv, the whole command line after ``uv`` (``None``: ``sync``, or ``pip install -r
    requirements.txt`` without a ``pyproject.toml``); for pip, arguments added to ``pip install``.
    """

    name: str
    install_args: tuple[str, ...] | None = attrs.field(default=None, converter=_args)
    #: Install before the app starts (``False``: only say which package manager the app uses).
    install: bool = attrs.field(default=True, kw_only=True)


# aspyre.annotations and aspyre import this module on first use only: its names report those public modules however
# they are reached (the Python-app builder methods import them here directly).
_present(
    globals(), "aspyre.annotations", names=["AutoInstrumentationAnnotation", "DebugpyAnnotation", "PythonPackageManagerAnnotation"]
)
_present_top_level(globals())
