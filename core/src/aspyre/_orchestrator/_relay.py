"""Moving bytes both ways between two connected sockets, for the endpoint proxy (:mod:`._proxy`).

:func:`relay` copies each direction until its end of stream, then half-closes the other side (the other way may go
on); a broken connection (reset, refused write...) ends both ways. It returns when both ways are done; cancelling it
stops both. The caller owns (and closes) the sockets.

Two ways to do it, the same behaviour:

* on an asyncio loop on Linux (how the app host runs): callbacks registered with the loop's selector
  (``add_reader``/``add_writer``) call ``splice(2)`` through a pipe per direction, so the bytes never enter Python
  and a chunk costs no task switch, future or (re)registration: a registration changes only when a side cannot take
  more bytes (flow control) or a direction ends;
* anywhere else (trio, other platforms): a task per direction waiting with anyio, copying with ``splice(2)`` where
  there is one, else ``recv``/``send``.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
import sys
from collections.abc import Callable

import anyio
import sniffio

__all__ = ["CHUNK", "relay"]

#: The most bytes moved per ``splice``/``recv`` (and the size asked of each direction's pipe).
CHUNK = 1024 * 1024

#: The most bytes per ``recv`` where there is no ``splice`` (each allocates a buffer that large).
_RECV_SIZE = 256 * 1024

_SPLICE = getattr(os, "splice", None)
_SPLICE_FLAGS = getattr(os, "SPLICE_F_MOVE", 0) | getattr(os, "SPLICE_F_NONBLOCK", 0)
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", None)


def _pipe() -> tuple[int, int]:
    """A non-blocking pipe, as large as allowed up to :data:`CHUNK` (a smaller one only costs more calls)."""
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    if _F_SETPIPE_SZ is not None:
        size = CHUNK
        while size >= 64 * 1024:
            try:
                fcntl.fcntl(w, _F_SETPIPE_SZ, size)
                break
            except OSError:  # above /proc/sys/fs/pipe-max-size or the user's pipe quota
                size //= 4
    return r, w


async def relay(a: socket.socket, b: socket.socket) -> None:
    """Copy ``a`` to ``b`` and ``b`` to ``a`` (non-blocking sockets) until both ways ended or one broke."""
    if _SPLICE is not None and sys.platform == "linux" and sniffio.current_async_library() == "asyncio":
        loop = asyncio.get_running_loop()
        if not isinstance(loop, asyncio.SelectorEventLoop):  # uvloop and others: add_reader may differ
            return await _relay_tasks(a, b)
        await _Relay(loop, a, b).run()
    else:
        await _relay_tasks(a, b)


class _Relay:
    """Both directions of one connection as selector callbacks; :meth:`run` waits for the end."""

    def __init__(self, loop: asyncio.AbstractEventLoop, a: socket.socket, b: socket.socket) -> None:
        self.loop = loop
        self.done: asyncio.Future[None] = loop.create_future()
        self.open = 2
        self.ways = (_Way(self, a, b), _Way(self, b, a))

    async def run(self) -> None:
        try:
            for way in self.ways:
                way.start()
            if not self.done.done():
                await self.done
        finally:
            for way in self.ways:
                way.stop()

    def ended(self) -> None:
        """One direction reached its end of stream (and half-closed its sink)."""
        self.open -= 1
        if not self.open and not self.done.done():
            self.done.set_result(None)

    def broke(self) -> None:
        """A connection broke: both ways end."""
        if not self.done.done():
            self.done.set_result(None)


class _Way:
    """One direction: ``splice`` from ``source`` into a pipe, from the pipe into ``sink``.

    Waits for ``source`` to be readable while the pipe is empty, for ``sink`` to be writable while it is not; the
    selector is level-triggered, so a read that left bytes in the socket is simply called again.
    """

    __slots__ = ("_on_readable", "_on_writable", "dst", "loop", "pending", "pipe", "relay", "sink", "src")

    def __init__(self, owner: _Relay, source: socket.socket, sink: socket.socket) -> None:
        self.relay = owner
        self.loop = owner.loop
        self.sink = sink
        self.src = source.fileno()
        self.dst = sink.fileno()
        self.pipe: tuple[int, int] | None = None
        self.pending = 0
        self._on_readable: Callable[[], None] = self.readable
        self._on_writable: Callable[[], None] = self.writable

    def start(self) -> None:
        self.pipe = _pipe()
        self.loop.add_reader(self.src, self._on_readable)

    def stop(self) -> None:
        self.loop.remove_reader(self.src)
        self.loop.remove_writer(self.dst)
        if self.pipe is not None:
            os.close(self.pipe[0])
            os.close(self.pipe[1])
            self.pipe = None

    def readable(self) -> None:
        """``source`` has bytes (or its end): move them on while they come in whole chunks."""
        assert _SPLICE is not None and self.pipe is not None
        w = self.pipe[1]
        try:
            while True:
                try:
                    n = _SPLICE(self.src, w, CHUNK, flags=_SPLICE_FLAGS)
                except BlockingIOError:
                    return
                if n == 0:  # the end (the pipe is empty: a read only follows a complete flush)
                    self.stop()
                    self.sink.shutdown(socket.SHUT_WR)
                    self.relay.ended()
                    return
                self.pending = n
                if not self.flush():
                    self.loop.remove_reader(self.src)
                    self.loop.add_writer(self.dst, self._on_writable)
                    return
                if n < CHUNK:  # the socket is most likely empty: wait rather than ask again
                    return
        except OSError:
            self.relay.broke()

    def writable(self) -> None:
        """``sink`` takes bytes again: flush the pipe, then read on."""
        try:
            if self.flush():
                self.loop.remove_writer(self.dst)
                self.loop.add_reader(self.src, self._on_readable)
        except OSError:
            self.relay.broke()

    def flush(self) -> bool:
        """Move the pipe's bytes into ``sink``; False when it cannot take them all now."""
        assert _SPLICE is not None and self.pipe is not None
        r = self.pipe[0]
        while self.pending:
            try:
                self.pending -= _SPLICE(r, self.dst, self.pending, flags=_SPLICE_FLAGS)
            except BlockingIOError:
                return False
        return True


