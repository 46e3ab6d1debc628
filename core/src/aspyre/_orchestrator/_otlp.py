"""The ``OTEL_*`` variables of a resource that exports telemetry (run mode; Aspire's ``WithOtlpExporter``).

Injected under the resource's own environment (a variable the resource sets itself wins), and only
when the app has somewhere to send telemetry (``app.options.otlp_endpoint_url``). The names and the
short export intervals are the ones Aspire sets for local development
(``KnownOtelConfigNames``); the variables are the OpenTelemetry SDKs' standard configuration.
"""

from __future__ import annotations

import secrets
import urllib.parse

import attrs

from .._model._otlp import otlp_exporter
from .._model._python import PythonAppResource
from .._model._resources import IResource

__all__ = ["HEADERS", "OtlpEnvironment", "instance_id", "otlp_environment"]

ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL"
#: Carries the API key: a secret (masked in snapshots and the dashboard).
HEADERS = "OTEL_EXPORTER_OTLP_HEADERS"
SERVICE_NAME = "OTEL_SERVICE_NAME"
RESOURCE_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES"
#: The header the key travels in (Aspire's dashboard reads the same).
API_KEY_HEADER = "x-otlp-api-key"

#: Milliseconds: export within a second, so the dashboard shows telemetry while you look (Aspire's development values).
_DEVELOPMENT = {
    "OTEL_BSP_SCHEDULE_DELAY": "1000",
    "OTEL_BLRP_SCHEDULE_DELAY": "1000",
    "OTEL_METRIC_EXPORT_INTERVAL": "1000",
    "OTEL_TRACES_SAMPLER": "always_on",
    "OTEL_METRICS_EXEMPLAR_FILTER": "trace_based",
}
#: What Aspire's Python apps get on top: every signal through OTLP, and the standard library's logging
#: captured (``opentelemetry-instrument`` reads these).
_PYTHON = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_LOGS_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "otlp",
    "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": "true",
}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@attrs.frozen
class OtlpEnvironment:
    """The variables to inject, and which of them are secrets."""

    env: dict[str, str]
    secret: frozenset[str]


def instance_id(resource: IResource) -> str:
    """A fresh ``service.instance.id`` for one run of ``resource``: its name and a random suffix (as DCP names replicas)."""
    return f"{resource.name}-{secrets.token_hex(4)}"


def _for_host(url: str, host: str | None) -> str:
    """``url`` as a caller reaches it: a loopback host becomes ``host`` (a container's name for the app host's machine)."""
    if host is None:
        return url
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in _LOOPBACK:
        return url
    return urllib.parse.urlunsplit((parts.scheme, f"{host}:{parts.port}", "", "", ""))


def otlp_environment(
    resource: IResource,
    *,
    http_url: str | None,
    grpc_url: str | None,
    api_key: str | None,
    instance: str,
    host_alias: str | None = None,
) -> OtlpEnvironment | None:
    """The ``OTEL_*`` variables of ``resource``, or ``None`` when it does not export or there is nowhere to send to.

    ``host_alias``: the name a container reaches the app host's machine by (``host.docker.internal``);
    ``None`` for a process. The protocol is the resource's choice, else OTLP/HTTP with protobuf, else
    gRPC when only a gRPC address is known. (A Python app whose environment has ``opentelemetry-instrument``
    runs through it: :mod:`._python`; these variables configure its exporters.)
    """
    exporter = otlp_exporter(resource)
    if exporter is None:
        return None
    protocol = exporter.protocol
    if protocol is None:
        protocol = "http/protobuf" if http_url is not None else "grpc"
    url = grpc_url if protocol == "grpc" else http_url
    if url is None:
        return None
    env = {
        ENDPOINT: _for_host(url.rstrip("/"), host_alias),
        PROTOCOL: protocol,
        SERVICE_NAME: resource.name,
        RESOURCE_ATTRIBUTES: f"service.instance.id={instance}",
        **_DEVELOPMENT,
    }
    secret: set[str] = set()
    if api_key is not None:
        env[HEADERS] = f"{API_KEY_HEADER}={api_key}"
        secret.add(HEADERS)
    if isinstance(resource, PythonAppResource):
        env.update(_PYTHON)
    return OtlpEnvironment(env, frozenset(secret))
