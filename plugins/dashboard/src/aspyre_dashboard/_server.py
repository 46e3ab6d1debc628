"""Serving an ASGI app on a socket that is already listening, inside the app host's event loop.

hypercorn runs on asyncio and on trio (whichever anyio runs on), and takes a shutdown trigger
instead of installing signal handlers: Ctrl-C stays the app host's. The server is stopped by its
trigger, never cancelled half-way: open connections get ``graceful_timeout`` to finish.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import anyio
import sniffio

__all__ = ["serve_asgi", "server_log"]

#: hypercorn's own messages (warnings and errors only: "Running on ..." is the dashboard's to say).
server_log = logging.getLogger("aspyre.dashboard.server")
server_log.setLevel(logging.WARNING)

#: Seconds open connections get to finish once the server is told to stop.
GRACEFUL_TIMEOUT = 1.0


async def serve_asgi(app: Any, sock: socket.socket, stop: anyio.Event, scope: anyio.CancelScope) -> None:
    """Serve ``app`` on ``sock`` (which this takes over) until ``stop`` is set.

    ``scope`` (made with ``shield=True`` by the caller) keeps the server out of the app's
    cancellation; the caller cancels it only if the server does not stop by itself in time.
    """
    from hypercorn.config import Config

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