async def _relay_tasks(a: socket.socket, b: socket.socket) -> None:
    async with anyio.create_task_group() as tg:
        tg.start_soon(_pump, a, b, tg.cancel_scope)
        tg.start_soon(_pump, b, a, tg.cancel_scope)


async def _pump(source: socket.socket, sink: socket.socket, done: anyio.CancelScope) -> None:
    """Copy ``source`` to ``sink`` until end of stream, then half-close ``sink``; a broken connection ends both."""
    try:
        await (_copy_spliced if _SPLICE is not None else _copy)(source, sink)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        done.cancel()


async def _copy_spliced(source: socket.socket, sink: socket.socket) -> None:
    """Copy with ``splice(2)`` through a pipe, waiting with anyio."""
    assert _SPLICE is not None
    r, w = _pipe()
    try:
        src, dst = source.fileno(), sink.fileno()
        while True:
            try:
                n = _SPLICE(src, w, CHUNK, flags=_SPLICE_FLAGS)
            except BlockingIOError:
                await anyio.wait_readable(source)
                continue
            if n == 0:
                return
            while n:
                try:
                    n -= _SPLICE(r, dst, n, flags=_SPLICE_FLAGS)
                except BlockingIOError:
                    await anyio.wait_writable(sink)
    finally:
        os.close(r)
        os.close(w)


async def _copy(source: socket.socket, sink: socket.socket) -> None:
    """Copy with ``recv``/``send`` (where there is no ``splice``)."""
    while True:
        try:
            data = source.recv(_RECV_SIZE)
        except BlockingIOError:
            await anyio.wait_readable(source)
            continue
        if not data:
            return
        view = memoryview(data)
        while view:
            try:
                view = view[sink.send(view) :]
            except BlockingIOError:
                await anyio.wait_writable(sink)

