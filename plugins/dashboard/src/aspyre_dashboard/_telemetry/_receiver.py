"""The OTLP/HTTP receiver: ``POST /v1/traces``, ``/v1/logs``, ``/v1/metrics`` with protobuf or JSON bodies.

A plain ASGI app (served on its own port next to the dashboard). Per request, on the event loop: the
API key (``x-otlp-api-key``, compared in constant time: 401 without it), the media type and encoding
(415), the size (413, before and while reading); then one worker thread decompresses, parses and
stores the body (the event loop never parses), and the answer goes back in the request's encoding:
an ``Export*ServiceResponse`` (with ``partial_success`` when some items were refused), or a
``google.rpc.Status`` with the reason (400). When more requests wait than :data:`MAX_WAITING`, new ones
get 503 with ``Retry-After`` (exporters retry): memory stays bounded whatever the senders do.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import anyio.to_thread

from ._decode import BadRequest, TooLarge, decode, gunzip, load, response_bytes, status_bytes
from ._store import Accepted, TelemetryStore

__all__ = ["API_KEY_HEADER", "MAX_WAITING", "OtlpHttpApp", "PATHS"]

log = logging.getLogger("aspyre.dashboard.telemetry")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

API_KEY_HEADER = b"x-otlp-api-key"
PATHS = {"/v1/traces": "traces", "/v1/logs": "logs", "/v1/metrics": "metrics"}
#: Requests read or being stored at once; more get 503 (each holds at most ``max_request_bytes``).
MAX_WAITING = 8
_PROTOBUF = {"application/x-protobuf", "application/protobuf"}
_JSON = "application/json"
# google.rpc.Code values.
_INVALID_ARGUMENT, _UNAUTHENTICATED, _RESOURCE_EXHAUSTED, _UNAVAILABLE = 3, 16, 8, 14


class OtlpHttpApp:
    """The receiver's ASGI app. ``on_stored(signal)`` runs on the event loop after something was stored."""

    def __init__(
        self,
        store: TelemetryStore,
        api_key: str | None,
        on_stored: Callable[[str], None] = lambda signal: None,
    ) -> None:
        self.store = store
        self._key = api_key.encode() if api_key else None
        self.on_stored = on_stored
        self.max_body = store.options.max_request_bytes
        self._limiter = anyio.CapacityLimiter(1)
        self._waiting = 0
        self.requests = 0
        self.failures = 0

    def __repr__(self) -> str:  # never the key
        return f"<OtlpHttpApp secured={self._key is not None} requests={self.requests}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        signal = PATHS.get(scope.get("path", ""))
        if signal is None:
            await _answer(send, 404, b"Not found: OTLP/HTTP takes POST /v1/traces, /v1/logs and /v1/metrics.", b"text/plain")
            return
        if scope.get("method") != "POST":
            await _answer(send, 405, b"Use POST.", b"text/plain", [(b"allow", b"POST")])
            return
        headers = _headers(scope)
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
        is_json = content_type == _JSON
        if not self._authorized(headers.get(API_KEY_HEADER)):
            await self._status(send, 401, _UNAUTHENTICATED, "Missing or wrong x-otlp-api-key header.", is_json)
            return
        if not is_json and content_type not in _PROTOBUF:
            await self._status(
                send, 415, _INVALID_ARGUMENT, "Send application/x-protobuf or application/json bodies.", False
            )
            return
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding not in (b"identity", b"gzip", b""):
            await self._status(send, 415, _INVALID_ARGUMENT, "Content-Encoding must be gzip or identity.", is_json)
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self._status(send, 413, _RESOURCE_EXHAUSTED, f"The body is larger than {self.max_body} bytes.", is_json)
            return
        if self._waiting >= MAX_WAITING:
            await self._status(
                send, 503, _UNAVAILABLE, "The dashboard is busy storing telemetry; retry.", is_json, [(b"retry-after", b"1")]
            )
            return
        self._waiting += 1
        try:
            await self._export(signal, receive, send, is_json, encoding == b"gzip")
        finally:
            self._waiting -= 1

    def _authorized(self, candidate: bytes | None) -> bool:
        if self._key is None:
            return True
        return candidate is not None and hmac.compare_digest(candidate, self._key)

    async def _export(self, signal: str, receive: Receive, send: Send, is_json: bool, gzipped: bool) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._status(send, 413, _RESOURCE_EXHAUSTED, f"The body is larger than {self.max_body} bytes.", is_json)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        self.requests += 1
        try:
            result = await anyio.to_thread.run_sync(self._store, signal, body, is_json, gzipped, limiter=self._limiter)
        except TooLarge as exc:
            self.failures += 1
            await self._status(send, 413, _RESOURCE_EXHAUSTED, str(exc), is_json)
            return
        except BadRequest as exc:
            self.failures += 1
            await self._status(send, 400, _INVALID_ARGUMENT, str(exc), is_json)
            return
        except Exception as exc:  # a defect: answered, logged, never the app host's problem
            self.failures += 1
            log.error("storing OTLP %s failed: %s: %s", signal, type(exc).__name__, exc, exc_info=exc)
            await self._status(send, 500, 13, "The dashboard could not store this request.", is_json)
            return
        if result.accepted:
            self.on_stored(signal)
        content_type = b"application/json" if is_json else b"application/x-protobuf"
        await _answer(send, 200, response_bytes(signal, result.rejected, result.reason, is_json), content_type)

    def _store(self, signal: str, body: bytes, is_json: bool, gzipped: bool) -> Accepted:
        """In the worker thread: decompress, parse, keep."""
        if gzipped:
            body = gunzip(body, self.max_body)
        request = decode(signal, body, is_json)
        store = self.store
        if signal == "traces":
            return store.add_traces(request)
        if signal == "logs":
            return store.add_logs(request)
        return store.add_metrics(request)

    async def _status(
        self, send: Send, status: int, code: int, message: str, is_json: bool, extra: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        content_type = b"application/json" if is_json else b"application/x-protobuf"
        await _answer(send, status, status_bytes(code, message, is_json), content_type, extra or [])

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await anyio.to_thread.run_sync(load)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", [])}


async def _answer(
    send: Send, status: int, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
