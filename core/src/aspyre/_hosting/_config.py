"""Command-line arguments, the per-app-host secrets store, and parameter values."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NoReturn

import attrs

from aspyre._errors import DistributedApplicationException
from aspyre._model._execution import ExecutionContext, Operation
from aspyre._model._names import APP_HOST_HASH_SECRETS, app_host_hash
from aspyre._model._resources import GenerateParameterDefault, ParameterResource
from aspyre._platform import ignores_case

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

__all__ = ["ParsedArgs", "SecretsStore", "parse_args", "resolve_parameter"]


class ParsedArgs:
    """The execution context read from the command line, and the arguments aspyre did not use.

    Immutable and equal by value; a plain slotted class (with the repr, equality and hash attrs would give it)
    rather than an attrs one: one class less to build on an app host's builder path.
    """

    __slots__ = ("execution_context", "remaining")

    execution_context: ExecutionContext
    remaining: tuple[str, ...]

    def __init__(self, execution_context: ExecutionContext, remaining: tuple[str, ...]) -> None:
        object.__setattr__(self, "execution_context", execution_context)
        object.__setattr__(self, "remaining", remaining)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> NoReturn:
        raise attrs.exceptions.FrozenInstanceError

    def __repr__(self) -> str:
        return f"ParsedArgs(execution_context={self.execution_context!r}, remaining={self.remaining!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not ParsedArgs:
            return NotImplemented
        assert isinstance(other, ParsedArgs)
        return (self.execution_context, self.remaining) == (other.execution_context, other.remaining)

    def __hash__(self) -> int:
        return hash((ParsedArgs, self.execution_context, self.remaining))

    def __reduce__(self) -> tuple[type[ParsedArgs], tuple[ExecutionContext, tuple[str, ...]]]:
        return (ParsedArgs, (self.execution_context, self.remaining))


class _ArgumentError(DistributedApplicationException, ValueError):
    pass


def _arg_parser() -> argparse.ArgumentParser:
    import argparse  # only when there are flags to read (most app hosts run without any)

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:  # never exit the app host on a bad flag
            raise _ArgumentError(message)

    p = _Parser(add_help=False, allow_abbrev=False, exit_on_error=False)
    p.add_argument("--publisher", default=None)
    p.add_argument("--output-path", dest="output_path", default=None)
    p.add_argument("--operation", default=None)
    p.add_argument("--parameter", dest="parameters", action="append", default=[])
    return p


def _masked(args: Sequence[str]) -> list[str]:
    """``args`` with the values of ``--parameter NAME=VALUE`` hidden (they may be secrets)."""
    out: list[str] = []
    after_flag = False
    for arg in args:
        if after_flag:
            out.append(arg.partition("=")[0] + "=***" if "=" in arg else arg)
        elif arg.startswith("--parameter="):
            out.append("--parameter=" + arg[len("--parameter=") :].partition("=")[0] + "=***")
        else:
            out.append(arg)
        after_flag = arg == "--parameter"
    return out


def _parameter_values(items: Sequence[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(
                f"Invalid --parameter {name or item!r}: give it as NAME=VALUE (the parameter's resource name, e.g. "
                "--parameter api-key=...)"
            )
        out.append((name, value))
    return tuple(out)


def parse_args(args: Sequence[str]) -> ParsedArgs:
    """Read Aspire's app host flags: ``--publisher NAME``, ``--output-path DIR``, ``--operation run|publish``,
    and ``--parameter NAME=VALUE`` (repeatable; publish mode only: values for the publisher).

    As in Aspire: ``--publisher`` without ``--operation`` means publish mode; ``--operation
    publish`` alone publishes with the ``manifest`` publisher; ``--output-path`` (default: the
    current directory) only matters in publish mode. Unknown arguments are kept for the app host
    (``builder.remaining_args``). A flag without its value raises ``ValueError``.
    """
    if not any(arg.startswith("-") for arg in args):  # no flags: run mode, all arguments are the app host's
        return ParsedArgs(ExecutionContext(Operation.RUN), tuple(args))
    import argparse

    try:
        ns, rest = _arg_parser().parse_known_args(list(args))
    except (argparse.ArgumentError, _ArgumentError) as exc:
        raise _ArgumentError(f"Invalid app host arguments {_masked(args)!r}: {exc}") from None
    if ns.operation is None:
        operation = Operation.PUBLISH if ns.publisher else Operation.RUN
    else:
        try:
            operation = Operation(ns.operation.lower())
        except ValueError:
            raise ValueError(
                f"Invalid operation {ns.operation!r} specified. Valid operations are 'publish' or 'run'."
            ) from None
    parameters = _parameter_values(ns.parameters)
    if operation is Operation.PUBLISH:
        publisher = ns.publisher or "manifest"
        from pathlib import Path

        output = Path(ns.output_path) if ns.output_path else Path.cwd()
        ctx = ExecutionContext(Operation.PUBLISH, publisher, output.absolute(), parameters)
    else:
        if parameters:
            raise ValueError(
                "--parameter gives parameter values to a publisher (publish mode); in run mode set the environment "
                f"variable Parameters__{parameters[0][0]} instead"
            )
        ctx = ExecutionContext(Operation.RUN)
    return ParsedArgs(ctx, tuple(rest))


def secrets_directory() -> Path:
    """Where generated secrets live: ``$ASPYRE_SECRETS_DIR``, else ``$XDG_DATA_HOME/aspyre/secrets``."""
    from pathlib import Path

    explicit = os.environ.get("ASPYRE_SECRETS_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "aspyre" / "secrets"


class SecretsStore:
    """Values aspyre generated for one app host, kept outside the repository (mode 0600).

    Generated passwords are saved here the first time, so a data volume initialised with one
    keeps accepting it on the next run.
    """

    def __init__(self, app_host_path: Path, directory: Path | None = None) -> None:
        self.app_host_path = app_host_path
        self.directory = directory or secrets_directory()
        fold = ignores_case(app_host_path)
        self.path = self.directory / f"{app_host_hash(app_host_path, APP_HOST_HASH_SECRETS, fold_case=fold)}.json"
        #: Where aspyre kept this app host's values while the hash always folded case (a path with
        #: upper-case letters on a file system that respects case); read once, then moved to :attr:`path`.
        legacy = app_host_hash(app_host_path, APP_HOST_HASH_SECRETS, fold_case=True)
        self._legacy_path = None if fold else self.directory / f"{legacy}.json"
        if self._legacy_path == self.path:
            self._legacy_path = None

    def _adopt_legacy(self) -> None:
        """Move the file of the case-folding hash here if it was written for exactly this app host."""
        legacy = self._legacy_path
        self._legacy_path = None
        if legacy is None or self.path.exists():
            return
        try:
            import json

            data = json.loads(legacy.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("app_host") == str(self.app_host_path):
            os.replace(legacy, self.path)

    def _read(self) -> dict[str, str]:
        self._adopt_legacy()
        try:
            import json

            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"The secrets store {self.path} cannot be read ({exc}); fix or delete it.") from exc
        params = data.get("parameters", {})
        return {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {}

    def get(self, name: str) -> str | None:
        """The stored value of parameter ``name``, or ``None``."""
        return self._read().get(name)

    def set(self, name: str, value: str) -> None:
        """Store ``value`` for parameter ``name`` (atomically; the file is readable by its owner only)."""
        params = self._read()
        params[name] = value
        self._write(params)

    def delete(self, name: str) -> None:
        """Forget parameter ``name``."""
        params = self._read()
        if params.pop(name, None) is not None:
            self._write(params)

    def set_all(self, params: Mapping[str, str]) -> None:
        """Replace every stored value."""
        self._legacy_path = None
        self._write(dict(params))

    def _write(self, params: Mapping[str, str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        import json

        payload = json.dumps(
            {"app_host": str(self.app_host_path), "parameters": dict(params)}, indent=2, sort_keys=True
        )
        import tempfile

        # mkstemp creates the file with mode 0600, so the value is never readable by others.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".secrets-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(payload)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise


def resolve_parameter(
    parameter: ParameterResource, store: SecretsStore | None, environ: Mapping[str, str] | None = None
) -> bool:
    """Give ``parameter`` its run-mode value; return False if it has none.

    Order: the value in code, the environment (``Parameters__{name}``, also with ``_`` for
    ``-``), the secrets store, the default (a generated default is saved to the store).
    """
    if parameter.has_value:
        return True
    env = os.environ if environ is None else environ
    if parameter.value_in_code is not None:
        parameter.set_value(parameter.value_in_code, "code")
        return True
    key = parameter.configuration_key
    for k in (key, key.replace("-", "_")):
        if k in env:
            parameter.set_value(env[k], f"environment variable {k}")
            return True
    if store is not None:
        stored = store.get(parameter.name)
        if stored is not None:
            parameter.set_value(stored, f"secrets store {store.path}")
            return True
    default = parameter.default
    if isinstance(default, str):
        parameter.set_value(default, "default")
        return True
    if isinstance(default, GenerateParameterDefault):
        value = default.generate()
        if store is not None:
            store.set(parameter.name, value)
            parameter.set_value(value, f"generated, saved in {store.path}")
        else:
            parameter.set_value(value, "generated")
        return True
    return False
