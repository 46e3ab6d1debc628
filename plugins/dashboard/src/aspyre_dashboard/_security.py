"""The dashboard's gate: a token per run exchanged for a cookie, same-origin checks, safe headers.

Every request goes through :class:`Guard` (plain ASGI, so the live WebSocket is covered too):

* the ``Host`` header must name the address the dashboard listens on (a loopback dashboard cannot be
  reached through a DNS name an attacker controls);
* ``/login?t=TOKEN`` sets an ``HttpOnly; SameSite=Strict`` cookie and redirects; every other path
  answers 401 without that cookie (tokens and cookies are compared in constant time);
* requests that change something (``POST``) and the WebSocket handshake must come from the
  dashboard's own origin, and ``POST`` bodies must be JSON (no form can send one cross-site);
* every response forbids framing, sniffing, referrers and caching of API answers, and limits
  scripts to the dashboard's own files.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["Guard", "Security", "new_token"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOGIN_PATH = "/login"

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"content-security-policy", _CSP.encode()),
]

_UNAUTHORIZED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>aspyre dashboard: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/login.css"></head>
<body><main class="gate"><div class="gate-card">
<svg viewBox="0 0 32 32" width="40" height="40" aria-hidden="true"><path fill="#7c5cff" d="M16 2 3 9v14l13 7 13-7V9z"/>
<path fill="#fff" d="m16 8 6 14h-3l-1.2-3h-3.6L13 22h-3zm0 5-1.4 4h2.8z"/></svg>
<h1>{title}</h1><p>{message}</p>
<p class="hint">The app host prints the sign-in link when it starts:
<code>Dashboard: http://127.0.0.1:PORT/login?t=&hellip;</code></p>
</div></main></body></html>
"""

_GATE_CSS = b"""
:root{color-scheme:light dark;--bg:#f5f6fa;--card:#fff;--fg:#1c1e26;--muted:#5d6273}
@media (prefers-color-scheme:dark){:root{--bg:#15161b;--card:#1f2028;--fg:#e8e9ef;--muted:#a0a3b1}}
body{margin:0;font:15px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
.gate{min-height:100vh;display:grid;place-items:center}
.gate-card{background:var(--card);padding:32px 40px;border-radius:12px;max-width:520px;
box-shadow:0 8px 30px rgba(0,0,0,.12)}
h1{font-size:20px;margin:12px 0 4px}.hint{color:var(--muted);font-size:13px}
code{font:12px ui-monospace,monospace;background:rgba(127,127,127,.15);padding:2px 6px;border-radius:4px}
"""


def new_token() -> str:
    """A fresh random token (256 bits), one per app host run."""
    return secrets.token_urlsafe(32)


class Security:
    """The run's token and what is derived from it; ``token=None``: the unsecured mode."""

    __slots__ = ("_session", "_token", "allowed_hosts", "cookie_name")

    def __init__(self, token: str | None, port: int, allowed_hosts: frozenset[str] | None) -> None:
        self._token = token
        #: The cookie's value: derived from the token, so the token itself never sits in the browser's jar.
        self._session = (
            hmac.new(token.encode(), b"aspyre-dashboard-session", hashlib.sha256).hexdigest() if token else None
        )
        #: Cookies ignore ports: two app hosts on one machine each get their own cookie.
        self.cookie_name = f"aspyre_dashboard_{port}"
        #: ``Host`` headers accepted (``None``: any, for dashboards bound to a non-loopback address).
        self.allowed_hosts = allowed_hosts

    def __repr__(self) -> str:
        return f"Security(secured={self.secured}, cookie_name={self.cookie_name!r})"

    @property
    def secured(self) -> bool:
        return self._token is not None

    @property
    def token(self) -> str | None:
        return self._token

    def token_matches(self, candidate: str | None) -> bool:
        if self._token is None:
            return True
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self._token.encode())

    def cookie_matches(self, headers: list[tuple[bytes, bytes]]) -> bool:
        if self._session is None:
            return True
        value = _cookie(headers, self.cookie_name)
        return value is not None and hmac.compare_digest(value.encode(), self._session.encode())

    def set_cookie(self) -> bytes:
        assert self._session is not None
        return f"{self.cookie_name}={self._session}; Path=/; HttpOnly; SameSite=Strict".encode()


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            k, sep, v = part.strip().partition("=")
            if sep and k == name:
                return v
    return None


