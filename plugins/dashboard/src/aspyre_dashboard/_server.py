"""Serving an ASGI app on a socket that is already listening, inside the app host's event loop.

hypercorn runs on asyncio and on trio (whichever anyio runs on), and takes a shutdown trigger
instead of installing signal handlers: Ctrl-C stays the app host's. The server is stopped by its
trigger, never cancelled half-way: open connections get ``graceful_timeout`` to finish.

Every HTTP response leaves its connection ready for the client's next request, or says it does not
(:class:`FinishBodies`): a refusal answered before the request's body was read would otherwise end
with hypercorn closing a connection the client was told it could reuse.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import sniffio

__all__ = ["FinishBodies", "serve_asgi", "server_log"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: hypercorn's own messages (warnings and errors only: "Running on ..." is the dashboard's to say).
server_log = logging.getLogger("aspyre.dashboard.server")
server_log.setLevel(logging.WARNING)

#: Seconds open connections get to finish once the server is told to stop.
GRACEFUL_TIMEOUT = 1.0
#: Bytes of a request body the app left unread that are read and dropped to keep the connection.
DRAIN_LIMIT = 64 * 1024
#: Seconds the rest of such a body may take to arrive; after that the connection is closed instead.
DRAIN_TIMEOUT = 1.0


class FinishBodies:
    """ASGI middleware: no HTTP response goes out on a kept-alive connection with its request body unread.

    hypercorn (like any HTTP/1.1 server) can only take the next request on a connection once the current
    request's body has been received to its end; when the app answers first (a refusal, a 404 or 405, a
    413), it closes the connection after the response, yet that response did not say so and a client
    reuses the connection for its next request, which then fails ("Server disconnected without sending
    a response"). So, before the response starts, the rest of the body is read and dropped, up to
    :data:`DRAIN_LIMIT` bytes and :data:`DRAIN_TIMEOUT` seconds; a body larger or slower than that gets
    a response with ``Connection: close``, which the client honours.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        # HTTP/1.1 framing: a request without Content-Length or Transfer-Encoding has no body.
        chunked = any(k == b"transfer-encoding" for k, _ in headers)
        declared = next((v for k, v in headers if k == b"content-length"), None)
        finished = not chunked and declared in (None, b"0")
        # A body declared larger than the limit is not worth waiting for: the connection closes instead.
        worth_draining = chunked or (declared is not None and declared.isdigit() and int(declared) <= DRAIN_LIMIT)

        async def tracked_receive() -> Message:
            nonlocal finished
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                finished = True  # the whole body, or the client went away
            return message

        async def drain() -> None:
            read = 0
            with anyio.move_on_after(DRAIN_TIMEOUT):
                while not finished and read <= DRAIN_LIMIT:
                    read += len((await tracked_receive()).get("body", b""))

        async def finishing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not finished:
                if worth_draining:
                    await drain()
                if not finished:
                    message = dict(message)
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        await self.app(scope, tracked_receive, finishing_send)


async def serve_asgi(app: Any, sock: socket.socket, stop: anyio.Event, scope: anyio.CancelScope) -> None:
    """Serve ``app`` on ``sock`` (which this takes over) until ``stop`` is set.

    ``scope`` (made with ``shield=True`` by the caller) keeps the server out of the app's
    cancellation; the caller cancels it only if the server does not stop by itself in time.
    """
    from hypercorn.config import Config

    app = FinishBodies(app)
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns the descriptor from here
    config.accesslog = None
    config.errorlog = server_log
    config.graceful_timeout = GRACEFUL_TIMEOUT
    config.keep_alive_timeout = 30
    config.websocket_max_message_size = 64 * 1024
    config.include_server_header = False
    with scope:
        if sniffio.current_async_library() == "trio":
            from hypercorn.trio import serve as serve_trio

            await serve_trio(app, config, shutdown_trigger=stop.wait)
        else:
            from hypercorn.asyncio import serve as serve_asyncio

            await serve_asyncio(app, config, shutdown_trigger=stop.wait)
