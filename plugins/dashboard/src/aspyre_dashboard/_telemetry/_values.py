"""OTLP values as the pages show them: ``AnyValue`` to plain JSON, attributes to ``[key, value]`` pairs.

Only what a page displays is decoded this way (a trace that is opened, the logs in view): stored
records keep their attributes as the protobuf bytes they arrived in.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["SEVERITY_NAMES", "any_value", "attributes", "display", "severity_name"]

#: JavaScript's largest exact integer: bigger ones are sent as text.
_SAFE_INT = 2**53 - 1

#: Severity numbers (OTLP ``SeverityNumber``) by the level names the pages filter on (Aspire's levels).
SEVERITY_NAMES = (
    (1, "Trace"),
    (5, "Debug"),
    (9, "Information"),
    (13, "Warning"),
    (17, "Error"),
    (21, "Critical"),
)


def severity_name(number: int, text: str = "") -> str:
    """The level of a severity number (``Information`` for 9 to 12); the record's own text when unspecified."""
    if number <= 0:
        return text or "Unspecified"
    name = "Trace"
    for bound, label in SEVERITY_NAMES:
        if number >= bound:
            name = label
    return name


def any_value(value: Any) -> Any:
    """An ``AnyValue`` message as plain JSON data."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        number = value.int_value
        return number if -_SAFE_INT <= number <= _SAFE_INT else str(number)
    if kind == "double_value":
        number = value.double_value
        return number if number == number and number not in (float("inf"), float("-inf")) else str(number)
    if kind == "bool_value":
        return value.bool_value
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None


def display(value: Any) -> str:
    """A plain value as one line of text (a log body, a filter's haystack)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def attributes(pairs: Any) -> list[list[Any]]:
    """Repeated ``KeyValue`` as ``[[key, value], ...]`` (in the order sent)."""
    return [[kv.key, any_value(kv.value)] for kv in pairs]
