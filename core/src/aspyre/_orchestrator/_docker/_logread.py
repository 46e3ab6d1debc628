"""Reading a container's output back from the engine's log, each line once, by the engine's own timestamps.

The engine keeps a container's output as *messages* (a line, or a 16 KiB piece of a longer one), each with the
engine's time when it read it. ``GET /containers/{id}/logs?timestamps=1`` prefixes each message with that time
(``2026-11-26T09:31:22.554390423Z `` and a space); a followed log ends with the run (the engine does not follow
it across a restart by a restart policy).

A :class:`LogCursor` says how far the output was delivered, in the engine's time: the times of the messages
taken lately. The next read asks for ``since`` a moment before the latest of them (the engine returns the messages
at or after it, in the log's order) and skips as many as were taken from that moment on, so whatever the reads'
boundaries (a run ending, a dropped connection, the engine away) no line is missed or repeated, messages sharing
a time (the pieces of a long line always do) and stdout and stderr written a little out of time order included,
and aspyre's own clock plays no part.

Before the first read, the output came from the attach (live bytes, no times). Then the cursor knows the
engine time from which the log holds exactly what the attach delivered (*floor*: the log's start for a container
created by aspyre; where it ended before the start for a container started again) and how many lines of each stream
the attach delivered: the first read from the log starts at the floor and skips that many lines.
"""

from __future__ import annotations

import calendar
import collections
import datetime as dt
import re

from .._output import LineSplitter
from ._client import EngineClient
from ._errors import APIError

__all__ = ["LogCursor", "LogLines", "engine_time_ns", "log_end", "unix_ns"]

#: The engine's log piece size: a longer line is kept as pieces of this many bytes (moby's log copier).
_PIECE = 16 * 1024
_RFC3339 = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")
_SECONDS_CACHE: dict[bytes, int] = {}


def engine_time_ns(value: str | bytes) -> int | None:
    """An engine time (RFC 3339, any fraction, ``Z`` or an offset) as UNIX nanoseconds; ``None`` if not one.

    Docker's zero time (``0001-01-01T00:00:00Z``, an unset ``FinishedAt``) gives a negative number.
    """
    raw = value.encode() if isinstance(value, str) else value
    if len(raw) == 30 and raw[19:20] == b"." and raw[29:30] == b"Z":  # the engine's own fixed form: fast
        seconds = _SECONDS_CACHE.get(raw[:19])
        if seconds is None:
            seconds = _seconds(raw[:19], b"Z")
            if seconds is None:
                return None
            if len(_SECONDS_CACHE) > 4096:
                _SECONDS_CACHE.clear()
            _SECONDS_CACHE[raw[:19]] = seconds
        fraction = raw[20:29]
        if not fraction.isdigit():
            return None
        return seconds * 1_000_000_000 + int(fraction)
    match = _RFC3339.fullmatch(raw)
    if match is None:
        return None
    base, fraction, zone = match.groups()
    seconds = _seconds(base, zone)
    if seconds is None:
        return None
    return seconds * 1_000_000_000 + int((fraction or b"0").ljust(9, b"0"))


