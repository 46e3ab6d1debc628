"""Run-mode knobs of one app (``app.options``)."""

from __future__ import annotations

import math
from typing import Any

import attrs

from .._model._annotations import WaitBehavior

__all__ = ["AppOptions"]


def _seconds(*, positive: bool) -> Any:
    """A validator: a finite number of seconds, > 0 (*positive*) or >= 0."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        bound = "> 0" if positive else ">= 0"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"app.options.{attribute.name} must be a number of seconds, not {value!r}")
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise ValueError(f"app.options.{attribute.name} must be a number of seconds {bound}, not {value!r}")

    return check


def _count(unit: str) -> Any:
    """A validator: a whole number of *unit* (lines, bytes), > 0."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"app.options.{attribute.name} must be a positive number of {unit}, not {value!r}")
        if value <= 0:
            raise ValueError(f"app.options.{attribute.name} must be a positive number of {unit}, not {value!r}")

    return check


def _flag(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"app.options.{attribute.name} must be True or False, not {value!r}")


def _wait_behavior(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, WaitBehavior):
        raise TypeError(f"app.options.{attribute.name} must be an aspyre.WaitBehavior, not {value!r}")


@attrs.define
class AppOptions:
    """Run-mode knobs of one app (``app.options``); the pytest plugin and ``aspyre run`` change some.

    Values are checked when set: ``app.options.stop_grace_period = -1`` raises :class:`ValueError`.
    """

    #: What waiters do when a dependency fails, unless the wait says otherwise.
    default_wait_behavior: WaitBehavior = attrs.field(
        default=WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE, validator=_wait_behavior
    )
    #: Ignore fixed ports of containers and of proxied endpoints (tests), choosing free ones instead.
    randomize_ports: bool = attrs.field(default=False, validator=_flag)
    #: Seconds between SIGTERM and SIGKILL when stopping a process or container.
    stop_grace_period: float = attrs.field(default=10.0, validator=_seconds(positive=False))
    #: Seconds to wait for the container runtime before declaring it unhealthy.
    container_runtime_timeout: float = attrs.field(default=5.0, validator=_seconds(positive=True))
    #: ``run()`` prints state changes and resource log lines to stdout.
    console_output: bool = attrs.field(default=True, validator=_flag)
    #: Log lines kept per resource (``app.resource_loggers.backlog``); read when the app starts.
    log_backlog_lines: int = attrs.field(default=10_000, validator=_count("lines"))
    #: Bytes of log text (UTF-8) kept per resource, whatever the number of lines; read when the app starts.
    log_backlog_bytes: int = attrs.field(default=4 * 1024 * 1024, validator=_count("bytes"))
