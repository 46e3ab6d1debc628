"""OTLP requests built with the official ``opentelemetry-proto`` messages, for the receiver's tests and the bench."""

from __future__ import annotations

import os
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

BASE_NS = 1_700_000_000_000_000_000


def resource(service: str, instance: str = "") -> Resource:
    r = Resource()
    r.attributes.add(key="service.name").value.string_value = service
    if instance:
        r.attributes.add(key="service.instance.id").value.string_value = instance
    r.attributes.add(key="telemetry.sdk.language").value.string_value = "python"
    return r


def attrs(target: Any, **values: object) -> None:
    for key, value in values.items():
        kv: KeyValue = target.add(key=key)
        if isinstance(value, bool):
            kv.value.bool_value = value
        elif isinstance(value, int):
            kv.value.int_value = value
        elif isinstance(value, float):
            kv.value.double_value = value
        else:
            kv.value.string_value = str(value)


def traces(
    service: str,
    count: int,
    *,
    spans_per_trace: int = 1,
    trace_ids: list[bytes] | None = None,
    error_every: int = 0,
    attributes: int = 6,
) -> ExportTraceServiceRequest:
    """``count`` spans of ``service`` in traces of ``spans_per_trace`` (a root, then its children)."""
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.CopyFrom(resource(service, f"{service}-1"))
    ss = rs.scope_spans.add()
    ss.scope.name = "tests.otlp"
    trace_id = b""
    root = b""
    for i in range(count):
        if i % spans_per_trace == 0:
            trace_id = trace_ids[i // spans_per_trace] if trace_ids else os.urandom(16)
            root = b""
        span = ss.spans.add()
        span.trace_id = trace_id
        span.span_id = os.urandom(8)
        if root:
            span.parent_span_id = root
        else:
            root = span.span_id
        span.name = "GET /items" if not span.parent_span_id else "SELECT items"
        span.kind = 2 if not span.parent_span_id else 3
        span.start_time_unix_nano = BASE_NS + i * 1_000_000
        span.end_time_unix_nano = BASE_NS + i * 1_000_000 + 500_000
        attrs(span.attributes, **{f"attr.{k}": f"value-{k}" for k in range(attributes)})
        if error_every and i % error_every == 0:
            span.status.code = 2
            span.status.message = "boom"
    return request


def logs(service: str, messages: list[tuple[int, str]], trace_id: bytes = b"") -> ExportLogsServiceRequest:
    """Records of ``service``: ``(severity number, message)`` each."""
    request = ExportLogsServiceRequest()
    rl = request.resource_logs.add()
    rl.resource.CopyFrom(resource(service))
    sl = rl.scope_logs.add()
    sl.scope.name = "tests.logs"
    for i, (severity, message) in enumerate(messages):
        record = sl.log_records.add()
        record.time_unix_nano = BASE_NS + i
        record.severity_number = severity  # type: ignore[assignment]
        record.body.string_value = message
        if trace_id:
            record.trace_id = trace_id
            record.span_id = os.urandom(8)
        attrs(record.attributes, **{"code.function.name": "handler", "n": i})
    return request


def counter(service: str, name: str, values: list[tuple[int, float]], item: str = "book") -> ExportMetricsServiceRequest:
    """One cumulative counter's points: ``(time offset in seconds, value)``."""
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    rm.resource.CopyFrom(resource(service))
    sm = rm.scope_metrics.add()
    sm.scope.name = "tests.meter"
    metric = sm.metrics.add(name=name, unit="{order}", description="Orders")
    metric.sum.is_monotonic = True
    metric.sum.aggregation_temporality = 2  # type: ignore[assignment]
    for seconds, value in values:
        point = metric.sum.data_points.add()
        point.time_unix_nano = BASE_NS + seconds * 1_000_000_000
        point.as_double = value
        attrs(point.attributes, item=item)
    return request


def histogram(service: str, name: str, snapshots: list[tuple[int, list[int]]], bounds: list[float]) -> ExportMetricsServiceRequest:
    """One cumulative histogram: ``(time offset in seconds, bucket counts)`` per point."""
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    rm.resource.CopyFrom(resource(service))
    sm = rm.scope_metrics.add()
    sm.scope.name = "tests.meter"
    metric = sm.metrics.add(name=name, unit="ms")
    metric.histogram.aggregation_temporality = 2  # type: ignore[assignment]
    for seconds, counts in snapshots:
        point = metric.histogram.data_points.add()
        point.time_unix_nano = BASE_NS + seconds * 1_000_000_000
        point.count = sum(counts)
        point.sum = float(sum(c * b for c, b in zip(counts, [*bounds, bounds[-1]], strict=True)))
        point.bucket_counts.extend(counts)
        point.explicit_bounds.extend(bounds)
    return request
