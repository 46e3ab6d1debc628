"""What the Redis health check does when it runs: read the connection string, an authenticated ``PING``.

Imported by :class:`aspyre_redis.RedisHealthCheck` on its first check (run mode), so an app host that only builds
its model does not load it.

Over plain TCP the check speaks the two commands it needs (``AUTH``, ``PING``) itself, on the event loop: no
client library to import (redis-py's asyncio client costs ~0.1 s, which the first check after the container
started used to wait for). Over TLS it uses redis-py (imported in a worker thread).
"""

from __future__ import annotations

import sys
import urllib.parse
from typing import TYPE_CHECKING

import attrs

import aspyre

from ._resources import RedisResource

if TYPE_CHECKING:
    from ._health import RedisHealthCheck

__all__ = ["RedisConnectionOptions", "check", "parse_redis_connection_string"]

#: redis-py's asyncio client costs ~0.1 s to import: in a worker thread, never on the event loop.
_CLIENT_MODULE = "redis.asyncio"


def _import_client() -> None:
    import redis.asyncio
    import redis.asyncio.retry
    import redis.backoff  # noqa: F401


#: Error replies that mean the server refused the credentials (what redis-py raises AuthenticationError for).
_REFUSED = ("WRONGPASS", "NOAUTH", "ERR AUTH", "ERR invalid password", "ERR invalid username-password pair")


def _command(*args: str) -> bytes:
    """One command in RESP (an array of bulk strings)."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class _Refused(Exception):
    """The server refused the password (its error reply)."""


class _ErrorReply(Exception):
    """Another error reply (``LOADING``, ``ERR``...)."""


async def _resp_ping(options: RedisConnectionOptions, time_limit: float) -> str:
    """``AUTH`` (when there is a password) and ``PING`` on a new connection; the reply to ``PING``."""
    import anyio

    commands = []
    if options.password is not None:
        credentials = (options.username, options.password) if options.username else (options.password,)
        commands.append(_command("AUTH", *credentials))
    commands.append(_command("PING"))
    with anyio.fail_after(time_limit):
        stream = await anyio.connect_tcp(options.host, options.port)
        async with stream:
            await stream.send(b"".join(commands))
            replies: list[str] = []
            buffer = b""
            while len(replies) < len(commands):
                try:
                    buffer += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    raise ConnectionError("the server closed the connection") from None
                while b"\r\n" in buffer and len(replies) < len(commands):
                    line, buffer = buffer.split(b"\r\n", 1)
                    replies.append(line.decode("utf-8", "replace"))
    for reply in replies:
        if reply.startswith("-"):
            if reply[1:].startswith(_REFUSED):
                raise _Refused(reply[1:])
            raise _ErrorReply(reply[1:])
    return replies[-1]


@attrs.frozen(repr=False)
class RedisConnectionOptions:
    """Where a Redis server is and how to log in: what a connection string says (the password is not shown)."""

    host: str
    port: int = 6379
    password: str | None = None
    username: str | None = None
    ssl: bool = False

    def __repr__(self) -> str:
        shown = "None" if self.password is None else "'***'"
        return f"RedisConnectionOptions({self.host!r}, {self.port}, password={shown}, ssl={self.ssl})"


def parse_redis_connection_string(text: str) -> RedisConnectionOptions:
    """Read a Redis connection string: Aspire's StackExchange.Redis form (``host:port,password=...,ssl=true``)
    or a ``redis://[user:password@]host:port`` / ``rediss://`` URI. Raises :class:`ValueError` naming what is wrong
    (never the password)."""
    text = text.strip()
    if text.startswith(("redis://", "rediss://")):
        url = urllib.parse.urlsplit(text)
        if not url.hostname:
            raise ValueError("the Redis URI has no host")
        return RedisConnectionOptions(
            url.hostname,
            url.port or 6379,
            urllib.parse.unquote(url.password) if url.password is not None else None,
            urllib.parse.unquote(url.username) if url.username else None,
            url.scheme == "rediss",
        )
    first, *options = [part.strip() for part in text.split(",")]
    host, _, port = first.rpartition(":") if first.count(":") == 1 else (first, "", "")
    if not host:
        raise ValueError("the Redis connection string has no host (expected host:port,password=...)")
    if port and not port.isdigit():
        raise ValueError(f"the Redis connection string has a bad port {port!r}")
    values: dict[str, str] = {}
    for option in options:
        key, found, value = option.partition("=")
        if found:
            values[key.strip().lower()] = value.strip()
    return RedisConnectionOptions(
        host,
        int(port) if port else 6379,
        values.get("password"),
        values.get("user"),
        values.get("ssl", "false").lower() == "true",
    )


async def _options(health_check: RedisHealthCheck, context: aspyre.HealthCheckContext) -> RedisConnectionOptions | str:
    """Where to PING, or why that is not known (a message)."""
    given = health_check.connection_string
    if given is not None:
        text = given() if callable(given) else given
        if not text:
            return "the connection string is not available yet"
        return parse_redis_connection_string(text)
    target = health_check.resource if health_check.resource is not None else context.resource
    if isinstance(target, RedisResource):
        try:
            endpoint = target.primary_endpoint.allocated_for(aspyre.model.KnownNetworks.LOCALHOST)
        except aspyre.EndpointNotAllocatedError as exc:
            return str(exc)
        password = target.password_parameter.value if target.password_parameter is not None else None
        return RedisConnectionOptions(endpoint.address, endpoint.port, password)
    if isinstance(target, aspyre.IResourceWithConnectionString):
        text = await target.get_connection_string()
        if not text:
            return f"resource {target.name!r} has no connection string yet"
        return parse_redis_connection_string(text)
    return f"resource {target.name!r} has no Redis connection string"


async def check(health_check: RedisHealthCheck, context: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
    """``RedisHealthCheck.__call__``: the check's result for ``context``."""
    try:
        options = await _options(health_check, context)
    except (ValueError, LookupError, aspyre.DistributedApplicationException) as exc:
        return aspyre.HealthCheckResult.unhealthy(str(exc))
    if isinstance(options, str):
        return aspyre.HealthCheckResult.unhealthy(options)
    where = f"{options.host}:{options.port}"
    if options.ssl:
        return await _ping_tls(health_check, options, where)
    try:
        answer = await _resp_ping(options, health_check.timeout)
    except _Refused as exc:
        return aspyre.HealthCheckResult.unhealthy(f"PING {where}: the server refused the password ({exc})", exc)
    except (_ErrorReply, OSError, TimeoutError) as exc:
        return aspyre.HealthCheckResult.unhealthy(f"PING {where} failed: {type(exc).__name__}: {exc}", exc)
    if answer == "+PONG":
        return aspyre.HealthCheckResult.healthy(f"PING {where} -> PONG")
    return aspyre.HealthCheckResult.unhealthy(f"PING {where} answered {answer!r}")


