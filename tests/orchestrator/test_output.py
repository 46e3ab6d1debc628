"""One rule cuts process and container output into lines (``aspyre._orchestrator._output``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aspyre._orchestrator._output import MAX_LINE, LineSplitter
from aspyre._orchestrator._processes import run_process
from aspyre._orchestrator._specs import ProcessSpec


def test_lines_end_at_newlines_across_chunks_and_crlf_loses_its_cr() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"one\ntw") == ["one"]
    assert splitter.feed(b"o\r\nthree\r") == ["two"]
    assert splitter.feed(b"\n\n") == ["three", ""]
    assert splitter.feed(b"tail") == []
    assert splitter.flush() == ["tail"]
    assert splitter.flush() == []


def test_a_character_split_across_chunks_stays_whole_and_bad_bytes_are_replaced() -> None:
    splitter = LineSplitter()
    encoded = "é€\n".encode()
    assert splitter.feed(encoded[:1]) == []
    assert splitter.feed(encoded[1:4]) == []
    assert splitter.feed(encoded[4:]) == ["é€"]
    assert splitter.feed(b"\xff\n") == ["\ufffd"]


def test_long_lines_are_cut_at_the_limit_whether_or_not_they_end_in_the_chunk() -> None:
    splitter = LineSplitter(max_line=4)
    assert splitter.feed(b"abcdefghij\nxy") == ["abcd", "efgh", "ij"]
    assert splitter.feed(b"zzzzz") == ["xyzz"]
    assert splitter.flush() == ["zzz"]
    assert MAX_LINE == 64 * 1024


@pytest.mark.anyio
async def test_processes_follow_the_same_limit(tmp_path: Path) -> None:
    lines: list[tuple[str, bool]] = []
    code = f"import sys; sys.stdout.write('x' * {MAX_LINE + 10} + '\\n'); sys.stderr.write('é\\r\\nlast')"
    spec = ProcessSpec("long", sys.executable, tmp_path, args=("-c", code))
    assert await run_process(spec, on_line=lambda line, err: lines.append((line, err))) == 0
    assert sorted(lines) == sorted([("x" * MAX_LINE, False), ("x" * 10, False), ("é", True), ("last", True)])
