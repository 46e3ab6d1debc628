"""Output of processes and containers, cut into lines by one rule."""

from __future__ import annotations

import codecs

__all__ = ["MAX_LINE", "LineSplitter"]

#: The longest output line, in characters: a longer one (output written without newlines) is cut into
#: pieces of this length. The same limit for processes and containers.
MAX_LINE = 64 * 1024


class LineSplitter:
    """Turns one output stream's bytes into lines.

    UTF-8 is decoded incrementally (a character split across reads stays whole; invalid bytes become
    U+FFFD), lines end at ``\\n`` with a trailing ``\\r`` removed, and a line longer than
    :data:`MAX_LINE` is cut into pieces. :meth:`feed` returns the complete lines of a chunk;
    :meth:`flush` returns the unterminated rest at the end of the stream.
    """

    __slots__ = ("_decoder", "_max", "_pending")

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        self._max = max_line

    def feed(self, chunk: bytes) -> list[str]:
        """The lines completed by *chunk* (possibly none)."""
        *lines, rest = (self._pending + self._decoder.decode(chunk)).split("\n")
        out: list[str] = []
        for line in lines:
            line = line.removesuffix("\r")
            while len(line) > self._max:
                out.append(line[: self._max])
                line = line[self._max :]
            out.append(line)
        while len(rest) > self._max:
            out.append(rest[: self._max])
            rest = rest[self._max :]
        self._pending = rest
        return out

    def flush(self) -> list[str]:
        """The last, unterminated line (if any) once the stream ended."""
        rest = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return [rest.removesuffix("\r")] if rest else []
