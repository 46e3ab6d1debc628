"""aspyre's own Docker Engine API client: the calls the run path makes, on :mod:`._http`.

Synchronous and small (stdlib only: it imports in a few milliseconds, where the docker SDK takes ~150 ms): every
call blocks, so the runtime makes them through :meth:`._engine.DockerEngine.call`, in worker threads. Method
names and arguments follow the docker SDK's low-level ``APIClient`` where it has the same call. Errors are
:class:`._errors.APIError` (with the engine's message; :class:`._errors.NotFound`, :class:`._errors.ImageNotFound`,
:class:`._errors.Conflict`) and :class:`._errors.EngineUnreachable`.

The API version is the lower of the engine's (``/_ping``'s ``API-Version``) and :data:`API_VERSION`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from ._address import EngineAddress
from ._errors import EngineUnreachable, api_error
from ._http import Pool, Response, exchange, open_socket

__all__ = ["API_VERSION", "EngineClient", "OutputStream"]

#: The newest Engine API version this client speaks (the docker SDK 7's default).
API_VERSION = "1.45"
#: The oldest engine API version it accepts.
_MIN_VERSION = "1.24"


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def _filters(filters: Mapping[str, Any] | None) -> str | None:
    if not filters:
        return None
    return json.dumps({k: v if isinstance(v, list) else [v] for k, v in filters.items()})


class OutputStream:
    """A container's output as ``(stdout, stderr)`` pairs of bytes, one of them ``None``, as the engine sends
    them: 8-byte headed frames, or raw bytes for a container with a TTY (all stdout). Closable from any thread."""

    def __init__(self, response: Response, *, tty: bool) -> None:
        self._response = response
        #: Whether the output is raw (a container with a TTY).
        self.tty = tty

    def __iter__(self) -> Iterator[tuple[bytes | None, bytes | None]]:
        response = self._response
        if self.tty:
            for data in response:
                yield (data, None)
            return
        while True:
            header = response.read_exact(8)
            if header is None:
                return
            size = int.from_bytes(header[4:8], "big")
            payload = response.read_exact(size) if size else b""
            if payload is None:
                return
            yield (None, payload) if header[0] == 2 else (payload, None)

    def close(self) -> None:
        self._response.close()


class EngineClient:
    """A connection pool to one engine and the Engine API calls on it (thread-safe).

    *timeout*: for each ordinary request (a stop adds its grace period; followed streams have none);
    *connect_timeout*: for opening a connection.
    """

    def __init__(self, address: EngineAddress, *, timeout: float = 60.0, connect_timeout: float = 5.0) -> None:
        self.address = address
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        #: The API version in use (set by :meth:`handshake`).
        self.api_version = API_VERSION
        #: Whether the engine is Podman (known after :meth:`handshake`).
        self.podman = False
        self._tls_context: Any = None
        if address.scheme == "tcp" and address.tls is not None:
            self._tls_context = _tls_context(address)
        self._pool = Pool(self._open)
        host = address.host if address.scheme == "tcp" else "docker"
        self._head_suffix = f"Host: {host}\r\nUser-Agent: aspyre\r\n".encode()

    def _open(self) -> Any:
        return open_socket(self.address, self.connect_timeout, self._tls_context)

    @property
    def base_url(self) -> str:
        return self.address.text

    def close(self) -> None:
        self._pool.close()

    # -- requests
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        data: bytes | None = None,
        content_type: str = "application/json",
        timeout: float | bool | None = True,
        stream_timeout: float | bool | None = True,
        upgrade: bool = False,
        versioned: bool = True,
    ) -> Response:
        """Send one request; the answer with its head read (an error status raises :class:`APIError`).

        *body* is sent as JSON, *data* as it is. ``timeout=True``: the client's; ``stream_timeout``: the read
        timeout once the head is in (``True``: as *timeout*; ``None``: none, for followed streams).
        """
        target = f"/v{self.api_version}{path}" if versioned else path
        if params:
            query = urlencode({k: v for k, v in params.items() if v is not None})
            if query:
                target = f"{target}?{query}"
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
        head = [f"{method} {target} HTTP/1.1\r\n".encode(), self._head_suffix]
        if data is not None:
            head.append(f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\n".encode())
        elif method in {"POST", "PUT"}:
            head.append(b"Content-Length: 0\r\n")
        if upgrade:
            head.append(b"Connection: Upgrade\r\nUpgrade: tcp\r\n")
        head.append(b"\r\n")
        if data:
            head.append(data)
        wait = self.timeout if timeout is True else timeout
        stream_wait = wait if stream_timeout is True else stream_timeout
        response = exchange(
            self._pool,
            method,
            b"".join(head),
            timeout=None if wait is None else float(wait),
            stream_timeout=None if stream_wait is None else float(stream_wait),
        )
        if response.status >= 400:
            raise api_error(response.status, _message(response.read()), f"{method} {path}")
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON (``None`` for an empty body)."""
        raw = self.request(method, path, **kwargs).read()
        return json.loads(raw) if raw.strip() else None

    def empty(self, method: str, path: str, **kwargs: Any) -> None:
        """A request whose answer's body does not matter (it is read, so the connection is reused)."""
        self.request(method, path, **kwargs).read()

    # -- the engine
    def handshake(self) -> None:
        """``/_ping``: choose the API version (and tell Podman from Docker). Raises like any request."""
        response = self.request("GET", "/_ping", versioned=False, timeout=self.connect_timeout)
        response.read()
        if response.status != 200:
            raise EngineUnreachable(f"the engine answered /_ping with {response.status}", problem="unreachable")
        engine_version = response.headers.get("api-version", "")
        if engine_version and _version_key(engine_version) < _version_key(API_VERSION):
            self.api_version = max(engine_version, _MIN_VERSION, key=_version_key)
        server = response.headers.get("server", "")
        if any(name.startswith("libpod") for name in response.headers):
            self.podman = True
        elif not server.lower().startswith("docker/"):  # an engine that does not say: ask it
            components = (self.version() or {}).get("Components") or []
            self.podman = any("podman" in str(c.get("Name", "")).lower() for c in components)

    def ping(self) -> bool:
        return self.request("GET", "/_ping", versioned=False).read().strip() == b"OK"

    def version(self) -> dict[str, Any]:
        return dict(self.json("GET", "/version") or {})

    # -- containers
    def create_container(
        self, config: Mapping[str, Any], *, name: str | None = None, platform: str | None = None
    ) -> dict[str, Any]:
        """Create a container from its Engine API configuration; ``{"Id": ..., "Warnings": [...]}``."""
        return dict(self.json("POST", "/containers/create", params={"name": name, "platform": platform}, body=config))

    def inspect_container(self, container: str) -> dict[str, Any]:
        return dict(self.json("GET", f"/containers/{_q(container)}/json"))

    def start(self, container: str) -> None:
        self.empty("POST", f"/containers/{_q(container)}/start")

    def stop(self, container: str, timeout: int = 10) -> None:
        """SIGTERM (or the image's stop signal), SIGKILL after *timeout* seconds; already stopped is fine."""
        wait = None if self.timeout is None else self.timeout + timeout
        self.empty("POST", f"/containers/{_q(container)}/stop", params={"t": timeout}, timeout=wait)

    def kill(self, container: str, signal: str | None = None) -> None:
        self.empty("POST", f"/containers/{_q(container)}/kill", params={"signal": signal})

    def remove_container(self, container: str, *, v: bool = False, force: bool = False) -> None:
        self.empty("DELETE", f"/containers/{_q(container)}", params={"v": _flag(v), "force": _flag(force)})

    def wait(self, container: str, timeout: float | None = None) -> dict[str, Any]:
        """Block until the container exits: ``{"StatusCode": ...}``."""
        return dict(self.json("POST", f"/containers/{_q(container)}/wait", timeout=timeout))

    def containers(self, *, all: bool = False, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.json("GET", "/containers/json", params={"all": _flag(all), "filters": _filters(filters)}))

    def attach(self, container: str, *, tty: bool | None = None) -> OutputStream:
        """Follow the container's stdout and stderr from now on: open it before a start to get every line once.

        Only the live output, never a replay of the engine's log: the engine joins the container's output
        (``AttachStreams`` in moby's ``daemon/attach.go``) before it answers, so once this returns every byte the
        container writes reaches this stream, the first line of a container started afterwards included. A replay
        (``logs=1``) would be read from the log only *after* that answer, while the joined output already buffers:
        a line written in between (a start right after the attach) would come twice, once from each. Output of
        earlier runs is read with :meth:`logs`.

        *tty*: whether the container has a TTY (raw output); ``None``: ask the engine, as the docker SDK does.
        """
        params = {"stdout": 1, "stderr": 1, "stream": 1}
        response = self.request(
            "POST", f"/containers/{_q(container)}/attach", params=params, upgrade=True, stream_timeout=None
        )
        if tty is None:
            try:
                tty = bool((self.inspect_container(container).get("Config") or {}).get("Tty"))
            except BaseException:
                response.close()
                raise
        return OutputStream(response, tty=tty)

    def logs(
        self,
        container: str,
        *,
        since_ns: int | None = None,
        follow: bool = True,
        tty: bool = False,
        timestamps: bool = False,
        tail: int | None = None,
    ) -> OutputStream:
        """The container's output from the engine's log, followed while the current run lasts (*follow*).

        *since_ns*: from that engine time on (UNIX nanoseconds; the engine keeps lines at or after it), exactly: it is
        sent as seconds and nanoseconds, never through a float. *timestamps*: each message of the log starts with its
        engine time (RFC 3339, nanoseconds) and a space (see :mod:`._logread`). A followed log ends with the run: the
        engine does not follow it across a restart by a restart policy. *tail*: only the last that many messages.
        """
        params: dict[str, Any] = {"stdout": 1, "stderr": 1, "follow": _flag(follow)}
        if since_ns is not None and since_ns > 0:
            params["since"] = f"{since_ns // 1_000_000_000}.{since_ns % 1_000_000_000:09d}"
        if timestamps:
            params["timestamps"] = 1
        if tail is not None:
            params["tail"] = tail
        response = self.request("GET", f"/containers/{_q(container)}/logs", params=params, stream_timeout=None)
        return OutputStream(response, tty=tty)

    def system_time(self) -> str:
        """The engine's clock now (``SystemTime`` of ``/info``, RFC 3339 with nanoseconds)."""
        return str((self.json("GET", "/info") or {}).get("SystemTime", ""))

    def put_archive(self, container: str, path: str, data: bytes) -> bool:
        """Extract a tar archive into the container at *path*."""
        response = self.request(
            "PUT",
            f"/containers/{_q(container)}/archive",
            params={"path": path},
            data=data,
            content_type="application/x-tar",
        )
        response.read()
        return response.status == 200

    # -- images
    def inspect_image(self, image: str) -> dict[str, Any]:
        return dict(self.json("GET", f"/images/{_q(image)}/json"))

    def remove_image(self, image: str, *, force: bool = False) -> None:
        self.empty("DELETE", f"/images/{_q(image)}", params={"force": _flag(force)})

    # -- networks
    def create_network(
        self,
        name: str,
        *,
        driver: str = "bridge",
        labels: Mapping[str, str] | None = None,
        check_duplicate: bool = True,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"Name": name, "Driver": driver, "Labels": dict(labels or {})}
        if check_duplicate and self._below("1.44"):  # always checked from 1.44 on, where the field is gone
            body["CheckDuplicate"] = True
        return dict(self.json("POST", "/networks/create", body=body))

    def inspect_network(self, network: str) -> dict[str, Any]:
        return dict(self.json("GET", f"/networks/{_q(network)}"))

    def remove_network(self, network: str) -> None:
        self.empty("DELETE", f"/networks/{_q(network)}")

    def networks(self, *, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.json("GET", "/networks", params={"filters": _filters(filters)}))

    def connect_container_to_network(self, container: str, network: str, *, aliases: list[str] | None = None) -> None:
        body: dict[str, Any] = {"Container": container}
        if aliases:
            body["EndpointConfig"] = {"Aliases": list(aliases)}
        self.empty("POST", f"/networks/{_q(network)}/connect", body=body)

    def disconnect_container_from_network(self, container: str, network: str, *, force: bool = False) -> None:
        self.empty("POST", f"/networks/{_q(network)}/disconnect", body={"Container": container, "Force": force})

    # -- volumes
    def create_volume(self, name: str, *, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        return dict(self.json("POST", "/volumes/create", body={"Name": name, "Labels": dict(labels or {})}))

    def inspect_volume(self, name: str) -> dict[str, Any]:
        return dict(self.json("GET", f"/volumes/{_q(name)}"))

    def remove_volume(self, name: str, *, force: bool = False) -> None:
        self.empty("DELETE", f"/volumes/{_q(name)}", params={"force": _flag(force)})

    def volumes(self, *, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return dict(self.json("GET", "/volumes", params={"filters": _filters(filters)}) or {})

    def _below(self, version: str) -> bool:
        return _version_key(self.api_version) < _version_key(version)


def _q(part: str) -> str:
    return quote(part, safe="/:@")


def _flag(value: bool) -> int:
    return 1 if value else 0


def _message(raw: bytes) -> str:
    """The engine's ``message`` from an error body (JSON, else the text)."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        document = json.loads(text)
    except ValueError:
        return text
    if isinstance(document, dict) and document.get("message"):
        return str(document["message"]).strip()
    return text


def _tls_context(address: EngineAddress) -> Any:
    import ssl

    tls = address.tls
    assert tls is not None
    context = ssl.create_default_context(cafile=tls.ca_cert if tls.verify and tls.ca_cert else None)
    if not tls.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.client_cert is not None:
        context.load_cert_chain(*tls.client_cert)
    return context
