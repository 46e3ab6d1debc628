"""How much telemetry the dashboard keeps, and how big a request it takes: read from the environment.

The limits are per resource (a noisy app cannot push a quiet one's data out), as Aspire's dashboard
keeps ``TelemetryLimits`` (10,000 log entries and 10,000 traces by default).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["ENV_LIMITS", "TelemetryConfigError", "TelemetryOptions"]


class TelemetryConfigError(ValueError):
    """A telemetry setting is wrong; the message names the variable."""


#: Option name -> (environment variable, default, smallest value allowed).
ENV_LIMITS: dict[str, tuple[str, int, int]] = {
    "max_log_count": ("ASPYRE_DASHBOARD_MAX_LOG_COUNT", 10_000, 1),
    "max_trace_count": ("ASPYRE_DASHBOARD_MAX_TRACE_COUNT", 10_000, 1),
    "max_spans_per_trace": ("ASPYRE_DASHBOARD_MAX_SPANS_PER_TRACE", 5_000, 1),
    "max_metric_points": ("ASPYRE_DASHBOARD_MAX_METRIC_POINTS", 1_000, 2),
    "max_request_bytes": ("ASPYRE_DASHBOARD_OTLP_MAX_REQUEST_BYTES", 8 * 1024 * 1024, 1024),
    "max_resource_count": ("ASPYRE_DASHBOARD_MAX_RESOURCE_COUNT", 1_000, 1),
}


class TelemetryOptions:
    """Limits of the telemetry the dashboard keeps (each can be set through its environment variable).

    ``max_log_count``: log entries kept per resource; ``max_trace_count``: traces kept per resource
    (a trace across two resources counts for both); ``max_spans_per_trace``: spans kept of one trace
    (more are counted, not kept); ``max_metric_points``: points kept per metric series;
    ``max_request_bytes``: the largest OTLP request body taken, after decompression (413 beyond);
    ``max_resource_count``: distinct ``service.name``s kept (telemetry of a new one beyond it is refused).
    """

    __slots__ = tuple(ENV_LIMITS)

    max_log_count: int
    max_trace_count: int
    max_spans_per_trace: int
    max_metric_points: int
    max_request_bytes: int
    max_resource_count: int

    def __init__(self, **limits: int) -> None:
        unknown = set(limits) - set(ENV_LIMITS)
        if unknown:
            raise TypeError(f"unknown telemetry option(s): {', '.join(sorted(unknown))}")
        for name, (_, default, smallest) in ENV_LIMITS.items():
            value = limits.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
                raise TelemetryConfigError(f"{name} must be an int of at least {smallest}, not {value!r}")
            setattr(self, name, value)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in ENV_LIMITS)
        return f"TelemetryOptions({inner})"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TelemetryOptions:
        """Read each limit's variable (raises :class:`TelemetryConfigError` naming a bad one)."""
        env = os.environ if environ is None else environ
        limits: dict[str, int] = {}
        for name, (variable, _, smallest) in ENV_LIMITS.items():
            raw = env.get(variable, "").strip().replace("_", "")
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError:
                raise TelemetryConfigError(f"{variable}={env.get(variable)!r}: give a whole number") from None
            if value < smallest:
                raise TelemetryConfigError(f"{variable}={value}: the smallest value is {smallest}")
            limits[name] = value
        return cls(**limits)
