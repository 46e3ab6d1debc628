"""The Redis health check: ``PING`` with the resource's password, through redis-py."""

from __future__ import annotations

import aspyre

from ._resources import RedisResource

__all__ = ["RedisHealthCheck"]


class RedisHealthCheck:
    """Healthy when the server answers ``PING`` on its host endpoint, authenticated with its password.

    The address and the password are read at every check, so ``with_password`` and a changed
    host port are taken into account.
    """

    def __init__(self, resource: RedisResource, timeout: float = 5.0) -> None:
        self.resource = resource
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"RedisHealthCheck({self.resource.name!r})"

    async def __call__(self, context: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        import redis.asyncio
        import redis.exceptions
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        r = self.resource
        try:
            endpoint = r.primary_endpoint.allocated_for(aspyre.model.KnownNetworks.LOCALHOST)
        except aspyre.EndpointNotAllocatedError as exc:
            return aspyre.HealthCheckResult.unhealthy(str(exc))
        password = r.password_parameter.value if r.password_parameter is not None else None
        client = redis.asyncio.Redis(
            host=endpoint.address,
            port=endpoint.port,
            password=password,
            socket_connect_timeout=self.timeout,
            socket_timeout=self.timeout,
            retry=Retry(NoBackoff(), 0),  # the health monitor retries, with its own back-off
        )
        where = f"{endpoint.address}:{endpoint.port}"
        try:
            answer = await client.ping()
        except redis.exceptions.AuthenticationError as exc:
            return aspyre.HealthCheckResult.unhealthy(
                f"PING {where}: the server refused the password of {r.name!r} ({exc})", exc
            )
        except (redis.exceptions.RedisError, OSError) as exc:
            return aspyre.HealthCheckResult.unhealthy(f"PING {where} failed: {type(exc).__name__}: {exc}", exc)
        finally:
            await client.aclose()
        if answer is True:
            return aspyre.HealthCheckResult.healthy(f"PING {where} -> PONG")
        return aspyre.HealthCheckResult.unhealthy(f"PING {where} answered {answer!r}")
