"""How a Python app runs in run mode: through ``opentelemetry-instrument`` when its environment has it, under
debugpy when asked (``with_debugpy()``).

The one place that looks into a Python app's environment at run time (after its install step): the
environment is the directory of its interpreter (``<venv>/bin``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio

from .._model._endpoints import EndpointReference
from .._model._python import AutoInstrumentationAnnotation, DebugpyAnnotation, PythonAppResource, PythonEntrypointType

__all__ = ["DebugpyMissingError", "environment_bin", "instrumentation_command", "python_launch"]

#: The console script of ``opentelemetry-instrumentation`` (installed by ``opentelemetry-distro``).
INSTRUMENT = "opentelemetry-instrument"
_HAS_DEBUGPY = "import importlib.util, sys; sys.exit(importlib.util.find_spec('debugpy') is None)"


class DebugpyMissingError(RuntimeError):
    """``with_debugpy()`` was asked for, and the app's environment has no debugpy."""


def environment_bin(interpreter: str) -> Path | None:
    """The directory of the interpreter (a virtual environment's ``bin``), found on ``PATH`` for a bare name."""
    path = Path(interpreter)
    if not path.is_absolute():
        found = shutil.which(interpreter)
        if found is None:
            return None
        path = Path(found)
    return path.parent  # not resolved: a venv's python is a link to the base interpreter


def instrumentation_command(r: PythonAppResource) -> str | None:
    """``<env>/bin/opentelemetry-instrument`` when the app's environment has it and the app did not opt out."""
    ann = r.annotations.last(AutoInstrumentationAnnotation)
    if ann is not None and not ann.enabled:
        return None
    directory = environment_bin(r.interpreter)
    if directory is None:
        return None
    candidate = directory / INSTRUMENT
    return str(candidate) if candidate.is_file() else None


async def _require_debugpy(r: PythonAppResource) -> None:
    result = await anyio.run_process([r.interpreter, "-c", _HAS_DEBUGPY], check=False)
    if result.returncode != 0:
        raise DebugpyMissingError(
            f"with_debugpy(): the environment of {r.name!r} ({r.interpreter}) has no debugpy; add it to the app's "
            "requirements (pip install debugpy, or uv add --dev debugpy)"
        )


async def python_launch(r: PythonAppResource, args: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The command and arguments that run the app; ``args`` are its resolved arguments (entry first)."""
    command = r.command
    out = list(args)
    debug = r.annotations.last(DebugpyAnnotation)
    if debug is not None:
        await _require_debugpy(r)
        alloc = EndpointReference(r, debug.endpoint_name).annotation.allocation()
        if alloc is None:  # pragma: no cover - endpoints are allocated before anything starts
            raise RuntimeError(f"the debugpy endpoint of {r.name!r} has no port")
        listen = ["-m", "debugpy", "--listen", f"127.0.0.1:{alloc.target_port or alloc.port}"]
        if debug.wait_for_client:
            listen.append("--wait-for-client")
        # Frozen standard-library modules would hide their source from the debugger (and it says so).
        python = ["-X", "frozen_modules=off", "-u"]
        if r.entrypoint_type is PythonEntrypointType.EXECUTABLE:
            out = [*python, *listen, command, *out]  # a console script is a Python file: debugpy runs it
            command = r.interpreter
        else:
            entry = r.entry_args()
            if out[: len(entry)] != entry:
                raise RuntimeError(f"the arguments of {r.name!r} do not start with its entry point {entry}")
            out = [*python, *listen, *entry[1:], *out[len(entry) :]]
    instrument = instrumentation_command(r)
    if instrument is not None:
        out = [command, *out]
        command = instrument
    return command, tuple(out)
