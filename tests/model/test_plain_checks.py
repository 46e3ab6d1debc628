"""Checks written with string operations instead of compiled patterns (no pattern is compiled on an app host's
builder path): each gives the same answer as the pattern it replaces, on edge cases and on random strings drawn
from the characters that matter."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from aspyre import _plugin_declarations, _plugin_scan, _plugin_versions, _plugins
from aspyre._model import _container_names as names

#: Characters the grammars treat differently: classes, separators, brackets, spaces, non-ASCII letters and digits.
ALPHABET = "aZz09_.-/:[]@ \t\n;=<>~!,()" + "éK٣²"
EDGES = [
    "", "a", "A", "_", ".", "-", "a-", "-a", "a--b", "a__b", "a___b", "a._b", "a..b", "a/b", "a//b", "/a", "a/",
    "x" * 127, "x" * 128, "x" * 129, "0" * 64, "f" * 64, "F" * 64, "0" * 63, "[::1]", "[::1]:80", "[]", "[:]:",
    "host:", "host:80", "host:8a", "a.b-c.d:5000", "-a.b", "a.-b", "localhost", "é", "a:b", "a:b:c", "_a.b:C.d",
    "1a:b", "a :b", "a:b ", "a.:b.", "٣", "²",
]


def samples(seed: int, count: int = 4000) -> list[str]:
    rng = random.Random(seed)
    out = list(EDGES)
    for _ in range(count):
        out.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))))
    return out


@pytest.mark.parametrize(
    ("pattern", "check"),
    [
        (names._PATH, names._is_path),
        (names._DOMAIN, names._is_domain),
        (names._TAG, names._is_tag),
        (names._HEX64, names._is_hex64),
        (names._VOLUME, names._is_volume),
        (_plugin_declarations.TYPE_REFERENCE, _plugin_declarations._is_type_reference),
    ],
    ids=["path", "domain", "tag", "hex64", "volume", "type-reference"],
)
def test_each_check_answers_as_its_pattern(pattern: str, check: Callable[[str], bool]) -> None:
    compiled = re.compile(pattern)
    differ = [s for s in samples(1) if bool(compiled.fullmatch(s)) != check(s)]
    assert differ == []
    assert any(check(s) for s in samples(1))  # not vacuous: some of the samples pass


def test_distribution_names_normalise_as_with_the_pattern() -> None:
    for s in samples(2):
        assert _plugin_scan.normalize_distribution(s) == re.sub(r"[-_.]+", "-", s).lower()


def test_requirement_clauses_read_as_with_the_pattern() -> None:
    pattern = re.compile(_plugin_versions._CLAUSE)
    rng = random.Random(3)
    clauses = [*EDGES, ">=0.1", " <= 1.0 ", "==1.*", "===1", "~=0.2", "<=", "<= ", "< =1", "=>1", "> 1 2", "!=2\n"]
    clauses += ["".join(rng.choice("<>=!~ .01a\t") for _ in range(rng.randint(0, 8))) for _ in range(4000)]
    for clause in clauses:
        m = pattern.match(clause)
        assert _plugin_versions._clause(clause) == (None if m is None else (m[1], m[2])), clause


def test_the_requirement_on_aspyre_reads_as_with_the_pattern() -> None:
    def with_pattern(lines: list[str]) -> str | None:
        for line in lines:
            m = re.match(_plugin_versions._REQUIREMENT, line)
            if m is None or re.sub(r"[-_.]+", "-", m["name"]).lower() != "aspyre":
                continue
            if m["marker"] and "extra" in m["marker"]:
                continue
            rest = m["rest"].strip()
            return "" if rest.startswith("@") else rest.strip("()").strip()
        return None

    rng = random.Random(4)
    heads = ["aspyre", "ASPYRE", " aspyre", "aspyre-redis", "aspyre_x", "aspyre.x", "aspyreX", "aspyre2", "redis", "é"]
    tails = ["", ">=0.1", " (>=0.1,<0.3)", "[x]>=1", "; extra == 'dev'", ";python_version>'3'", " @ file:///x", "\n"]
    lines = [h + t for h in heads for t in tails]
    lines += ["aspyre" + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10))) for _ in range(3000)]
    for line in lines:
        assert _plugin_versions.aspyre_requirement([line]) == with_pattern([line]), line
    assert _plugin_versions.aspyre_requirement(["redis>=5", "aspyre>=0.1,<0.3"]) == ">=0.1,<0.3"


def test_entry_point_values_load_as_with_the_pattern() -> None:
    pattern = re.compile(_plugins._OBJECT_REFERENCE)
    assert _plugins.load_object("os.path:join") is __import__("os").path.join
    assert _plugins.load_object("os.path : join [extra]") is __import__("os").path.join
    assert _plugins.load_object("json") is __import__("json")
    for bad in ["", ":join", "os:", "os:path:join", "os path", "os:pa th"]:
        assert pattern.match(bad) is None
        with pytest.raises(ValueError, match="not an object reference"):
            _plugins.load_object(bad)


def test_hook_arguments_are_read_from_code_as_inspect_reads_them() -> None:
    import functools
    import inspect

    from aspyre._eventing._hookspecs import HookSpecs
    from aspyre._hosting._hook_plugins import _required_arguments

    def every_kind(a, b, /, c, d=1, *args, e, f=2, **kw):  # type: ignore[no-untyped-def]
        pass

    @functools.wraps(every_kind)
    def wrapper(*args: object, **kwargs: object) -> None:
        pass

    functions = [getattr(HookSpecs, n) for n in dir(HookSpecs) if n.startswith("aspyre_")]
    functions += [every_kind, wrapper, lambda q, r=2: None, lambda: None]
    for fn in functions:
        params = inspect.signature(fn).parameters.values()
        expected = tuple(
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        )
        assert _required_arguments(fn) == expected, fn
    assert _required_arguments(every_kind) == ("a", "b", "c")
