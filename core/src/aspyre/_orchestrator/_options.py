"""Run-mode knobs of one app (``app.options``)."""

from __future__ import annotations

import math
import os
import urllib.parse
from typing import Any

import attrs

from aspyre._public import present_top_level as _present_top_level

from .._model._dependencies import WaitBehavior

__all__ = ["ENV_OTLP_ENDPOINT_URL", "ENV_OTLP_GRPC_ENDPOINT_URL", "AppOptions"]

#: Where resources send OTLP/HTTP (Aspire's ``ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL``): ``http://HOST:PORT``.
ENV_OTLP_ENDPOINT_URL = "ASPYRE_OTLP_ENDPOINT_URL"
#: Where resources that ask for ``grpc`` send OTLP/gRPC (Aspire's ``ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL``).
ENV_OTLP_GRPC_ENDPOINT_URL = "ASPYRE_OTLP_GRPC_ENDPOINT_URL"


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


def _url_problem(value: str) -> str | None:
    parts = urllib.parse.urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None or parts.path not in ("", "/"):
        return f"must be http://HOST:PORT or https://HOST:PORT (no path), not {value!r}"
    if parts.username or parts.password or parts.query or parts.fragment:
        return f"must be http://HOST:PORT or https://HOST:PORT, without user, query or fragment: {value!r}"
    return None


def _url(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A validator: ``None`` or ``http(s)://HOST:PORT`` (no path: the SDKs add ``/v1/traces``...)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"app.options.{attribute.name} must be a URL (str) or None, not {value!r}")
    problem = _url_problem(value)
    if problem is not None:
        raise ValueError(f"app.options.{attribute.name} {problem}")


def _secret(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value or any(c in value for c in ",=\r\n")):
        raise ValueError(f"app.options.{attribute.name} must be None or a non-empty str without ',', '=' or newlines")


def _url_from_env(name: str) -> Any:
    """A default read from the environment variable ``name`` when the options are made (empty: unset)."""

    def read() -> str | None:
        value = os.environ.get(name, "").strip() or None
        if value is not None:
            problem = _url_problem(value)
            if problem is not None:
                raise ValueError(f"{name} {problem}; unset it, or set it to where OTLP should go")
        return value

    return attrs.Factory(read)


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
    #: Seconds one health check may take; past it, it reports Unhealthy (a sync check's thread is abandoned).
    health_check_timeout: float = attrs.field(default=10.0, validator=_seconds(positive=True))
    #: Seconds the event loop may be blocked (by a sync callback) before a warning names the callback.
    blocked_loop_warning: float = attrs.field(default=5.0, validator=_seconds(positive=True))
    #: ``run()`` prints state changes and resource log lines to stdout.
    console_output: bool = attrs.field(default=True, validator=_flag)
    #: Log lines kept per resource (``app.resource_loggers.backlog``); read when the app starts.
    log_backlog_lines: int = attrs.field(default=10_000, validator=_count("lines"))
    #: Bytes of log text (UTF-8) kept per resource, whatever the number of lines; read when the app starts.
    log_backlog_bytes: int = attrs.field(default=4 * 1024 * 1024, validator=_count("bytes"))
    #: Where resources send telemetry over OTLP/HTTP (``http://HOST:PORT``); ``None``: nowhere, no ``OTEL_*``
    #: variables are injected. Default: ``$ASPYRE_OTLP_ENDPOINT_URL``; the dashboard sets it to its receiver.
    #: Containers get the same address through the container runtime's name for the host.
    otlp_endpoint_url: str | None = attrs.field(default=_url_from_env(ENV_OTLP_ENDPOINT_URL), validator=_url)
    #: The same for resources that export with ``protocol="grpc"``. Default: ``$ASPYRE_OTLP_GRPC_ENDPOINT_URL``.
    otlp_grpc_endpoint_url: str | None = attrs.field(default=_url_from_env(ENV_OTLP_GRPC_ENDPOINT_URL), validator=_url)
    #: Sent as ``x-otlp-api-key`` by every exporting resource (``OTEL_EXPORTER_OTLP_HEADERS``, a secret; never in a repr).
    otlp_api_key: str | None = attrs.field(default=None, validator=_secret, repr=False)


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
