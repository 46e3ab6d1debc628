"""Forwarders in front of the Docker engine's socket that a test starts and controls: a unix socket, loopback TCP,
or loopback TCP with TLS. :attr:`Forwarder.sent` keeps what clients sent (their requests). :meth:`Forwarder.lose` drops every connection and refuses new ones (the engine going
away); :meth:`Forwarder.drop_connections` only drops the open ones. The shared dockerd is never touched."""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

ENGINE_SOCKET = "/var/run/docker.sock"


class Forwarder:
    """``kind``: ``unix`` (listens on *path*), ``tcp`` or ``tls`` (on 127.0.0.1, a free port; ``tls`` with
    *tls_context*, a server-side :class:`ssl.SSLContext`)."""

    def __init__(self, kind: str, *, path: Path | None = None, tls_context: ssl.SSLContext | None = None) -> None:
        self.kind = kind
        self.path = path
        self.port = 0
        self._tls = tls_context
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[Any, socket.socket]] = []
        #: Connections accepted and forwarded so far.
        self.accepted = 0
        #: Every byte the clients sent, connection after connection (HTTP requests and what follows them).
        self.sent = bytearray()

    @property
    def address(self) -> str:
        return f"unix://{self.path}" if self.kind == "unix" else f"tcp://127.0.0.1:{self.port}"

    def __enter__(self) -> Forwarder:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lose()

    def restore(self) -> None:
        if self.kind == "unix":
            assert self.path is not None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(self.path))
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            self.port = listener.getsockname()[1]
        listener.listen(64)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="forwarder-accept", daemon=True).start()

    def drop_connections(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()

    def lose(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self.drop_connections()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self._tls is not None:
                try:
                    client.settimeout(10)
                    client = self._tls.wrap_socket(client, server_side=True)
                    client.settimeout(None)
                except (OSError, ssl.SSLError):
                    client.close()
                    continue
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(ENGINE_SOCKET)
            except OSError:
                client.close()
                upstream.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._pairs.append((client, upstream))
                self.accepted += 1
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _record(self, data: bytes) -> None:
        with self._lock:
            self.sent += data

    def requests(self) -> list[str]:
        """The request lines clients sent so far (``POST /v1.45/containers/.../start HTTP/1.1``), in order."""
        with self._lock:
            sent = bytes(self.sent)
        return [line.decode("latin-1") for line in sent.split(b"\r\n") if line.endswith(b" HTTP/1.1")]

    def _pipe(self, a: Any, b: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        try:
            selector.register(a, selectors.EVENT_READ, b)
            selector.register(b, selectors.EVENT_READ, a)
            while True:
                for key, _ in selector.select(timeout=0.5):
                    source: Any = key.fileobj
                    data = source.recv(65536)
                    if not data:
                        return
                    if source is a:
                        self._record(data)
                    key.data.sendall(data)
                # TLS: bytes already decrypted sit in the SSL object, invisible to select()
                while isinstance(a, ssl.SSLSocket) and a.pending():
                    data = a.recv(65536)
                    self._record(data)
                    b.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()
            with self._lock:
                self._pairs = [p for p in self._pairs if p != (a, b)]
