"""The ``.env`` file Compose reads its variables from: quoting that reads back unchanged, and reading it back."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["quote_env_value", "read_env_file"]

_PLAIN = re.compile(r"[A-Za-z0-9_.~:/@,+=%-]*")


def quote_env_value(value: str) -> str:
    """A ``.env`` value that Compose (v1's python-dotenv and v2) reads back as ``value``.

    Plain values stay bare; others go in single quotes (no escapes, no interpolation); a value
    with a single quote goes in double quotes with ``\\`` and ``"`` escaped.
    """
    if _PLAIN.fullmatch(value):
        return value
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    if "${" in value:
        raise ValueError("a .env value cannot contain both a single quote and '${' (Compose would interpolate it)")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value[1:-1])
    return value


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of a ``.env`` file written by :func:`quote_env_value` (``{}`` if there is none)."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        key, _, value = stripped.partition("=")
        values[key.strip()] = _unquote(value.strip())
    return values

