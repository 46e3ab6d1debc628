"""Where the dashboard listens and whether it asks for a token: read from the environment, checked early."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import urllib.parse
from collections.abc import Collection, Mapping
from pathlib import Path

from ._hooks import NO_DASHBOARD_FLAG

__all__ = [
    "ENV_UNSECURED",
    "ENV_URL",
    "NO_DASHBOARD_FLAG",
    "DashboardConfigError",
    "DashboardOptions",
    "bind_socket",
    "is_loopback",
    "stable_port",
]

#: ``http://HOST:PORT`` the dashboard binds (default ``http://127.0.0.1`` and a port stable per app host).
ENV_URL = "ASPYRE_DASHBOARD_URL"
#: ``true``: no token (loopback addresses only), as Aspire's ``ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS``.
ENV_UNSECURED = "ASPYRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"

#: Stable ports are taken from this range: below the kernel's ephemeral ports, so that a port handed
#: out at random to some client is unlikely to collide with it.
STABLE_PORTS = range(15000, 20000)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class DashboardConfigError(ValueError):
    """The dashboard's settings are wrong or unsafe; the message says which variable and what to do."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine's loopback interface."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def stable_port(app_host_path: Path) -> int:
    """A port derived from the app host's path: the same dashboard address run after run."""
    digest = hashlib.sha256(str(app_host_path).lower().encode()).digest()
    return STABLE_PORTS.start + int.from_bytes(digest[:4], "big") % len(STABLE_PORTS)


class DashboardOptions:
    """How the dashboard is served.

    ``host``: the address to bind (loopback unless told otherwise); ``port``: ``None`` for the
    app host's stable port when it is free (any free port otherwise), ``0`` for any free port;
    ``unsecured``: serve without a token (refused unless ``host`` is a loopback address).
    """

    # A plain class, not attrs: this module is imported before the app's first resource starts.
    __slots__ = ("host", "port", "unsecured")

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, unsecured: bool = False) -> None:
        if unsecured and not is_loopback(host):
            raise DashboardConfigError(
                f"The dashboard refuses to listen on {host} without a token: anyone who can reach it could "
                f"read secrets and run commands. Unset {ENV_UNSECURED}, or bind a loopback address "
                f"({ENV_URL}=http://127.0.0.1:PORT)."
            )
        if port is not None and not 0 <= port <= 65535:
            raise DashboardConfigError(f"{ENV_URL}: port {port} is not between 0 and 65535")
        self.host = host
        self.port = port
        self.unsecured = unsecured

    def __repr__(self) -> str:
        return f"DashboardOptions(host={self.host!r}, port={self.port!r}, unsecured={self.unsecured!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DashboardOptions):
            return NotImplemented
        return (self.host, self.port, self.unsecured) == (other.host, other.port, other.unsecured)

    def __hash__(self) -> int:
        return hash((self.host, self.port, self.unsecured))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> DashboardOptions:
        """Read :data:`ENV_URL` and :data:`ENV_UNSECURED` (raises :class:`DashboardConfigError`)."""
        env = os.environ if environ is None else environ
        raw_unsecured = env.get(ENV_UNSECURED, "").strip().lower()
        if raw_unsecured not in _TRUE | _FALSE:
            raise DashboardConfigError(f"{ENV_UNSECURED}={env.get(ENV_UNSECURED)!r}: use true or false")
        unsecured = raw_unsecured in _TRUE
        url = env.get(ENV_URL, "").strip()
        if not url:
            return cls(unsecured=unsecured)
        host, port = parse_url(url)
        return cls(host=host, port=port, unsecured=unsecured)


def parse_url(url: str) -> tuple[str, int | None]:
    """``http://HOST[:PORT]`` -> ``(host, port)``; the port is ``None`` when not given."""
    text = url if "://" in url else f"http://{url}"
    parts = urllib.parse.urlsplit(text)
    if parts.scheme != "http":
        raise DashboardConfigError(
            f"{ENV_URL}={url!r}: the dashboard serves plain http on the address given "
            "(for https, put a TLS proxy in front of it); use http://HOST:PORT"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise DashboardConfigError(f"{ENV_URL}={url!r}: give only http://HOST:PORT, without a path")
    try:
        port = parts.port
    except ValueError as exc:
        raise DashboardConfigError(f"{ENV_URL}={url!r}: {exc}") from None
    host = parts.hostname
    if not host:
        raise DashboardConfigError(f"{ENV_URL}={url!r}: no host; use http://127.0.0.1:PORT")
    return host, port


def _resolve(host: str) -> tuple[socket.AddressFamily, str]:
    if host.casefold() == "localhost":
        return socket.AF_INET, "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            return socket.AF_INET, socket.gethostbyname(host)
        except OSError as exc:
            raise DashboardConfigError(f"{ENV_URL}: cannot resolve {host!r}: {exc}") from None
    return (socket.AF_INET6 if address.version == 6 else socket.AF_INET), str(address)


def _listen(family: socket.AddressFamily, address: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart right after a stop
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((address, port))
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def bind_socket(options: DashboardOptions, app_host_path: Path, avoid: Collection[int] = ()) -> socket.socket:
    """A listening socket for the dashboard: connections wait in its backlog until the server runs.

    With no port configured, the app host's stable port is tried first (unless it is in ``avoid``:
    ports the app's own resources asked for), then any free port; a port that was asked for and is
    busy is an error naming it.
    """
    family, address = _resolve(options.host)
    if options.port is None:
        port = stable_port(app_host_path)
        if port not in avoid:
            try:
                return _listen(family, address, port)
            except OSError:
                pass
        return _listen(family, address, 0)
    try:
        return _listen(family, address, options.port)
    except OSError as exc:
        raise DashboardConfigError(
            f"The dashboard cannot listen on {options.host}:{options.port} ({exc.strerror or exc}): choose another "
            f"port in {ENV_URL}, or leave it unset for a free one."
        ) from None
