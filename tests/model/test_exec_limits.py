"""The size check of a process's arguments and environment gives the same answers when the inherited
environment is measured once (:class:`InheritedEnvironment`, what ``build()`` does for every executable)."""

from __future__ import annotations

import pytest

from aspyre._model._exec_limits import ExecLimits, InheritedEnvironment, exec_size_problems

LIMITS = ExecLimits(total=4096, per_string=1024, where="a test machine")
HOST = {"PATH": "/usr/bin", "HOME": "/root", "BIG": "x" * 2000, "MID": "y" * 900}


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["cmd"], {}),  # the host's BIG is over the limit for one string
        (["cmd"], {"BIG": "small"}),  # ...unless the process's own value replaces it
        (["cmd", "a" * 1500], {"BIG": "small"}),  # an argument over the limit for one string
        (["cmd"], {"BIG": "small", "OWN": "z" * 1100}),  # its own variable over it
        (["cmd"], {"BIG": "small", "A": "z" * 1000, "B": "z" * 1000, "C": "z" * 1000, "D": "z" * 1000}),  # the total over
        (["cmd"], {"BIG": "small", "A": "z" * 1000, "B": "z" * 900}),  # just under the total
        (["cmd"], {"BIG": "small", "MID": "m"}),
        (["cmd", "x" * 10], {"BIG": "small"}),  # far below every limit (answered from the lengths alone)
        (["cmd", "\u20ac" * 400], {"BIG": "small"}),  # 400 characters, 1,200 bytes: over the limit for one string
        (["cmd", "\u00e9" * 500], {"BIG": "small"}),  # 500 characters, 1,000 bytes: just under it
        (["cmd"], {"BIG": "small", "A": "\u00e9" * 500, "B": "\u00e9" * 450}),  # multi-byte, the total just under
        (["cmd"], {"BIG": "small", **{k: "\u00e9" * 500 for k in "ABCD"}}),  # ...and over
    ],
)
def test_measured_once_or_each_time_the_answers_are_the_same(args: list[str], env: dict[str, str]) -> None:
    measured = InheritedEnvironment(HOST, LIMITS.per_string)
    for known_only in (False, True):
        expected = exec_size_problems("p", args, env, LIMITS, inherited=HOST, known_only=known_only)
        assert exec_size_problems("p", args, env, LIMITS, inherited=measured, known_only=known_only) == expected


def test_the_cases_above_include_problems() -> None:
    measured = InheritedEnvironment(HOST, LIMITS.per_string)
    assert "'BIG' (inherited from the app host)" in exec_size_problems("p", ["cmd"], {}, LIMITS, inherited=measured)[0]
    too_much = {"BIG": "small", "A": "z" * 1000, "B": "z" * 1000, "C": "z" * 1000, "D": "z" * 1000}
    assert "total" in exec_size_problems("p", ["cmd"], too_much, LIMITS, inherited=measured)[0]


def test_no_limits_nothing_to_report() -> None:
    measured = InheritedEnvironment(HOST, None)
    assert exec_size_problems("p", ["c" * 10**6], {}, ExecLimits(total=None, per_string=None), inherited=measured) == []
