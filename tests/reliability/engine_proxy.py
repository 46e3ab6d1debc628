"""A unix-socket proxy in front of the Docker engine that a test can cut and restore.

``DOCKER_HOST=unix://<proxy.path>`` points an app host at it. :meth:`EngineProxy.lose` is the engine
going away (every connection dropped, new ones refused); :meth:`EngineProxy.restore` is it coming back.
*latency* (seconds) holds every chunk a client sends for that long before it reaches the engine: a remote
engine's round trip (ssh, tcp), so that polling the engine is as slow as it is there. The shared dockerd itself
is never touched.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

ENGINE_SOCKET = "/var/run/docker.sock"


class EngineProxy:
    def __init__(self, path: Path, engine: str = ENGINE_SOCKET, *, latency: float = 0.0) -> None:
        self.path = path
        self.latency = latency
        self.engine = engine
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._stop = threading.Event()
        #: Connections accepted so far (a reconnecting client shows up here).
        self.accepted = 0
        #: The request lines clients sent (``GET /v1.41/containers/.../logs?... HTTP/1.1``), in order.
        self.requests: list[str] = []
        #: Answers some requests in the engine's place: called with each chunk a client sends (a request without a
        #: body comes in one); bytes it returns go back to the client instead of the chunk going to the engine.
        self.answer: Callable[[bytes], bytes | None] | None = None

    @property
    def docker_host(self) -> str:
        return f"unix://{self.path}"

    def __enter__(self) -> EngineProxy:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.lose()

    # -- control
    def restore(self) -> None:
        """Accept connections again (the engine is back)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        listener.listen(64)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="engine-proxy-accept", daemon=True).start()

    def lose(self) -> None:
        """Drop every connection and refuse new ones (the engine went away)."""
        with self._lock:
            listener, self._listener = self._listener, None
            pairs, self._pairs = self._pairs, []
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
        # The file stays: connecting to it is refused (ECONNREFUSED), as with a stopped engine.

    def _record(self, data: bytes) -> None:
        lines = [x.decode("latin-1") for x in data.split(b"\r\n") if x.endswith(b" HTTP/1.1")]
        with self._lock:
            self.requests.extend(lines)

    # -- the threads
    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # lost (the listener was closed)
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.engine)
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
            threading.Thread(target=self._pipe, args=(client, upstream), name="engine-proxy-pipe", daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        try:
            sel.register(a, selectors.EVENT_READ, b)
            sel.register(b, selectors.EVENT_READ, a)
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.5):
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = src.recv(65536)
                    if not data:
                        return
                    if src is a:
                        self._record(data)
                        reply = self.answer(data) if self.answer is not None else None
                        if reply is not None:
                            a.sendall(reply)
                            continue
                        if self.latency:
                            time.sleep(self.latency)  # client to engine: the way there of a remote engine's round trip
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            sel.close()
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self._lock:
                self._pairs = [p for p in self._pairs if p != (a, b)]