def _seconds(base: bytes, zone: bytes) -> int | None:
    try:
        moment = dt.datetime.strptime(base.decode("ascii"), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    seconds = calendar.timegm(moment.timetuple())
    if zone != b"Z":
        sign = 1 if zone[:1] == b"+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds


def log_end(api: EngineClient, container: str, *, tty: bool = False) -> int | None:
    """Just after the last message of the container's log (engine time, UNIX ns; 0: an empty log); ``None``: the
    engine keeps no log to read back. For a container about to be started again: from there on, its log holds the
    new run's output, all of the earlier runs' being in it once they stopped."""
    try:
        stream = api.logs(container, follow=False, tail=1, timestamps=True, tty=tty)
    except APIError:
        return None
    try:
        cursor = LogCursor(0)
        lines = LogLines(cursor, 0, tty=stream.tty)
        for frame in stream:
            lines.feed(frame)
        lines.flush()
        return 0 if cursor.latest is None else cursor.latest + 1
    finally:
        stream.close()


def unix_ns(seconds: float) -> int:
    return int(seconds * 1_000_000_000)


#: How far apart in time two messages may be written to the log out of order: each stream's reader times its
#: message, then writes it; stdout's and stderr's readers race for the log (a few microseconds apart, more under
#: load). A read resumes this long before the latest time taken, so no message written later is left out.
_DISORDER_NS = 1_000_000_000


class LogCursor:
    """How far a container's output was delivered (see the module's docstring). Used by one thread.

    The log is in the order messages were written; their times are in that order within a stream, but not quite
    across stdout and stderr (see :data:`_DISORDER_NS`). So a read starts at the latest time taken less that
    margin (never below the floor), and skips the messages taken at or after that start: the engine returns the
    log's messages from that time on in the log's order, those taken before first.
    """

    __slots__ = ("_recent", "attached", "floor", "latest")

    def __init__(self, floor: int | None) -> None:
        #: The latest engine time (UNIX ns) of a message taken from the log; ``None`` before the first.
        self.latest: int | None = None
        #: The times of the messages taken lately (those within the margin of :attr:`latest`, and maybe a few more).
        self._recent: collections.deque[int] = collections.deque()
        #: The engine time from which the log holds this container's output as delivered since it was followed
        #: (0: the log's start); ``None``: unknown (the attach began in the middle of a run, and no read yet).
        self.floor = floor
        #: Lines (stdout, stderr) the attach delivered since :attr:`floor` and the log has not yet skipped.
        self.attached = [0, 0]

    def since(self) -> int | None:
        """Where the next read starts (engine time, UNIX ns; 0: the log's start); ``None``: unknown."""
        if self.latest is None:
            return self.floor
        return max(self.floor or 0, self.latest - _DISORDER_NS)

    def taken_since(self, since: int) -> int:
        """How many messages at or after *since* were taken: a read from *since* skips that many first."""
        return sum(1 for moment in self._recent if moment >= since)

    def take(self, moment: int) -> None:
        """Account for a new message of time *moment*."""
        recent = self._recent
        recent.append(moment)
        if self.latest is None or moment > self.latest:
            self.latest = moment
        threshold = self.latest - _DISORDER_NS - 1
        while recent[0] < threshold:
            recent.popleft()


class LogLines:
    """Turns one read of a timestamped log into lines: ``feed(frame)`` and, when the read ends, ``flush()``.

    Skips what the cursor says was delivered (messages taken by earlier reads; the attach's lines on the first read),
    strips the times, and joins the pieces of a long line (pieces share their time; a piece followed by a message
    of another time ended its line, as the last, unterminated, line of a run does). A fresh instance per read.
    """

    __slots__ = ("_cursor", "_pending", "_raw", "_skip", "_splitters", "_tty", "skipped")

    def __init__(self, cursor: LogCursor, since: int, *, tty: bool) -> None:
        self._cursor = cursor
        self._tty = tty
        #: Messages at the start of this read that an earlier read took (the read starts at *since*).
        self._skip = cursor.taken_since(since)
        self._splitters = (LineSplitter(), LineSplitter())
        #: Per stream: the time of a piece not ended by a newline (its line goes on in the next piece).
        self._pending: list[int | None] = [None, None]
        self._raw = b""  # a TTY log: bytes of a message not complete yet
        #: Messages this read skipped because an earlier read delivered them.
        self.skipped = 0

    def feed(self, frame: tuple[bytes | None, bytes | None]) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        if self._tty:
            self._raw += frame[0] or b""
            for message in self._tty_messages(final=False):
                self._message(0, message, out)
            return out
        for index, payload in enumerate(frame):
            if payload is not None:
                self._message(index, payload, out)
        return out

    def flush(self) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        if self._tty:
            for message in self._tty_messages(final=True):
                self._message(0, message, out)
        for index in range(2):
            self._end_line(index, out)
        return out

    def _tty_messages(self, *, final: bool) -> list[bytes]:
        """Complete messages at the start of a TTY log's bytes: up to a newline, or a whole piece."""
        messages: list[bytes] = []
        raw = self._raw
        start = 0
        while start < len(raw):
            space = raw.find(b" ", start, start + 64)
            if space < 0:
                break
            end = raw.find(b"\n", space + 1, space + 1 + _PIECE)
            if end >= 0:
                end += 1
            elif len(raw) - space - 1 >= _PIECE:
                end = space + 1 + _PIECE
            else:
                break
            messages.append(raw[start:end])
            start = end
        if final and start < len(raw):
            messages.append(raw[start:])
            start = len(raw)
        self._raw = raw[start:]
        return messages

    def _message(self, index: int, message: bytes, out: list[tuple[str, bool]]) -> None:
        stamp, _, content = message.partition(b" ")
        moment = engine_time_ns(stamp)
        if moment is None:
            return  # not a log message (the engine's own "Error grabbing logs"): nothing of the container's
        if self._skip:
            self._skip -= 1
            self.skipped += 1
            return
        self._cursor.take(moment)
        pending = self._pending[index]
        if pending is not None and pending != moment:
            self._end_line(index, out)  # the unterminated last line of a run, then the next run's output
        self._pending[index] = None if content.endswith(b"\n") else moment
        lines = self._splitters[index].feed(content)
        self._deliver(index, lines, out)

    def _end_line(self, index: int, out: list[tuple[str, bool]]) -> None:
        self._pending[index] = None
        self._deliver(index, self._splitters[index].flush(), out)

    def _deliver(self, index: int, lines: list[str], out: list[tuple[str, bool]]) -> None:
        attached = self._cursor.attached
        if attached[index]:  # the attach delivered these already
            dropped = min(attached[index], len(lines))
            attached[index] -= dropped
            lines = lines[dropped:]
        out.extend((line, index == 1) for line in lines)
