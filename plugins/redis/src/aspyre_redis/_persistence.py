"""``with_persistence()`` and its annotation: imported when an app host asks for snapshots (or a data volume)."""

from __future__ import annotations

import datetime as dt

import attrs

import aspyre

from ._resources import RedisResource

__all__ = ["RedisPersistenceAnnotation", "with_persistence"]


@attrs.frozen
class RedisPersistenceAnnotation(aspyre.annotations.ResourceAnnotation):
    """Snapshot the data set to ``/data`` every ``interval`` seconds if at least
    ``keys_changed_threshold`` keys changed (``redis-server --save <interval> <threshold>``)."""

    interval: int = 60
    keys_changed_threshold: int = 1


@aspyre.plugins.resource_extension(RedisResource)
def with_persistence(
    builder: aspyre.ResourceBuilder[RedisResource],
    interval: float | dt.timedelta = 60,
    keys_changed_threshold: int = 1,
) -> aspyre.ResourceBuilder[RedisResource]:
    """Snapshot the data to ``/data`` every ``interval`` seconds when at least
    ``keys_changed_threshold`` keys changed (``redis-server --save 60 1`` by default).

    Redis also saves when it is stopped. Replaces earlier persistence settings; use with
    ``with_data_volume()`` or ``with_data_bind_mount()`` to keep the snapshots across runs.
    """
    name = builder.name
    seconds = interval.total_seconds() if isinstance(interval, dt.timedelta) else interval
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 1 or seconds != int(seconds):
        raise ValueError(
            f"Redis resource {name!r}: the persistence interval must be a whole number of seconds >= 1 "
            f"(redis-server --save takes seconds), got {interval!r}"
        )
    if (
        isinstance(keys_changed_threshold, bool)
        or not isinstance(keys_changed_threshold, int)
        or keys_changed_threshold < 0
    ):
        raise ValueError(
            f"Redis resource {name!r}: keys_changed_threshold must be an int >= 0, got {keys_changed_threshold!r}"
        )
    return builder.with_annotation(
        RedisPersistenceAnnotation(int(seconds), keys_changed_threshold), aspyre.annotations.MutationBehavior.REPLACE
    )
