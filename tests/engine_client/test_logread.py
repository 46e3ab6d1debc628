"""Reading a container's output back from the engine's log by its timestamps (the engine's documented format)."""

from __future__ import annotations

import pytest

from aspyre._orchestrator._docker._logread import LogCursor, LogLines, engine_time_ns

T0 = "2026-11-26T09:31:22.554390423Z"
BASE = 1795685482 * 1_000_000_000  # 2026-11-26T09:31:22Z
Frame = tuple[bytes | None, bytes | None]


def _at(ns: int) -> bytes:
    """The engine's fixed timestamp form of BASE + *ns*."""
    seconds, fraction = divmod(BASE + ns, 1_000_000_000)
    assert seconds == BASE // 1_000_000_000  # the tests stay within one second
    return f"2026-11-26T09:31:22.{fraction:09d}Z".encode()


def _out(ns: int, text: bytes) -> Frame:
    return (_at(ns) + b" " + text, None)


def _err(ns: int, text: bytes) -> Frame:
    return (None, _at(ns) + b" " + text)


def _time(frame: Frame) -> int:
    moment = engine_time_ns((frame[0] or frame[1] or b"").partition(b" ")[0])
    return -1 if moment is None else moment


def _read(cursor: LogCursor, log: list[Frame], *, stop: int | None = None, tty: bool = False) -> list[tuple[str, bool]]:
    """One read as the engine answers it: the log's messages at or after the cursor's ``since``, in the log's
    order (*stop*: the read breaks off after that many)."""
    since = cursor.since()
    assert since is not None
    frames = log if tty else [f for f in log if _time(f) >= since]
    lines = LogLines(cursor, since, tty=tty)
    out = [x for frame in frames[:stop] for x in lines.feed(frame)]
    return out + lines.flush()


def test_engine_times_parse_to_exact_nanoseconds() -> None:
    assert engine_time_ns(T0) == BASE + 554390423
    assert engine_time_ns(T0.encode()) == BASE + 554390423
    assert engine_time_ns("2026-11-26T09:31:22.5Z") == BASE + 500_000_000
    assert engine_time_ns("2026-11-26T09:31:22Z") == BASE
    assert engine_time_ns("2026-11-26T10:31:22.000000001+01:00") == BASE + 1
    zero = engine_time_ns("0001-01-01T00:00:00Z")  # Docker's unset time
    assert zero is not None and zero < 0
    for bad in ("", "Error", "2026-13-26T09:31:22.554390423Z", "2026-11-26 09:31:22Z"):
        assert engine_time_ns(bad) is None


def test_times_are_stripped_streams_kept_apart_and_the_cursor_moves() -> None:
    cursor = LogCursor(0)
    log = [_out(1, b"one\n"), _err(2, b"oops\n"), _out(3, b"two\n")]
    assert _read(cursor, log) == [("one", False), ("oops", True), ("two", False)]
    assert cursor.latest == BASE + 3
    assert _read(cursor, log) == []  # read again: all of it was delivered


def test_a_later_read_skips_what_an_earlier_one_delivered_even_with_equal_times() -> None:
    cursor = LogCursor(0)
    # two messages with the very same time (stdout and stderr read at once): the read breaks off between them
    log = [_out(1, b"a\n"), _out(5, b"b\n"), _err(5, b"c\n")]
    assert _read(cursor, log, stop=2) == [("a", False), ("b", False)]
    log.append(_out(6, b"d\n"))
    assert _read(cursor, log) == [("c", True), ("d", False)]
    assert _read(cursor, log) == []


def test_stdout_and_stderr_written_out_of_time_order_are_not_lost() -> None:
    cursor = LogCursor(0)
    # stderr's reader timed its line first, stdout's wrote first: the log's times go back by 3 ns there
    log = [_out(1, b"a\n"), _out(8, b"b\n"), _err(5, b"c\n"), _out(9, b"d\n")]
    assert _read(cursor, log, stop=2) == [("a", False), ("b", False)]
    assert _read(cursor, log) == [("c", True), ("d", False)]
    assert _read(cursor, log) == []


def test_a_read_never_starts_below_the_floor() -> None:
    cursor = LogCursor(BASE + 4)  # the log before that is an earlier run's
    log = [_out(1, b"old\n"), _out(5, b"new\n")]
    assert _read(cursor, log) == [("new", False)]
    log.append(_out(6, b"newer\n"))
    assert cursor.since() == BASE + 4
    assert _read(cursor, log) == [("newer", False)]


def test_the_first_read_skips_the_lines_the_attach_delivered() -> None:
    cursor = LogCursor(0)
    cursor.attached = [2, 1]  # the attached run wrote out1, out2 and err1: all delivered live
    log = [_out(1, b"out1\n"), _err(2, b"err1\n"), _out(3, b"out2\n"), _out(9, b"next run\n"), _err(9, b"e\n")]
    assert _read(cursor, log) == [("next run", False), ("e", True)]
    assert cursor.attached == [0, 0]


def test_pieces_of_a_long_line_join_and_an_unterminated_last_line_ends_with_its_run() -> None:
    cursor = LogCursor(0)
    piece = b"x" * 16384
    log = [_out(1, piece), _out(1, piece), _out(1, b"y\n"), _out(2, b"no newline"), _out(7, b"next run\n")]
    assert _read(cursor, log) == [("x" * 32768 + "y", False), ("no newline", False), ("next run", False)]


def test_a_tty_log_is_raw_bytes_cut_into_messages() -> None:
    cursor = LogCursor(0)
    raw = _at(1) + b" one\r\n" + _at(2) + b" " + b"z" * 16384 + _at(2) + b" end\r\n" + _at(3) + b" last"
    # the engine's bytes arrive in arbitrary chunks
    frames: list[Frame] = [(raw[i : i + 7], None) for i in range(0, len(raw), 7)]
    assert _read(cursor, frames, tty=True) == [("one", False), ("z" * 16384 + "end", False), ("last", False)]
    assert cursor.latest == BASE + 3


@pytest.mark.parametrize("junk", [b"Error grabbing logs: unexpected EOF\n", b"\n"])
def test_what_is_not_a_log_message_is_not_shown(junk: bytes) -> None:
    cursor = LogCursor(0)
    assert _read(cursor, [(junk, None), _out(1, b"fine\n")]) == [("fine", False)]
