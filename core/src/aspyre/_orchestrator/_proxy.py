"""The endpoint proxy: a TCP listener per proxied endpoint, spreading connections over the running replicas.

As Aspire's orchestrator does, aspyre listens on an endpoint's public port itself and forwards each
connection to a port the workload listens on (its target port). The address stays while the workload
restarts (a connection that arrives meanwhile waits for it), and ``with_replicas(n)`` puts n processes
behind one port: connections go round-robin to the replicas that run; one that refuses is skipped.

Everything happens on the event loop: no thread, no hook; a task per connection, and the bytes moved by
:func:`._relay.relay` (selector callbacks on asyncio: no per-chunk task switch) with no per-byte Python work beyond
one receive and one send per chunk.
"""

from __future__ import annotations

import errno
import logging
import os
import socket

import anyio
import anyio.abc

from ._relay import relay

__all__ = ["EndpointProxy", "bind_listener"]

log = logging.getLogger("aspyre.proxy")

#: How long a new connection waits for a replica to accept it before it is closed.
CONNECT_TIMEOUT = 10.0
#: The pause between rounds over the replicas while none accepts.
RETRY_DELAY = 0.05


def bind_listener(host: str, port: int, what: str) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free one); :class:`OSError` says which endpoint."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise OSError(exc.errno, f"{what}: cannot listen on {host}:{port} ({reason})") from None
    return sock


async def _connect(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        code = sock.connect_ex((host, port))
        if code == errno.EINPROGRESS:
            await anyio.wait_writable(sock)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            raise OSError(code, os.strerror(code))
    except BaseException:
        sock.close()
        raise
    return sock


class EndpointProxy:
    """Forwards connections accepted on one listening socket to the current backends, round-robin."""

    def __init__(self, listener: socket.socket, what: str) -> None:
        self._socket = listener
        #: ``resource/endpoint``, for messages.
        self.what = what
        self._backends: list[tuple[str, int]] = []
        self._next = 0
        self._changed = anyio.Event()
        self._scope: anyio.CancelScope | None = None
        self.closed = False

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        return int(self._socket.getsockname()[1])

    @property
    def backends(self) -> tuple[tuple[str, int], ...]:
        """Where connections go now."""
        return tuple(self._backends)

    def add_backend(self, host: str, port: int) -> None:
        """Send connections to ``host:port`` too (a replica started)."""
        if (host, port) not in self._backends:
            self._backends.append((host, port))
            self._changed.set()
            self._changed = anyio.Event()

    def remove_backend(self, host: str, port: int) -> None:
        """Stop sending connections to ``host:port`` (a replica stopped); open connections stay."""
        if (host, port) in self._backends:
            self._backends.remove((host, port))

    async def serve(self) -> None:
        """Accept connections until :meth:`close` (run it in a task)."""
        listener = self._socket
        try:
            async with anyio.create_task_group() as tg:
                self._scope = tg.cancel_scope
                if self.closed:
                    tg.cancel_scope.cancel()
                while True:
                    try:
                        client, _ = listener.accept()
                    except BlockingIOError:
                        await anyio.wait_readable(listener)
                        continue
                    except OSError as exc:  # out of file descriptors...: keep serving
                        log.warning("%s: accepting a connection failed: %s", self.what, exc)
                        await anyio.sleep(RETRY_DELAY)
                        continue
                    tg.start_soon(self._handle, client)
        finally:
            listener.close()

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self.closed = True
        if self._scope is not None:
            self._scope.cancel()
        else:
            self._socket.close()

    async def _connect(self) -> socket.socket | None:
        """A connection to the next backend that accepts, waiting up to :data:`CONNECT_TIMEOUT` for one."""
        with anyio.move_on_after(CONNECT_TIMEOUT):
            while True:
                for _ in range(len(self._backends)):
                    if not self._backends:
                        break
                    host, port = self._backends[self._next % len(self._backends)]
                    self._next += 1
                    try:
                        return await _connect(host, port)
                    except OSError:
                        continue
                if self._backends:
                    await anyio.sleep(RETRY_DELAY)
                else:
                    await self._changed.wait()
        return None

    async def _handle(self, client: socket.socket) -> None:
        with client:
            client.setblocking(False)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream = await self._connect()
            if upstream is None:
                log.debug("%s: no replica accepted a connection within %g s", self.what, CONNECT_TIMEOUT)
                return
            with upstream:
                await relay(client, upstream)
