"""Redis Commander and Redis Insight: the web UIs ``with_redis_commander()`` and ``with_redis_insight()`` add.

Imported when an app host adds one (the entry points resolve these names through the package), not by
``add_redis``: their classes are named as strings in the ``resource_extension`` declarations of the methods that
also apply to them (``with_host_port``, ``with_data_volume``...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

import attrs

import aspyre

from ._resources import (
    REDIS_COMMANDER_IMAGE,
    REDIS_COMMANDER_TAG,
    REDIS_INSIGHT_IMAGE,
    REDIS_INSIGHT_TAG,
    RedisResource,
)

__all__ = ["RedisCommanderResource", "RedisInsightResource", "with_redis_commander", "with_redis_insight"]

#: Relationship types shown between a helper container and the Redis resources it serves.
RELATIONSHIP_COMMANDER = "RedisCommander"
RELATIONSHIP_INSIGHT = "RedisInsight"


@attrs.define(eq=False, repr=False)
class RedisCommanderResource(aspyre.ContainerResource):
    """A Redis Commander container (web UI) connected to every Redis resource of the app."""

    resource_type: ClassVar[str] = "Container"

    @property
    def primary_endpoint(self) -> aspyre.EndpointReference:
        """The ``http`` endpoint (target port 8081)."""
        return self.get_endpoint("http")


@attrs.define(eq=False, repr=False)
class RedisInsightResource(aspyre.ContainerResource):
    """A Redis Insight container (web UI) connected to every Redis resource of the app."""

    resource_type: ClassVar[str] = "Container"

    @property
    def primary_endpoint(self) -> aspyre.EndpointReference:
        """The ``http`` endpoint (target port 5540)."""
        return self.get_endpoint("http")


H = TypeVar("H", RedisCommanderResource, RedisInsightResource)


def _helper(
    builder: aspyre.ResourceBuilder[RedisResource],
    kind: type[H],
    default_name: str,
    name: str | None,
    relationship: str,
    create: Callable[[aspyre.DistributedApplicationBuilder, str], aspyre.ResourceBuilder[H]],
    configure: Callable[[aspyre.ResourceBuilder[H]], object] | None,
) -> aspyre.ResourceBuilder[RedisResource]:
    app_builder = builder.application_builder
    existing = next((r for r in app_builder.resources if isinstance(r, kind)), None)
    if existing is not None:
        helper = app_builder.create_resource_builder(existing)
    else:
        helper = create(app_builder, name or default_name)
        helper.exclude_from_manifest()

        def relate_all(event: aspyre.events.BeforeStartEvent) -> None:
            # The helper serves every Redis resource of the app, also those added later.
            for r in app_builder.resources:
                if isinstance(r, RedisResource):
                    helper.with_relationship(r, relationship)

        app_builder.eventing.subscribe(aspyre.events.BeforeStartEvent, relate_all)
    helper.with_relationship(builder.resource, relationship)
    if configure is not None:
        configure(helper)
    return builder


def _redis_resources(app_builder: aspyre.DistributedApplicationBuilder) -> list[RedisResource]:
    return [r for r in app_builder.resources if isinstance(r, RedisResource)]


def _new_commander(
    app_builder: aspyre.DistributedApplicationBuilder, name: str
) -> aspyre.ResourceBuilder[RedisCommanderResource]:
    hb = app_builder.add_resource(RedisCommanderResource(name))
    hb.with_image(REDIS_COMMANDER_IMAGE, REDIS_COMMANDER_TAG).with_http_endpoint(target_port=8081, name="http")

    def environment(context: aspyre.annotations.EnvironmentCallbackContext) -> None:
        # REDIS_HOSTS = label:host:port:db[:password],... with each server's address as the helper
        # (a container) sees it: <resource name>:6379 on the container network.
        servers = _redis_resources(app_builder)
        if not servers:
            return
        b = aspyre.model.ReferenceExpressionBuilder()
        for i, r in enumerate(servers):
            if i:
                b.append_literal(",")
            b.append_literal(f"{r.name}:").append_formatted(r.host).append_literal(":").append_formatted(r.port)
            b.append_literal(":0")
            if r.password_parameter is not None:
                b.append_literal(":").append_formatted(r.password_parameter)
        context.environment["REDIS_HOSTS"] = b.build()

    hb.with_environment(environment)
    return hb


def _new_insight(
    app_builder: aspyre.DistributedApplicationBuilder, name: str
) -> aspyre.ResourceBuilder[RedisInsightResource]:
    hb = app_builder.add_resource(RedisInsightResource(name))
    hb.with_image(REDIS_INSIGHT_IMAGE, REDIS_INSIGHT_TAG).with_http_endpoint(target_port=5540, name="http")

    def environment(context: aspyre.annotations.EnvironmentCallbackContext) -> None:
        # One numbered group of RI_REDIS_* variables per server, as the helper sees it.
        for n, r in enumerate(_redis_resources(app_builder), start=1):
            env = context.environment
            env[f"RI_REDIS_HOST{n}"] = r.host
            env[f"RI_REDIS_PORT{n}"] = r.port
            env[f"RI_REDIS_ALIAS{n}"] = r.name
            if r.tls_enabled:
                env[f"RI_REDIS_TLS{n}"] = "true"
            if r.password_parameter is not None:
                env[f"RI_REDIS_PASSWORD{n}"] = r.password_parameter

    hb.with_environment(environment)
    return hb


@aspyre.plugins.resource_extension(RedisResource)
def with_redis_commander(
    builder: aspyre.ResourceBuilder[RedisResource],
    configure: Callable[[aspyre.ResourceBuilder[RedisCommanderResource]], object] | None = None,
    name: str | None = None,
) -> aspyre.ResourceBuilder[RedisResource]:
    """Add Redis Commander (a web UI, ``docker.io/rediscommander/redis-commander:latest``).

    There is one per app, named ``rediscommander`` unless ``name`` is given the first time; it
    connects to every Redis resource of the app (``REDIS_HOSTS``, with their container-network
    addresses and passwords) and is left out of published manifests. ``configure`` receives its
    resource builder (``lambda c: c.with_host_port(8081)``).
    """
    return _helper(
        builder, RedisCommanderResource, "rediscommander", name, RELATIONSHIP_COMMANDER, _new_commander, configure
    )


@aspyre.plugins.resource_extension(RedisResource)
def with_redis_insight(
    builder: aspyre.ResourceBuilder[RedisResource],
    configure: Callable[[aspyre.ResourceBuilder[RedisInsightResource]], object] | None = None,
    name: str | None = None,
) -> aspyre.ResourceBuilder[RedisResource]:
    """Add Redis Insight (a web UI, ``docker.io/redis/redisinsight:3.0``).

    There is one per app, named ``redisinsight`` unless ``name`` is given the first time; it
    connects to every Redis resource of the app (``RI_REDIS_HOST1``, ``RI_REDIS_PORT1``,
    ``RI_REDIS_ALIAS1``, ``RI_REDIS_PASSWORD1``...) and is left out of published manifests.
    ``configure`` receives its resource builder (``with_host_port``, ``with_data_volume``...).
    """
    return _helper(builder, RedisInsightResource, "redisinsight", name, RELATIONSHIP_INSIGHT, _new_insight, configure)
