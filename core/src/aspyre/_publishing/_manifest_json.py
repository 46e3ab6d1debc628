"""The manifest's JSON text: ``json.dumps(data, indent=2, ensure_ascii=True)``, the same bytes, faster.

With ``indent`` the standard library uses its pure-Python encoder. :func:`dumps_indented` walks JSON-ready data
once and escapes strings (what a manifest is mostly made of) with the C function; :func:`manifest_text` goes
further and writes the typed manifest directly, field by field, without making the JSON-ready data first (what
``unstructure`` followed by :func:`dumps_indented` would write). Anything they do not know raises
:class:`NotPlain`, and the caller takes the general way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii as _string
from typing import Any

__all__ = ["PLANS", "NotPlain", "dumps_indented", "manifest_text"]


class NotPlain(Exception):
    """Data these writers leave to the general way."""


#: How each manifest class is written: its fields in order, as ``(attribute, JSON key already encoded,
#: omitted when it holds its default, the default)`` (filled by ``_model`` as it configures the converter).
PLANS: dict[type[Any], tuple[tuple[str, str, bool, Any], ...]] = {}


def _plain(o: Any, newline: str, write: Callable[[str], object]) -> None:
    """Write JSON data (dicts with string keys, lists, tuples, strings, numbers, booleans, ``None``)."""
    kind = type(o)
    if kind is str:
        write(_string(o))
    elif kind is dict:
        if not o:
            write("{}")
            return
        inner = newline + "  "
        sep = "{" + inner
        for k, v in o.items():
            if type(k) is not str:
                raise NotPlain
            if type(v) is str:  # most values: written here rather than by another call
                write(f"{sep}{_string(k)}: {_string(v)}")
            else:
                write(f"{sep}{_string(k)}: ")
                _plain(v, inner, write)
            sep = "," + inner
        write(newline + "}")
    elif kind is list or kind is tuple:
        if not o:
            write("[]")
            return
        inner = newline + "  "
        sep = "[" + inner
        for v in o:
            if type(v) is str:
                write(sep + _string(v))
            else:
                write(sep)
                _plain(v, inner, write)
            sep = "," + inner
        write(newline + "]")
    elif o is None:
        write("null")
    elif kind is bool:
        write("true" if o else "false")
    elif kind is int or kind is float:
        write(json.dumps(o))
    else:
        raise NotPlain


def dumps_indented(data: object) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=True)``, the same text, about twice as fast.

    Data with anything but dicts with string keys, lists, tuples, strings, numbers, booleans and ``None`` goes
    to ``json.dumps``.
    """
    out: list[str] = []
    try:
        _plain(data, "\n", out.append)
    except NotPlain:
        return json.dumps(data, indent=2, ensure_ascii=True)
    return "".join(out)


def _compile(
    plan: tuple[tuple[str, str, bool, Any], ...],
) -> Callable[[Any, str, Callable[[str], object], type[Any]], None]:
    """A writer for one manifest class: its plan's fields unrolled into straight-line code (no loop over the plan,
    no ``getattr``, each key and its ``": "`` one constant, strings and ints written in place, the separator known
    once a field that is never left out was written). Fields holding their default are left out (``type`` never
    is), nothing written gives ``{}``: the text unstructuring then :func:`dumps_indented` would give."""
    namespace: dict[str, Any] = {"_string": _string, "_typed": _typed, "_int": int.__repr__}
    lines = ["def write_entry(o, newline, write, raw):", "    inner = newline + '  '", "    comma = ',' + inner"]
    written = False  # whether a field is surely written by now (one that is never left out): then ``comma`` follows
    if not plan or plan[0][2]:  # the first field may be left out: which separator comes next is known when running
        lines.append("    sep = '{' + inner")
    for i, (name, key, omittable, default) in enumerate(plan):
        if not name.isidentifier():
            raise ValueError(name)  # pragma: no cover - attrs field names are identifiers
        namespace[f"k{i}"] = f"{key}: "
        namespace[f"d{i}"] = default
        lines.append(f"    v = o.{name}")
        indent = "    "
        if omittable:
            lines.append("    if v is not None:" if default is None else f"    if not (v == d{i}):")
            indent = "        "
        before = "comma" if written else ("'{' + inner" if i == 0 else "sep")
        lines += [
            f"{indent}if type(v) is str:",
            f"{indent}    write({before} + k{i} + _string(v))",
            f"{indent}elif type(v) is int:",  # what _typed writes for an int, without the call
            f"{indent}    write({before} + k{i} + _int(v))",
            f"{indent}else:",
            f"{indent}    write({before} + k{i})",
            f"{indent}    _typed(v, inner, write, raw)",
        ]
        if not written and omittable:
            lines.append(f"{indent}sep = comma")
        if not omittable:
            written = True
    lines.append("    write(newline + '}')" if written else "    write(newline + '}' if sep is comma else '{}')")
    exec("\n".join(lines), namespace)  # code made from the manifest classes' own field names
    writer: Callable[[Any, str, Callable[[str], object], type[Any]], None] = namespace["write_entry"]
    return writer


