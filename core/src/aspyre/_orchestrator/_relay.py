"""Moving bytes both ways between two connected sockets, for the endpoint proxy (:mod:`._proxy`).

:func:`relay` copies each direction until its end of stream, then half-closes the other side (the other way may go
on); a broken connection (reset, refused write...) ends both ways. It returns when both ways are done; cancelling it
stops both. The caller owns (and closes) the sockets.

Two ways to do it, the same behaviour:

* on an asyncio selector loop (how the app host runs): callbacks registered with the loop (``add_reader`` /
  ``add_writer``) ``recv_into`` a large buffer and ``send`` from it, so a chunk costs no task switch, future or
  selector (re)registration: a registration changes only when a side cannot take more bytes (flow control) or a
  direction ends. Buffers come from a small pool per thread: an idle connection holds none.
* anywhere else (trio, asyncio's proactor loop): a task per direction, waiting with anyio.

Why copy rather than ``splice(2)``: measured on loopback (``bench/bench_proxy.py``), splicing saves the proxy's own
copies but hands the kernel page-sized fragments that the receiving side then reads far more slowly; the whole
machine spent 20-40 % more CPU per byte than with two copies through a 1 MiB buffer.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import anyio
import sniffio

__all__ = ["CHUNK", "relay"]

#: The most bytes moved per receive (the size of each pooled buffer).
CHUNK = 1024 * 1024
#: The most buffers a thread keeps for reuse.
POOL = 4
#: The most bytes per ``recv`` on the task-based path (each allocates a buffer that large).
_RECV_SIZE = 256 * 1024


class _Pool(threading.local):
    def __init__(self) -> None:
        self.free: list[bytearray] = []


_pool = _Pool()


async def relay(a: socket.socket, b: socket.socket) -> None:
    """Copy ``a`` to ``b`` and ``b`` to ``a`` (non-blocking sockets) until both ways ended or one broke."""
    loop = _selector_loop()
    if loop is not None:
        await _Relay(loop, a, b).run()
    else:
        await _relay_tasks(a, b)


def _selector_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop where it takes selector callbacks (``add_reader``), else None."""
    if sniffio.current_async_library() == "asyncio":
        loop = asyncio.get_running_loop()
        if isinstance(loop, asyncio.SelectorEventLoop):
            return loop
    return None


class _Relay:
    """Both directions of one connection as selector callbacks; :meth:`run` waits for the end."""

    __slots__ = ("done", "loop", "open", "ways")

    def __init__(self, loop: asyncio.AbstractEventLoop, a: socket.socket, b: socket.socket) -> None:
        self.loop = loop
        self.done: asyncio.Future[None] = loop.create_future()
        self.open = 2
        self.ways = (_Way(self, a, b), _Way(self, b, a))

    async def run(self) -> None:
        try:
            for way in self.ways:
                way.start()
            # what the client sent along with its connection is usually there already: no need to wait for it
            self.ways[0].readable()
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
    """One direction: ``recv_into`` a buffer from ``source``, ``send`` it to ``sink``.

    Waits for ``source`` to be readable while nothing is pending, for ``sink`` to be writable while bytes are (and
    then holds the buffer). The selector is level-triggered: a read that left bytes in the socket is called again.
    """

    __slots__ = ("buffer", "dst", "end", "loop", "relay", "sent", "sink", "source", "src", "stopped")

    def __init__(self, owner: _Relay, source: socket.socket, sink: socket.socket) -> None:
        self.relay = owner
        self.loop = owner.loop
        self.source = source
        self.sink = sink
        self.src = source.fileno()
        self.dst = sink.fileno()
        #: The buffer holding bytes not sent yet (only then), ``buffer[sent:end]``.
        self.buffer: bytearray | None = None
        self.sent = 0
        self.end = 0
        self.stopped = False

    def start(self) -> None:
        self.loop.add_reader(self.src, self.readable)

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.loop.remove_reader(self.src)
            self.loop.remove_writer(self.dst)
            self._release()

    def _release(self) -> None:
        if self.buffer is not None:
            if len(_pool.free) < POOL:
                _pool.free.append(self.buffer)
            self.buffer = None

    def readable(self) -> None:
        """``source`` has bytes (or its end): move them on while they come in whole buffers."""
        if self.stopped:
            return
        free = _pool.free
        buffer = free.pop() if free else bytearray(CHUNK)
        try:
            while True:
                try:
                    n = self.source.recv_into(buffer)
                except BlockingIOError:
                    break
                if n == 0:  # the end (nothing is pending: a read only follows a complete send)
                    self.stop()
                    self.sink.shutdown(socket.SHUT_WR)
                    self.relay.ended()
                    break
                sent = self._send(buffer, 0, n)
                if sent < n:  # the sink is full: hold the rest and wait until it takes more
                    self.buffer, self.sent, self.end = buffer, sent, n
                    self.loop.remove_reader(self.src)
                    self.loop.add_writer(self.dst, self.writable)
                    return
                if n < CHUNK:  # the socket is most likely empty: wait rather than ask again
                    break
        except OSError:
            self.relay.broke()
        if len(free) < POOL:
            free.append(buffer)

    def writable(self) -> None:
        """``sink`` takes bytes again: send what is pending, then read on."""
        if self.stopped or self.buffer is None:
            return
        try:
            self.sent = self._send(self.buffer, self.sent, self.end)
        except OSError:
            self.relay.broke()
            return
        if self.sent == self.end:
            self._release()
            self.loop.remove_writer(self.dst)
            self.loop.add_reader(self.src, self.readable)

    def _send(self, buffer: bytearray, start: int, end: int) -> int:
        """Send ``buffer[start:end]`` as far as ``sink`` takes it; where it stopped."""
        with memoryview(buffer) as view:
            while start < end:
                try:
                    start += self.sink.send(view[start:end])
                except BlockingIOError:
                    break
        return start


async def _relay_tasks(a: socket.socket, b: socket.socket) -> None:
    async with anyio.create_task_group() as tg:
        tg.start_soon(_pump, a, b, tg.cancel_scope)
        tg.start_soon(_pump, b, a, tg.cancel_scope)


async def _pump(source: socket.socket, sink: socket.socket, done: anyio.CancelScope) -> None:
    """Copy ``source`` to ``sink`` until end of stream, then half-close ``sink``; a broken connection ends both."""
    try:
        while True:
            try:
                data = source.recv(_RECV_SIZE)
            except BlockingIOError:
                await anyio.wait_readable(source)
                continue
            if not data:
                break
            view = memoryview(data)
            while view:
                try:
                    view = view[sink.send(view) :]
                except BlockingIOError:
                    await anyio.wait_writable(sink)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        done.cancel()
