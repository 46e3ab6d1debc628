"""Annotations of Python apps: their package manager, how they run under a debugger, whether they run instrumented."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .._public import present as _present
from ._annotations import ResourceAnnotation

__all__ = ["AutoInstrumentationAnnotation", "DebugpyAnnotation", "PythonPackageManagerAnnotation"]


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


# aspyre.annotations imports this module on first use only: its names report that public module however they are
# reached (the Python-app builder methods import them here directly).
_present(globals(), "aspyre.annotations")
