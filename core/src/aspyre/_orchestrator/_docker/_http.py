"""HTTP/1.1 to the engine, by hand: just what the Engine API needs.

Sockets to a ``unix://`` path, to ``tcp://`` plain or TLS (stdlib :mod:`ssl`, imported only then), or through
``ssh`` running ``docker system dial-stdio`` on the remote machine (as the docker CLI does). Requests carry a
``Content-Length`` body or none; responses are read by ``Content-Length``, chunked, or until the connection
closes (a hijacked attach). A connection whose answer was read to its end goes back to a small pool of idle
connections (keep-alive); a request on a pooled connection that the engine closed meanwhile is sent again once
on a new one. Every socket problem becomes :class:`._errors.EngineUnreachable`.

Blocking: one connection is used by one thread at a time; a streamed response can be closed from another
thread (the socket is shut down, which wakes a blocked read).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ._address import EngineAddress
from ._errors import EngineUnreachable

__all__ = ["Connection", "Pool", "Response", "open_socket"]

#: Bytes asked of the socket per read.
_READ_SIZE = 65536
#: Idle connections kept per pool.
_MAX_IDLE = 16
#: The longest header section accepted.
_MAX_HEAD = 1 << 20


class _Dropped(Exception):
    """The peer closed the connection (or it broke) before a complete answer."""


def open_socket(address: EngineAddress, timeout: float, tls_context: Any = None) -> socket.socket:
    """A connected socket to the engine (*timeout*: for connecting). Raises :class:`EngineUnreachable`."""
    try:
        if address.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(address.path)
            except BaseException:
                sock.close()
                raise
            return sock
        if address.scheme == "ssh":
            return _ssh_socket(address)
        sock = socket.create_connection((address.host, address.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls_context is not None:
            try:
                sock = tls_context.wrap_socket(sock, server_hostname=address.host)
            except BaseException:
                sock.close()
                raise
        return sock
    except OSError as exc:
        raise unreachable(exc, connecting=True) from exc


def unreachable(exc: BaseException, *, connecting: bool = False) -> EngineUnreachable:
    """The :class:`EngineUnreachable` for a socket error."""
    if isinstance(exc, FileNotFoundError):
        problem = "missing"
    elif isinstance(exc, ConnectionRefusedError):
        problem = "refused"
    elif isinstance(exc, PermissionError):
        problem = "permission"
    elif isinstance(exc, TimeoutError | socket.timeout):
        problem = "timeout"
    elif connecting:
        problem = "unreachable"
    else:
        problem = "dropped"
    text = str(exc) or type(exc).__name__
    what = "connecting" if connecting else "talking to the engine"
    return EngineUnreachable(f"{type(exc).__name__} {what}: {text}", problem=problem)


def _ssh_socket(address: EngineAddress) -> socket.socket:
    """A socket whose other end is ``ssh ... docker system dial-stdio`` (the remote engine's socket)."""
    import subprocess

    ours, theirs = socket.socketpair()
    command = ["ssh", "-o", "ConnectTimeout=30", "-p", str(address.port)]
    if address.user:
        command += ["-l", address.user]
    command += ["--", address.host, "docker", "system", "dial-stdio"]
    try:
        process = subprocess.Popen(command, stdin=theirs.fileno(), stdout=theirs.fileno(), start_new_session=True)
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    _SSH_PROCESSES[ours.fileno()] = process
    return ours


#: ``ssh`` processes behind sockets, by file descriptor (ended when the socket is closed).
_SSH_PROCESSES: dict[int, Any] = {}


def _close_socket(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    process = _SSH_PROCESSES.pop(sock.fileno(), None) if sock.fileno() >= 0 else None
    sock.close()
    if process is not None:
        with contextlib.suppress(OSError):
            process.terminate()
        with contextlib.suppress(Exception):
            process.wait(timeout=5)


class Connection:
    """One socket to the engine, with what was read past the current answer."""

    __slots__ = ("_buf", "closed", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = bytearray()
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            _close_socket(self.sock)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        """Read more from the socket into the buffer; False at the end of the stream."""
        try:
            data = self.sock.recv(_READ_SIZE)
        except OSError:
            if self.closed:
                return False  # closed under us (a stream closed from another thread)
            raise
        if not data:
            return False
        self._buf += data
        return True

    def read_head(self) -> bytes:
        """The status line and headers, up to the blank line (raises :class:`_Dropped` at an early end)."""
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self._buf[:end])
                del self._buf[: end + 4]
                return head
            if len(self._buf) > _MAX_HEAD:
                raise EngineUnreachable("the engine's answer has no end to its headers", problem="dropped")
            if not self._fill():
                raise _Dropped

    def read_line(self) -> bytes:
        while True:
            end = self._buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[: end + 2]
                return line
            if not self._fill():
                raise _Dropped

    def read_some(self, limit: int) -> bytes:
        """Up to *limit* bytes (at least one), ``b""`` at the end of the stream."""
        if not self._buf and not self._fill():
            return b""
        data = bytes(self._buf[:limit])
        del self._buf[:limit]
        return data

    def read_exact(self, size: int) -> bytes:
        while len(self._buf) < size:
            if not self._fill():
                raise _Dropped
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data


class Pool:
    """Idle connections to one engine, shared by the threads of one client."""

    def __init__(self, opener: Callable[[], socket.socket]) -> None:
        self._opener = opener
        self._idle: list[Connection] = []
        self._lock = threading.Lock()
        self.closed = False

    def acquire(self, *, fresh: bool = False) -> tuple[Connection, bool]:
        """A connection, and whether it was used before (the engine may still have closed it meanwhile).

        Idle connections the engine closed (readable while idle: the end of the stream) are dropped on the way.
        *fresh*: a new connection, whatever is idle.
        """
        while not fresh:
            with self._lock:
                if not self._idle:
                    break
                conn = self._idle.pop()
            if _idle_alive(conn):
                return conn, True
            conn.close()
        return Connection(self._opener()), False

    def clear(self) -> None:
        """Close the idle connections (after one turned out dead: the others went with it, most likely)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def release(self, conn: Connection) -> None:
        with self._lock:
            if not self.closed and not conn.closed and len(self._idle) < _MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        self.closed = True
        self.clear()


def _idle_alive(conn: Connection) -> bool:
    """Whether an idle connection is still open: nothing to read (the engine sends nothing unasked)."""
    if conn._buf:
        return False
    try:
        poller = select.poll()
        poller.register(conn.sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class Response:
    """One answer: status, headers (lower-case names), and its body, read whole or streamed."""

    def __init__(
        self, conn: Connection, pool: Pool | None, status: int, reason: str, headers: dict[str, str], method: str
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self._conn: Connection | None = conn
        self._pool = pool
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self._remaining: int | None = None  # bytes left of a Content-Length body
        self._chunk_left = 0
        self._reusable = headers.get("connection", "").lower() != "close"
        self.done = False
        if method == "HEAD" or status in (204, 304) or (100 <= status < 200 and status != 101):
            self._remaining = 0
        elif not self._chunked and "content-length" in headers:
            self._remaining = int(headers["content-length"])
        elif not self._chunked:
            self._reusable = False  # read until the engine closes (a hijacked stream)
        if self._remaining == 0:
            self._finish()

    def _finish(self) -> None:
        self.done = True
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._reusable and self._pool is not None:
            self._pool.release(conn)
        else:
            conn.close()

    def read_some(self, limit: int = _READ_SIZE) -> bytes:
        """Up to *limit* bytes of the body (at least one), ``b""`` once it has ended."""
        conn = self._conn
        if self.done or conn is None:
            return b""
        try:
            if self._chunked:
                if self._chunk_left == 0:
                    size = int(conn.read_line().split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while conn.read_line():  # trailers
                            pass
                        self._finish()
                        return b""
                    self._chunk_left = size
                data = conn.read_some(min(limit, self._chunk_left))
                if not data:
                    raise _Dropped
                self._chunk_left -= len(data)
                if self._chunk_left == 0:
                    conn.read_line()  # the CRLF after the chunk
                return data
            if self._remaining is not None:
                data = conn.read_some(min(limit, self._remaining))
                if not data:
                    raise _Dropped
                self._remaining -= len(data)
                if self._remaining == 0:
                    self._finish()
                return data
            data = conn.read_some(limit)
            if not data:
                self._finish()
            return data
        except (_Dropped, OSError) as exc:
            closed_here = conn.closed  # by close(), from another thread: the end, not a problem
            self.close()
            if closed_here:
                return b""
            if isinstance(exc, _Dropped):
                raise EngineUnreachable(
                    "the engine closed the connection in the middle of an answer", problem="dropped"
                ) from None
            raise unreachable(exc) from exc

    def read_exact(self, size: int) -> bytes | None:
        """Exactly *size* bytes of the body; ``None`` when it ends first (what was read is dropped)."""
        parts: list[bytes] = []
        left = size
        while left:
            data = self.read_some(left)
            if not data:
                return None
            parts.append(data)
            left -= len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read(self) -> bytes:
        """The whole body (the connection then goes back to the pool)."""
        parts: list[bytes] = []
        while True:
            data = self.read_some()
            if not data:
                return b"".join(parts)
            parts.append(data)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            data = self.read_some()
            if not data:
                return
            yield data

    def close(self) -> None:
        """Stop reading (from any thread): an answer not read to its end closes its connection."""
        conn, self._conn = self._conn, None
        self.done = True
        if conn is not None:
            conn.close()


def parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not code.isdigit():
        raise EngineUnreachable(f"the engine's answer is not HTTP: {lines[0][:80]!r}", problem="dropped")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if version == "HTTP/1.0" and headers.get("connection", "").lower() != "keep-alive":
        headers["connection"] = "close"
    return int(code), reason, headers


def exchange(
    pool: Pool, method: str, request: bytes, *, timeout: float | None, stream_timeout: float | None = None
) -> Response:
    """Send *request* (head and body, encoded) on a pooled connection and read the answer's head.

    A connection from the pool that turns out closed (nothing of an answer came) is replaced once by a new one.
    *stream_timeout*: the read timeout once the head is in (``None``: wait for ever, for followed streams).
    """
    for attempt in (0, 1):
        conn, reused = pool.acquire(fresh=attempt > 0)
        try:
            conn.sock.settimeout(timeout)
            conn.send(request)
            status, reason, headers = parse_head(conn.read_head())
        except (_Dropped, BrokenPipeError, ConnectionResetError) as exc:
            conn.close()
            if reused and attempt == 0:
                pool.clear()
                continue
            if isinstance(exc, _Dropped):
                raise EngineUnreachable(
                    "the engine closed the connection without an answer", problem="dropped"
                ) from None
            raise unreachable(exc) from exc
        except OSError as exc:
            conn.close()
            raise unreachable(exc) from exc
        except BaseException:
            conn.close()
            raise
        if stream_timeout != timeout:
            conn.sock.settimeout(stream_timeout)
        return Response(conn, pool, status, reason, headers, method)
    raise AssertionError("unreachable")  # pragma: no cover