async def _ping_tls(
    health_check: RedisHealthCheck, options: RedisConnectionOptions, where: str
) -> aspyre.HealthCheckResult:
    """PING over TLS, with redis-py (its TLS defaults)."""
    if _CLIENT_MODULE not in sys.modules:  # imported in a worker thread, not on the event loop
        import anyio.to_thread

        await anyio.to_thread.run_sync(_import_client)
    import redis.asyncio
    import redis.exceptions
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    client = redis.asyncio.Redis(
        host=options.host,
        port=options.port,
        username=options.username,
        password=options.password,
        socket_connect_timeout=health_check.timeout,
        socket_timeout=health_check.timeout,
        retry=Retry(NoBackoff(), 0),  # the health monitor retries, with its own back-off
        ssl=True,
    )
    try:
        answer = await client.ping()
    except redis.exceptions.AuthenticationError as exc:
        return aspyre.HealthCheckResult.unhealthy(f"PING {where}: the server refused the password ({exc})", exc)
    except (redis.exceptions.RedisError, OSError) as exc:
        return aspyre.HealthCheckResult.unhealthy(f"PING {where} failed: {type(exc).__name__}: {exc}", exc)
    finally:
        await client.aclose()
    if answer is True:
        return aspyre.HealthCheckResult.healthy(f"PING {where} -> PONG")
    return aspyre.HealthCheckResult.unhealthy(f"PING {where} answered {answer!r}")