def _safe_next(value: str | None) -> str:
    """Only a local path may be the target of the login redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def _send(send: Send, status: int, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *_COMMON_HEADERS,
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware enforcing :class:`Security` in front of the dashboard's app."""

    def __init__(self, app: ASGIApp, security: Security) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        host = _header(headers, b"host")
        allowed = self.security.allowed_hosts
        if allowed is not None and (host is None or host.lower() not in allowed):
            await self._deny(scope, send, 421, "Misdirected request", "This dashboard does not answer for that host.")
            return
        path: str = scope.get("path", "")
        if kind == "http" and path == LOGIN_PATH:
            await self._login(scope, send)
            return
        if kind == "http" and path == "/login.css":
            await _send(send, 200, _GATE_CSS, b"text/css; charset=utf-8", [])
            return
        if not self.security.cookie_matches(headers):
            await self._deny(
                scope, send, 401, "Sign in to the dashboard", "This page needs the sign-in link of the running app host."
            )
            return
        method = scope.get("method", "GET")
        if kind == "websocket" or method not in ("GET", "HEAD"):
            problem = self._cross_origin(headers, host, kind)
            if problem is not None:
                await self._deny(scope, send, 403, "Forbidden", problem)
                return
        if kind == "http":
            send = self._with_headers(send)
        await self.app(scope, receive, send)

    def _cross_origin(self, headers: list[tuple[bytes, bytes]], host: str | None, kind: str) -> str | None:
        origin = _header(headers, b"origin")
        if origin is None or host is None:
            return "A request that changes something must come from the dashboard's own pages (no Origin)."
        parts = urllib.parse.urlsplit(origin)
        if parts.scheme != "http" or parts.netloc.lower() != host.lower():
            return "Cross-origin requests are refused."
        if kind == "http":
            content_type = (_header(headers, b"content-type") or "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return "Commands take a JSON body (Content-Type: application/json)."
        return None

    def _with_headers(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _COMMON_HEADERS if k not in existing]
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        return wrapped

    async def _login(self, scope: Scope, send: Send) -> None:
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("t") or [None])[0]
        if not self.security.secured:
            await _send(send, 303, b"", b"text/plain", [(b"location", _safe_next(None).encode())])
            return
        if not self.security.token_matches(token):
            await self._deny(
                scope,
                send,
                401,
                "That sign-in link is not valid",
                "The token is wrong or from an earlier run: each run of the app host prints a new link.",
            )
            return
        target = _safe_next((query.get("next") or [None])[0])
        await _send(
            send,
            303,
            b"",
            b"text/plain",
            [(b"location", target.encode()), (b"set-cookie", self.security.set_cookie())],
        )

    async def _deny(self, scope: Scope, send: Send, status: int, title: str, message: str) -> None:
        if scope["type"] == "websocket":
            # The WebSocket denial response (ASGI extension): a real status, not just a closed socket.
            body = message.encode()
            if "websocket.http.response" in scope.get("extensions", {}):
                await send(
                    {
                        "type": "websocket.http.response.start",
                        "status": status,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
                    }
                )
                await send({"type": "websocket.http.response.body", "body": body})
            else:  # pragma: no cover - servers without the extension
                await send({"type": "websocket.close", "code": 1008})
            return
        accept = _header(scope.get("headers", []), b"accept") or ""
        if "text/html" in accept:
            page = _UNAUTHORIZED_PAGE.format(title=title, message=message).encode()
            await _send(send, status, page, b"text/html; charset=utf-8", [])
        else:
            import json

            body = json.dumps({"error": message}).encode()
            await _send(send, status, body, b"application/json", [])
