"""Command-line arguments, the per-app-host secrets store, and parameter values."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from .._model._execution import ExecutionContext, Operation
from .._model._resources import GenerateParameterDefault, ParameterResource

__all__ = ["ParsedArgs", "SecretsStore", "app_host_id", "parse_args", "resolve_parameter"]


@attrs.frozen
class ParsedArgs:
    execution_context: ExecutionContext
    remaining: tuple[str, ...]


def _arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    p.add_argument("--publisher", default=None)
    p.add_argument("--output-path", "-o", dest="output_path", default=None)
    p.add_argument("--operation", choices=[o.value for o in Operation], default=None)
    return p


def parse_args(args: Sequence[str]) -> ParsedArgs:
    """Read Aspire's app host flags: ``--publisher NAME``, ``--output-path DIR``, ``--operation``.

    ``--publisher`` alone means publish mode; unknown arguments are kept for the app host.
    """
    ns, rest = _arg_parser().parse_known_args(list(args))
    operation = Operation(ns.operation) if ns.operation else None
    if operation is None:
        operation = Operation.PUBLISH if ns.publisher else Operation.RUN
    if operation is Operation.PUBLISH:
        publisher = ns.publisher or "manifest"
        output = Path(ns.output_path) if ns.output_path else Path.cwd()
        ctx = ExecutionContext(Operation.PUBLISH, publisher, output.absolute())
    else:
        ctx = ExecutionContext(Operation.RUN)
    return ParsedArgs(ctx, tuple(rest))


def app_host_id(app_host_path: Path) -> str:
    """A stable short hash of the app host's location (names persistent objects, keys secrets)."""
    return hashlib.sha256(str(app_host_path).lower().encode()).hexdigest()


def secrets_directory() -> Path:
    """Where generated secrets live: ``$ASPYRE_SECRETS_DIR``, else ``$XDG_DATA_HOME/aspyre/secrets``."""
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
        self.path = self.directory / f"{app_host_id(app_host_path)[:16]}.json"

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"The secrets store {self.path} cannot be read ({exc}); fix or delete it.") from exc
        params = data.get("parameters", {})
        return {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {}

    def get(self, name: str) -> str | None:
        return self._read().get(name)

    def set(self, name: str, value: str) -> None:
        params = self._read()
        params[name] = value
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = json.dumps({"app_host": str(self.app_host_path), "parameters": params}, indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".secrets-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(payload)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, name: str) -> None:
        params = self._read()
        if params.pop(name, None) is not None:
            self.set_all(params)

    def set_all(self, params: Mapping[str, str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path.write_text(json.dumps({"app_host": str(self.app_host_path), "parameters": dict(params)}))
        os.chmod(self.path, 0o600)


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
