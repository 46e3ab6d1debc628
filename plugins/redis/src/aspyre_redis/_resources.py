"""The Redis resource types and the pinned images."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import attrs

import aspyre

if TYPE_CHECKING:
    from ._persistence import RedisPersistenceAnnotation

__all__ = [
    "PRIMARY_ENDPOINT_NAME",
    "REDIS_COMMANDER_IMAGE",
    "REDIS_COMMANDER_TAG",
    "REDIS_IMAGE",
    "REDIS_INSIGHT_IMAGE",
    "REDIS_INSIGHT_TAG",
    "REDIS_PORT",
    "REDIS_SCHEME",
    "REDIS_TAG",
    "RedisResource",
]

#: The Redis server image (Docker Hub's official image).
REDIS_IMAGE = "docker.io/library/redis"
#: The Redis image tag users get (the one Aspire pins).
REDIS_TAG = "8.6"
#: The port Redis listens on inside its container.
REDIS_PORT = 6379
#: The URI scheme of Redis endpoints (``redis://``, as registered with IANA and used by Aspire).
REDIS_SCHEME = "redis"
#: The name of a Redis resource's endpoint.
PRIMARY_ENDPOINT_NAME = "tcp"

#: The Redis Commander image (its maintainers publish no better tag than ``latest``).
REDIS_COMMANDER_IMAGE = "docker.io/rediscommander/redis-commander"
REDIS_COMMANDER_TAG = "latest"
#: The Redis Insight image.
REDIS_INSIGHT_IMAGE = "docker.io/redis/redisinsight"
REDIS_INSIGHT_TAG = "3.0"


@attrs.define(eq=False, repr=False)
class RedisResource(aspyre.ContainerResource, aspyre.IResourceWithConnectionString):
    """A Redis server in a container.

    Its connection string is ``host:port[,password=...]`` (StackExchange.Redis style, as in
    Aspire); its connection properties ``Host``, ``Port``, ``Password`` (when it has one) and
    ``Uri`` (``redis://[:password@]host:port``, password percent-encoded) reach resources that
    reference it as ``{NAME}_HOST``, ``{NAME}_PORT``, ``{NAME}_PASSWORD`` and ``{NAME}_URI``.
    """

    resource_type: ClassVar[str] = "Container"

    #: The parameter holding the password; ``None``: no authentication (``with_password(None)``).
    password_parameter: aspyre.ParameterResource | None = attrs.field(default=None, kw_only=True)

    @property
    def primary_endpoint(self) -> aspyre.EndpointReference:
        """The ``tcp`` endpoint (target port 6379)."""
        return self.get_endpoint(PRIMARY_ENDPOINT_NAME)

    @property
    def host(self) -> aspyre.model.EndpointReferenceExpression:
        """The host of the primary endpoint, as a value."""
        return self.primary_endpoint.property(aspyre.EndpointProperty.HOST)

    @property
    def port(self) -> aspyre.model.EndpointReferenceExpression:
        """The port of the primary endpoint, as a value."""
        return self.primary_endpoint.property(aspyre.EndpointProperty.PORT)

    @property
    def tls_enabled(self) -> bool:
        """Whether the primary endpoint uses TLS (aspyre does not configure TLS for Redis yet)."""
        return self.primary_endpoint.tls_enabled

    @property
    def connection_string_expression(self) -> aspyre.ReferenceExpression:
        """``{host}:{port}[,password={password}]``."""
        b = aspyre.model.ReferenceExpressionBuilder()
        b.append_formatted(self.host).append_literal(":").append_formatted(self.port)
        if self.password_parameter is not None:
            b.append_literal(",password=").append_formatted(self.password_parameter)
        if self.tls_enabled:
            b.append_literal(",ssl=true")
        return b.build()

    @property
    def uri_expression(self) -> aspyre.ReferenceExpression:
        """``redis://[:{password, percent-encoded}@]{host}:{port}`` (the scheme is the endpoint's)."""
        b = aspyre.model.ReferenceExpressionBuilder()
        b.append_formatted(self.primary_endpoint.property(aspyre.EndpointProperty.SCHEME)).append_literal("://")
        if self.password_parameter is not None:
            b.append_literal(":").append_formatted(self.password_parameter, "uri").append_literal("@")
        b.append_formatted(self.host).append_literal(":").append_formatted(self.port)
        return b.build()

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        """``Host``, ``Port``, ``Password`` (when set) and ``Uri``, in that order (as in Aspire)."""
        props: list[tuple[str, object]] = [
            ("Host", aspyre.ReferenceExpression.format("{}", self.host)),
            ("Port", aspyre.ReferenceExpression.format("{}", self.port)),
        ]
        if self.password_parameter is not None:
            props.append(("Password", aspyre.ReferenceExpression.format("{}", self.password_parameter)))
        props.append(("Uri", self.uri_expression))
        return props

    @property
    def persistence(self) -> RedisPersistenceAnnotation | None:
        """The snapshot settings (``with_persistence``), if any."""
        from ._persistence import RedisPersistenceAnnotation

        return self.annotations.last(RedisPersistenceAnnotation)
