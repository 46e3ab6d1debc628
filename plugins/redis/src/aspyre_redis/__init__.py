"""Redis hosting integration for aspyre: ``builder.add_redis("cache")``.

Installed, it adds ``add_redis`` to the app builder and ``with_persistence``,
``with_data_volume``, ``with_data_bind_mount``, ``with_host_port``, ``with_password``,
``with_redis_commander`` and ``with_redis_insight`` to Redis resource builders (through entry
points: app hosts do not import this package). See ``docs/integrations/redis.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aspyre.plugins import lazy_exports as _lazy_exports

from ._builder import (
    add_redis,
    data_volume_name,
    with_data_bind_mount,
    with_data_volume,
    with_host_port,
    with_password,
)
from ._health import RedisHealthCheck
from ._resources import (
    REDIS_COMMANDER_IMAGE,
    REDIS_COMMANDER_TAG,
    REDIS_IMAGE,
    REDIS_INSIGHT_IMAGE,
    REDIS_INSIGHT_TAG,
    REDIS_PORT,
    REDIS_SCHEME,
    REDIS_TAG,
    RedisResource,
)

__all__ = [
    "REDIS_COMMANDER_IMAGE",
    "REDIS_COMMANDER_TAG",
    "REDIS_IMAGE",
    "REDIS_INSIGHT_IMAGE",
    "REDIS_INSIGHT_TAG",
    "REDIS_PORT",
    "REDIS_SCHEME",
    "REDIS_TAG",
    "RedisCommanderResource",
    "RedisConnectionOptions",
    "RedisHealthCheck",
    "RedisInsightResource",
    "RedisPersistenceAnnotation",
    "RedisResource",
    "add_redis",
    "data_volume_name",
    "parse_redis_connection_string",
    "with_data_bind_mount",
    "with_data_volume",
    "with_host_port",
    "with_password",
    "with_persistence",
    "with_redis_commander",
    "with_redis_insight",
]

if TYPE_CHECKING:
    from ._connection import RedisConnectionOptions, parse_redis_connection_string
    from ._helpers import RedisCommanderResource, RedisInsightResource, with_redis_commander, with_redis_insight
    from ._persistence import RedisPersistenceAnnotation, with_persistence

#: Names imported on first use (the module that holds each): what the health check reads when it runs, the
#: helper containers and the persistence settings (an entry point resolves its method through this package).
_LAZY: dict[str, str] = {
    **dict.fromkeys(["RedisConnectionOptions", "parse_redis_connection_string"], "._connection"),
    **dict.fromkeys(["RedisCommanderResource", "RedisInsightResource", "with_redis_commander", "with_redis_insight"], "._helpers"),
    **dict.fromkeys(["RedisPersistenceAnnotation", "with_persistence"], "._persistence"),
}


if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error for them
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY)