#: The compiled writer of each manifest class (made from its plan on first use).
_WRITERS: dict[type[Any], Callable[[Any, str, Callable[[str], object], type[Any]], None]] = {}


def _typed(o: Any, newline: str, write: Callable[[str], object], raw: type[Any]) -> None:
    """Write what the converter's unstructuring of ``o`` gives: manifest classes field by field (their
    plans), a raw entry's data as it is, dicts, lists and tuples with their items unstructured the same way."""
    kind = type(o)
    if kind is str:
        write(_string(o))
    elif kind is dict:  # the containers first: most values are, and no manifest class is one
        if not o:
            write("{}")
            return
        inner = newline + "  "
        comma = "," + inner
        sep = "{" + inner
        writers = _WRITERS
        for k, v in o.items():
            if type(k) is not str:
                raise NotPlain
            if type(v) is str:
                write(f"{sep}{_string(k)}: {_string(v)}")
            else:
                write(f"{sep}{_string(k)}: ")
                writer = writers.get(type(v))
                if writer is not None:  # a manifest class met before: written by its writer at once
                    writer(v, inner, write, raw)
                else:
                    _typed(v, inner, write, raw)
            sep = comma
        write(newline + "}")
    elif kind is list or kind is tuple:
        if not o:
            write("[]")
            return
        inner = newline + "  "
        comma = "," + inner
        sep = "[" + inner
        for v in o:
            if type(v) is str:
                write(sep + _string(v))
            else:
                write(sep)
                _typed(v, inner, write, raw)
            sep = comma
        write(newline + "]")
    else:
        writer = _WRITERS.get(kind)
        if writer is None:
            plan = PLANS.get(kind)
            if plan is not None:
                writer = _WRITERS[kind] = _compile(plan)
        if writer is not None:
            writer(o, newline, write, raw)
        elif kind is raw:
            _plain(dict(o.data), newline, write)
        elif o is None:
            write("null")
        elif kind is bool:
            write("true" if o else "false")
        elif kind is int:
            write(int.__repr__(o))  # what json.dumps writes for an int, without its encoder's set-up
        else:
            raise NotPlain  # a float, another class, a subclass: the converter and the general writer decide


def manifest_text(schema: str | None, resources: dict[str, Any], raw: type[Any]) -> str:
    """The text of a manifest (without the trailing newline) with ``schema`` and ``resources`` (name -> typed
    entry); ``raw`` is the class of entries written as their data. :class:`NotPlain` for anything else."""
    out: list[str] = []
    write = out.append
    sep = "{\n  "
    if schema is not None:
        write(f'{sep}"$schema": {_string(schema)}')
        sep = ",\n  "
    write(f'{sep}"resources": ')
    _typed(resources, "\n  ", write, raw)
    write("\n}")
    return "".join(out)
