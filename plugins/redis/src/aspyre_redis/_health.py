"""The Redis health check: an authenticated ``PING``, reusable by key on any resource with a Redis connection string.

The class is all ``add_redis`` needs to register the check; what it does when it runs (connection strings, RESP,
redis-py over TLS) is in :mod:`aspyre_redis._connection`, imported on the first check, so an app host that only
builds its model does not load it.
"""

from __future__ import annotations

from collections.abc import Callable

import aspyre

__all__ = ["RedisHealthCheck"]


class RedisHealthCheck:
    """Healthy when a Redis server answers ``PING``, authenticated.

    The server is, in order:

    * ``connection_string``: a connection string, or a function returning one (Aspire's
      ``AddHealthChecks().AddRedis(_ => connectionString)``);
    * ``resource``: a :class:`RedisResource` (its host endpoint and password) or any resource with a
      Redis connection string (``builder.add_connection_string("ext")`` for an external Redis);
    * else the resource the check is attached to (``context.resource``), so one registered check serves
      several resources::

          builder.add_health_check("redis", aspyre_redis.RedisHealthCheck())
          builder.add_connection_string("ext").with_health_check("redis")

    Everything is read at every check, so a changed password or port is taken into account.
    ``add_redis("cache")`` registers its own as ``cache_check``: ``other.with_health_check("cache_check")``
    makes another resource healthy only while the cache answers.
    """

    def __init__(
        self,
        resource: aspyre.IResource | None = None,
        *,
        connection_string: str | Callable[[], str | None] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.resource = resource
        self.connection_string = connection_string
        self.timeout = timeout

    def __repr__(self) -> str:
        target = "connection string" if self.connection_string is not None else None
        if target is None:
            target = repr(self.resource.name) if self.resource is not None else "the resource it is attached to"
        return f"RedisHealthCheck({target})"

    async def __call__(self, context: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        from ._connection import check

        return await check(self, context)
