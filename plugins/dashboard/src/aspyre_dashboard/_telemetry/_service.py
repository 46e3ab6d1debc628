"""One app's telemetry: where the receivers listen, the key, the store, the pages; their lifetime.

Where it listens, and why (see docs/telemetry.md, "Security"):

* OTLP/HTTP on ``127.0.0.1`` and a free port (or ``ASPYRE_OTLP_ENDPOINT_URL`` when it names a loopback
  address): processes reach it there;
* when the app runs containers, also on the address the container runtime maps ``host.docker.internal``
  to (``app.container_host_address()``: Docker's bridge gateway, Podman's network gateway), same port:
  containers reach it there, and nothing beyond this machine and its containers can (the receiver never
  listens on every address);
* OTLP/gRPC the same way, on a port of its own, when ``grpcio`` is installed.

Every request must carry the run's API key (``x-otlp-api-key``, 256 random bits); the dashboard's
pages stay on their own loopback address behind their own sign-in.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import secrets
import socket
import urllib.parse
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread

import aspyre

from ._options import TelemetryOptions
from ._store import TelemetryStore
from ._topic import TOPIC, TelemetryTopic

if TYPE_CHECKING:
    from .._dashboard import Dashboard
    from ._grpc import GrpcReceiver

__all__ = ["Telemetry", "TelemetryUnavailable"]

log = logging.getLogger("aspyre.dashboard.telemetry")

# 24x24 icons of the three pages (the navigation draws them).
ICON_LOGS = "M4 4h16v3H4zm0 5h10v2H4zm0 4h16v2H4zm0 4h12v2H4zm13-8h3v2h-3z"
ICON_TRACES = "M3 5h8v3H3zm4 5h9v3H7zm5 5h9v3h-9zM3 19h18v1.5H3z"
ICON_METRICS = "M4 19h16v1.5H4zM5 13l4-4 3 3 5-6 1.5 1.2-6.4 7.6-3-3-2.7 2.7z"


class TelemetryUnavailable(Exception):
    """The receiver cannot run as configured; the message says why (the app runs without it)."""


def _options(app: aspyre.events.App) -> aspyre.AppOptions | None:
    options = getattr(app, "options", None)
    return options if isinstance(options, aspyre.AppOptions) else None


def _loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _listen(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host.strip("[]"), port))
        if listen:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.listen(256)
            sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _configured(url: str | None, variable: str) -> tuple[str, int] | None:
    """``(host, port)`` of a configured endpoint the receiver should listen on; raises if it cannot."""
    if url is None:
        return None
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port or 0
    if parts.scheme != "http":
        raise TelemetryUnavailable(f"{variable}={url} is https: resources send there, the dashboard shows nothing")
    if not _loopback(host):
        raise TelemetryUnavailable(f"resources send to {url} ({variable}), not to the dashboard")
    return ("127.0.0.1" if host.casefold() == "localhost" else host), port


class Telemetry:
    """The telemetry of one app shown by its dashboard. Made by the telemetry hook in ``aspyre_before_start``."""

    def __init__(self, app: aspyre.events.App, dashboard: Dashboard, options: TelemetryOptions) -> None:
        self.app = app
        self.dashboard = dashboard
        self.store = TelemetryStore(options)
        self.topic = TelemetryTopic(self.store)
        #: Where processes send OTLP/HTTP (``http://127.0.0.1:PORT``); containers use the same port.
        self.http_url = ""
        #: Where processes send OTLP/gRPC, when grpcio is installed.
        self.grpc_url: str | None = None
        #: Addresses the receivers listen on (``host:port``), for people and tests.
        self.addresses: list[str] = []
        self._api_key = ""
        self._http_port = 0
        self._grpc_host = "127.0.0.1"
        self._grpc_port = 0
        self._grpc_placeholder: socket.socket | None = None
        self._grpc: list[GrpcReceiver] = []
        self._token: Any = None

    def __repr__(self) -> str:  # never the key
        return f"<Telemetry {self.http_url or '(not listening)'} grpc={self.grpc_url}>"

    @property
    def api_key(self) -> str:
        """The run's key (exporters send it as ``x-otlp-api-key``)."""
        return self._api_key

    # -- opening (synchronous, in the before-start hook: a bind, no heavy imports) ------------------------
    def open(self) -> None:
        """Bind the OTLP/HTTP socket, reserve the gRPC port, and tell the app where telemetry goes."""
        options = _options(self.app)
        if options is None:
            raise TelemetryUnavailable("the app has no options to say where telemetry goes")
        http = _configured(options.otlp_endpoint_url, "ASPYRE_OTLP_ENDPOINT_URL") or ("127.0.0.1", 0)
        try:
            sock = _listen(*http)
        except OSError as exc:
            raise TelemetryUnavailable(
                f"cannot listen on {http[0]}:{http[1]} ({exc.strerror or exc}); resources send their telemetry there"
            ) from None
        self._http_port = int(sock.getsockname()[1])
        host = sock.getsockname()[0]
        self.http_url = f"http://{'[' + host + ']' if ':' in host else host}:{self._http_port}"
        self.addresses.append(f"{host}:{self._http_port}")
        self._api_key = options.otlp_api_key or secrets.token_urlsafe(32)
        self._reserve_grpc(options)
        options.otlp_api_key = self._api_key
        options.otlp_endpoint_url = self.http_url
        if self.grpc_url is not None:
            options.otlp_grpc_endpoint_url = self.grpc_url
        self.dashboard.add_listener("otlp-http", sock, self._make_http_app)

    def _reserve_grpc(self, options: aspyre.AppOptions) -> None:
        from ._grpc import grpc_available

        if not grpc_available():
            return
        try:
            wanted = _configured(options.otlp_grpc_endpoint_url, "ASPYRE_OTLP_GRPC_ENDPOINT_URL") or ("127.0.0.1", 0)
        except TelemetryUnavailable as exc:
            log.info("OTLP/gRPC: %s", exc)
            return
        try:  # grpcio listens with SO_REUSEPORT: hold the port with it until the server has it
            placeholder = _listen(*wanted, reuse_port=True, listen=False)
        except OSError as exc:
            log.warning("OTLP/gRPC: cannot listen on %s:%s (%s)", wanted[0], wanted[1], exc.strerror or exc)
            return
        self._grpc_placeholder = placeholder
        self._grpc_host, self._grpc_port = wanted[0], int(placeholder.getsockname()[1])
        self.grpc_url = f"http://{self._grpc_host}:{self._grpc_port}"

    def close(self) -> None:
        if self._grpc_placeholder is not None:
            self._grpc_placeholder.close()
            self._grpc_placeholder = None

    def _make_http_app(self) -> Any:
        from ._receiver import OtlpHttpApp

        return OtlpHttpApp(self.store, self._api_key, self.topic.changed)

    # -- the dashboard's pages --------------------------------------------------------------------------
    def add_pages(self) -> None:
        from .._dashboard import Page

        dashboard = self.dashboard
        dashboard.add_page(
            Page("structuredlogs", "Structured", "/structuredlogs", ICON_LOGS, "/static/telemetry/logs.js"),
            routes=self._routes,
        )
        dashboard.add_page(Page("traces", "Traces", "/traces", ICON_TRACES, "/static/telemetry/traces.js"))
        dashboard.add_page(Page("metrics", "Metrics", "/metrics", ICON_METRICS, "/static/telemetry/metrics.js"))
        dashboard.add_topic(TOPIC, self.topic)

    def _routes(self) -> Any:
        from ._api import routes

        return routes(self.dashboard, self.store, lambda: (self._api_key,))

    # -- serving (a background task of the app) ----------------------------------------------------------
    async def serve(self) -> None:
        """Start gRPC, listen for containers when the app has some, and stop the gRPC servers at the end."""
        self._token = anyio.lowlevel.current_token()
        try:
            from ._decode import load

            await anyio.to_thread.run_sync(load)
            if self._grpc_placeholder is not None:
                await self._start_grpc([(self._grpc_host, self._grpc_port)])
            if any(isinstance(r, aspyre.ContainerResource) for r in self.app.model):
                await self._listen_for_containers()
            await anyio.sleep_forever()
        finally:
            self.close()
            with anyio.CancelScope(shield=True):
                for server in self._grpc:
                    await anyio.to_thread.run_sync(server.stop)

    async def _start_grpc(self, addresses: list[tuple[str, int]]) -> None:
        def start() -> GrpcReceiver:
            from ._grpc import GrpcReceiver

            server = GrpcReceiver(self.store, self._api_key, self._changed_from_thread)
            for host, port in addresses:
                server.add_port(host, port)
            server.start()
            return server

        try:
            self._grpc.append(await anyio.to_thread.run_sync(start))
            self.addresses.extend(f"{h}:{p}" for h, p in addresses)
        except Exception as exc:
            log.warning("OTLP/gRPC could not start on %s: %s", addresses, exc)
        finally:
            self.close()  # the server holds the port now (or nobody needs it)

    async def _listen_for_containers(self) -> None:
        address = await self.app.container_host_address()
        if address is None or _loopback(address):
            return
        try:
            sock = _listen(address, self._http_port)
        except OSError as exc:
            log.warning(
                "telemetry from containers will not arrive: cannot listen on %s:%s (%s)",
                address, self._http_port, exc.strerror or exc,
            )  # fmt: skip
            return
        self.addresses.append(f"{address}:{self._http_port}")
        self.dashboard.add_listener("otlp-http-containers", sock, self._make_http_app)
        if self._grpc:
            await self._start_grpc([(address, self._grpc_port)])

    def _changed_from_thread(self, signal: str) -> None:
        """gRPC's threads: tell the event loop (and so the pages) that something was stored."""
        with contextlib.suppress(Exception):  # the app is stopping: nobody is listening
            anyio.from_thread.run_sync(self.topic.changed, signal, token=self._token)
