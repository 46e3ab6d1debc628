"""Redis hosting integration for aspyre: ``builder.add_redis("cache")``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import attrs

import aspyre

__all__ = ["REDIS_IMAGE", "REDIS_TAG", "RedisResource", "add_redis"]

REDIS_IMAGE = "docker.io/library/redis"
#: The image tag users get (the one Aspire pins).
REDIS_TAG = "8.6"


@attrs.define(eq=False, repr=False)
class RedisResource(aspyre.ContainerResource, aspyre.IResourceWithConnectionString):
    """A Redis server in a container; its connection string is ``host:port[,password=...]``."""

    resource_type: ClassVar[str] = "Container"

    password_parameter: aspyre.ParameterResource | None = attrs.field(default=None, kw_only=True)

    @property
    def primary_endpoint(self) -> aspyre.EndpointReference:
        return self.get_endpoint("tcp")

    @property
    def connection_string_expression(self) -> aspyre.ReferenceExpression:
        ep = self.primary_endpoint
        b = aspyre.ReferenceExpressionBuilder()
        b.append_formatted(ep.property(aspyre.EndpointProperty.HOST)).append_literal(":")
        b.append_formatted(ep.property(aspyre.EndpointProperty.PORT))
        if self.password_parameter is not None:
            b.append_literal(",password=").append_formatted(self.password_parameter)
        return b.build()

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        ep = self.primary_endpoint
        host = ep.property(aspyre.EndpointProperty.HOST)
        port = ep.property(aspyre.EndpointProperty.PORT)
        props: list[tuple[str, object]] = [("Host", host), ("Port", port)]
        if self.password_parameter is not None:
            props.append(("Password", self.password_parameter))
            uri = aspyre.ReferenceExpression.format(
                "redis://:{pw:uri}@{host}:{port}", pw=self.password_parameter, host=host, port=port
            )
        else:
            uri = aspyre.ReferenceExpression.format("redis://{host}:{port}", host=host, port=port)
        props.append(("Uri", uri))
        return props


def add_redis(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    port: int | None = None,
    password: aspyre.ResourceBuilder[aspyre.ParameterResource] | None = None,
) -> aspyre.ResourceBuilder[RedisResource]:
    """Add a Redis server; the password is a generated secret parameter ``{name}-password`` unless given."""
    aspyre.validate_name("Resource", name)
    if password is None:
        password = builder.add_parameter(
            f"{name}-password", secret=True, default=aspyre.GenerateParameterDefault(special=False)
        )
    resource = RedisResource(name, password_parameter=password.resource)
    rb = builder.add_resource(resource)
    rb.with_image(REDIS_IMAGE, REDIS_TAG).with_endpoint(port=port, target_port=6379, name="tcp", scheme="tcp")
    rb.with_entrypoint("/bin/sh")
    rb.with_environment("REDIS_PASSWORD", password)
    rb.with_args("-c", "redis-server --requirepass $REDIS_PASSWORD")
    return rb
