"""Does this aspyre satisfy what a plugin declares? A plugin states the aspyre versions it supports as its
dependency on aspyre (``dependencies = ["aspyre>=0.1,<0.3"]``, ``Requires-Dist`` in its metadata).

pip checks that at install time, but not after ``pip install -U aspyre`` alone (it only prints a warning),
nor for ``--no-deps`` or editable installs: the registry checks it again before it imports a plugin
(:meth:`aspyre.plugins.PluginEntry.load`). This module compares versions itself (a PEP 440 subset: release
numbers, pre-, post- and dev-releases, ``==X.*``, ``~=``), so that checking costs no import. A declaration it
cannot read is never held against the plugin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["aspyre_requirement", "requirement_problem", "version_key"]

# Patterns compiled on first use (re caches them), and only for what the plain string checks do not read: the usual
# requirement on aspyre ("aspyre>=0.1,<0.3") and its clauses are read without them on every app host's start.
_VERSION = (
    r"""^\s*v?(?:\d+!)?(?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d*))?
    (?:-(?P<post_implicit>\d+)|[-_.]?(?:post|rev|r)[-_.]?(?P<post_n>\d*))?
    (?:[-_.]?(?P<dev>dev)[-_.]?(?P<dev_n>\d*))?
    (?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$"""
)
_PRE_ORDER = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_CLAUSE = r"^\s*(===|~=|==|!=|<=|>=|<|>)\s*(\S+)\s*$"
_OPERATORS = ("===", "~=", "==", "!=", "<=", ">=", "<", ">")
_REQUIREMENT = r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<rest>[^;]*)(?:;(?P<marker>.*))?$"
_INF = float("inf")

VersionKey = tuple[tuple[int, ...], tuple[float, float], float, float]


def _release(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def version_key(text: str) -> VersionKey | None:
    """A key that sorts versions as PEP 440 does (``None``: not a version this module reads)."""
    plain = text.strip()
    if all(part.isdecimal() for part in plain.split(".")):  # "0.2", "1.10.3": the usual case, without the pattern
        return (_release(plain), (_INF, 0.0), -_INF, _INF)
    m = re.match(_VERSION, text, re.IGNORECASE | re.VERBOSE)
    if m is None:
        return None
    release = _release(m["release"])
    post_text = m["post_implicit"] if m["post_implicit"] is not None else m["post_n"]
    has_post = m["post_implicit"] is not None or m["post_n"] is not None
    post = float(int(post_text or 0)) if has_post else -_INF
    dev = float(int(m["dev_n"] or 0)) if m["dev"] else _INF
    if m["pre"]:
        pre: tuple[float, float] = (float(_PRE_ORDER[m["pre"].lower()]), float(int(m["pre_n"] or 0)))
    elif m["dev"] and not has_post:
        pre = (-_INF, 0.0)  # 1.0.dev1 comes before 1.0a1
    else:
        pre = (_INF, 0.0)
    return (release, pre, post, dev)


def _satisfies(version: str, op: str, target: str) -> bool | None:
    """Whether ``version`` satisfies ``op target``; ``None`` when either cannot be read."""
    if op == "===":
        return version.strip() == target.strip()
    if op in ("==", "!=") and target.endswith(".*"):
        v = version_key(version)
        prefix = target[:-2]
        if v is None or version_key(prefix) is None:
            return None
        want = tuple(int(p) for p in prefix.split(".") if p.isdigit())
        have = tuple(int(p) for p in version.split("+")[0].split(".")[: len(want)] if p.isdigit())
        return (have == want) == (op == "==")
    v, t = version_key(version), version_key(target)
    if v is None or t is None:
        return None
    if op == "~=":
        parts = target.split(".")
        if len(parts) < 2:
            return None
        return v >= t and bool(_satisfies(version, "==", ".".join(parts[:-1]) + ".*"))
    return {
        "==": v == t,
        "!=": v != t,
        "<=": v <= t,
        ">=": v >= t,
        "<": v < t,
        ">": v > t,
    }[op]


def aspyre_requirement(requires_dist: Iterable[str]) -> str | None:
    """The version specifier of the requirement on ``aspyre`` among ``Requires-Dist`` lines (``">=0.1,<0.3"``).

    ``""`` when aspyre is required without versions; ``None`` when it is not required (optional
    requirements, behind ``extra == ...``, do not count).
    """
    for line in requires_dist:
        head = line.lstrip()
        after = head[6:7]
        # The pattern's name is the longest run of [A-Za-z0-9._-]: it is "aspyre" (normalised) only when the line
        # starts so and the run ends there. Other requirements are skipped without the pattern.
        if not (head[:6].isascii() and head[:6].lower() == "aspyre") or (
            after and ((after.isascii() and after.isalnum()) or after in "._-")
        ):
            continue
        tail = head[6:]
        if not any(c in tail for c in "[;\n\r"):  # no extras, no marker: the rest is the specifier
            rest = tail.strip()
        else:
            m = re.match(_REQUIREMENT, line)
            if m is None:
                continue
            if m["marker"] and "extra" in m["marker"]:
                continue
            rest = m["rest"].strip()
        if rest.startswith("@"):
            return ""
        return rest.strip("()").strip()
    return None


def _clause(text: str) -> tuple[str, str] | None:
    """``(operator, version)`` of one clause, as :data:`_CLAUSE` reads it, without compiling it (each plugin is
    checked as it loads, on every app host's builder path)."""
    stripped = text.lstrip()
    for op in _OPERATORS:  # in the pattern's order: a clause it cannot read with one operator may fit the next
        if stripped.startswith(op):
            version = stripped[len(op) :].strip()
            if version and not any(c.isspace() for c in version):
                return op, version
    return None


def requirement_problem(specifier: str | None, version: str) -> str | None:
    """Why ``version`` of aspyre does not satisfy ``specifier`` (``None``: it does, or it cannot be told)."""
    if not specifier:
        return None
    for clause in specifier.split(","):
        parsed = _clause(clause)
        if parsed is None:
            return None  # a declaration this module cannot read is not held against the plugin
        ok = _satisfies(version, *parsed)
        if ok is False:
            return f"it requires aspyre{specifier.replace(' ', '')}"
    return None
