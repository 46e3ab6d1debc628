"""The telemetry the dashboard keeps: per resource, bounded rings of log entries and traces, and metrics.

:class:`TelemetryStore` takes the decoded OTLP export requests (from the HTTP receiver's worker thread or
from gRPC's threads) and answers the pages' questions (from the event loop's worker threads); one lock
keeps both apart. Adding costs a few microseconds per span or log record and nothing grows without
bound: when a resource's ring is full its oldest entry (or trace) goes.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from typing import Any

from ._metrics import add_metric
from ._options import TelemetryOptions
from ._records import SEVERITY_ERROR, STATUS_ERROR, LogEntry, ResourceData, SpanEntry, Trace
from ._values import any_value, display

__all__ = ["Accepted", "TelemetryStore"]

_intern = sys.intern
_NO_TRACE = bytes(16)
#: The ``service.name`` of telemetry that does not say (the SDKs' own default).
UNKNOWN_SERVICE = "unknown_service"
#: ``service.instance.id``s whose resource attributes are kept per resource (later ones are kept unnamed).
MAX_INSTANCES = 100


class Accepted:
    """What one export request added (and refused, for the OTLP ``partial_success`` answer)."""

    __slots__ = ("accepted", "reason", "rejected")

    def __init__(self) -> None:
        self.accepted = 0
        self.rejected = 0
        self.reason = ""

    def __repr__(self) -> str:
        return f"Accepted(accepted={self.accepted}, rejected={self.rejected}, reason={self.reason!r})"


def _resource_identity(resource: Any) -> tuple[str, str]:
    """``(service.name, service.instance.id)`` of an OTLP ``Resource``."""
    name = UNKNOWN_SERVICE
    instance = ""
    for kv in resource.attributes:
        key = kv.key
        if key == "service.name":
            name = kv.value.string_value or name
        elif key == "service.instance.id":
            instance = kv.value.string_value
    return name, instance


class TelemetryStore:
    """Every resource's telemetry, bounded by :class:`~aspyre_dashboard._telemetry._options.TelemetryOptions`."""

    def __init__(self, options: TelemetryOptions | None = None) -> None:
        self.options = options or TelemetryOptions()
        self.lock = threading.Lock()
        self.resources: dict[str, ResourceData] = {}
        #: Every trace kept, in the order its first span arrived.
        self.traces: dict[bytes, Trace] = {}
        #: Goes up with every change; pages ask for what changed after the number they saw.
        self.seq = 0
        self.log_version = 0
        self.trace_version = 0
        self.metric_version = 0

    def __repr__(self) -> str:
        return f"<TelemetryStore resources={len(self.resources)} traces={len(self.traces)}>"

    # -- resources ------------------------------------------------------------------------------------
    def _resource(self, otlp_resource: Any, result: Accepted, count: int) -> tuple[ResourceData, str] | None:
        """The resource an OTLP ``Resource`` names; ``None`` (its ``count`` items refused) when it is new and
        the store keeps ``max_resource_count`` resources already."""
        name, instance = _resource_identity(otlp_resource)
        data = self.resources.get(name)
        if data is None:
            if len(self.resources) >= self.options.max_resource_count:
                result.rejected += count
                result.reason = (
                    f"the dashboard keeps telemetry of {self.options.max_resource_count} services "
                    "(ASPYRE_DASHBOARD_MAX_RESOURCE_COUNT)"
                )
                return None
            data = self.resources[name] = ResourceData(name)
        if instance not in data.instances and len(data.instances) < MAX_INSTANCES:
            data.instances[instance] = [[kv.key, any_value(kv.value)] for kv in otlp_resource.attributes]
        return data, instance

    # -- adding (under the lock) ------------------------------------------------------------------------
    def add_traces(self, request: Any) -> Accepted:
        """Keep the spans of an ``ExportTraceServiceRequest``."""
        result = Accepted()
        max_traces = self.options.max_trace_count
        max_spans = self.options.max_spans_per_trace
        with self.lock:
            self.seq += 1
            seq = self.seq
            traces = self.traces
            for resource_spans in request.resource_spans:
                found = self._resource(
                    resource_spans.resource, result, sum(len(ss.spans) for ss in resource_spans.scope_spans)
                )
                if found is None:
                    continue
                data, instance = found
                name = data.name
                ring = data.trace_ids
                for scope_spans in resource_spans.scope_spans:
                    scope = _intern(scope_spans.scope.name)
                    for s in scope_spans.spans:
                        trace_id = s.trace_id
                        span_id = s.span_id
                        if len(trace_id) != 16 or len(span_id) != 8 or trace_id == _NO_TRACE:
                            result.rejected += 1
                            result.reason = "a span has no valid trace_id (16 bytes) or span_id (8 bytes)"
                            continue
                        trace = traces.get(trace_id)
                        if trace is None:
                            trace = traces[trace_id] = Trace(trace_id)
                        elif len(trace.spans) >= max_spans:
                            trace.dropped += 1
                            result.rejected += 1
                            result.reason = f"a trace has more than {max_spans} spans (the dashboard keeps that many)"
                            continue
                        if name not in trace.resources:
                            ring.append(trace_id)
                        trace.add(
                            SpanEntry(
                                span_id,
                                s.parent_span_id,
                                _intern(s.name),
                                s.kind,
                                s.start_time_unix_nano,
                                s.end_time_unix_nano,
                                s.status.code == STATUS_ERROR,
                                data,
                                instance,
                                scope,
                                s.SerializeToString(),
                            )
                        )
                        trace.seq = seq
                        data.spans += 1
                        data.span_total += 1
                        result.accepted += 1
                        if len(ring) > max_traces:
                            self._evict_trace(data)
            if result.accepted:
                self.trace_version += 1
        return result

    def _evict_trace(self, data: ResourceData) -> None:
        """Drop the spans of ``data``'s oldest trace (and the trace, if nothing else is left of it)."""
        trace_id = data.trace_ids.popleft()
        trace = self.traces.get(trace_id)
        if trace is None:
            return
        data.spans -= trace.remove_resource(data)
        if not trace.spans:
            del self.traces[trace_id]

    def add_logs(self, request: Any) -> Accepted:
        """Keep the records of an ``ExportLogsServiceRequest``."""
        result = Accepted()
        max_logs = self.options.max_log_count
        with self.lock:
            seq = self.seq
            for resource_logs in request.resource_logs:
                found = self._resource(
                    resource_logs.resource, result, sum(len(sl.log_records) for sl in resource_logs.scope_logs)
                )
                if found is None:
                    continue
                data, instance = found
                ring = data.logs
                for scope_logs in resource_logs.scope_logs:
                    scope = _intern(scope_logs.scope.name)
                    for r in scope_logs.log_records:
                        body = r.body
                        kind = body.WhichOneof("value")
                        if kind == "string_value":
                            message = body.string_value
                        elif kind is None:
                            message = r.event_name
                        else:
                            message = display(any_value(body))
                        seq += 1
                        severity = r.severity_number
                        if len(ring) >= max_logs and ring.popleft().severity >= SEVERITY_ERROR:
                            data.errors -= 1
                        ring.append(
                            LogEntry(
                                seq,
                                r.time_unix_nano or r.observed_time_unix_nano,
                                severity,
                                r.severity_text,
                                message,
                                r.trace_id,
                                r.span_id,
                                data,
                                instance,
                                scope,
                                r.SerializeToString(),
                            )
                        )
                        if severity >= SEVERITY_ERROR:
                            data.errors += 1
                        data.log_total += 1
                        result.accepted += 1
            self.seq = seq
            if result.accepted:
                self.log_version += 1
        return result

    def add_metrics(self, request: Any) -> Accepted:
        """Keep the points of an ``ExportMetricsServiceRequest``."""
        result = Accepted()
        with self.lock:
            self.seq += 1
            for resource_metrics in request.resource_metrics:
                found = self._resource(
                    resource_metrics.resource, result, sum(len(sm.metrics) for sm in resource_metrics.scope_metrics)
                )
                if found is None:
                    continue
                data = found[0]
                for scope_metrics in resource_metrics.scope_metrics:
                    scope = _intern(scope_metrics.scope.name)
                    for metric in scope_metrics.metrics:
                        added, refused = add_metric(data, scope, metric, self.options.max_metric_points, self.seq)
                        result.accepted += added
                        if refused:
                            result.rejected += refused
                            result.reason = "a resource sent more metrics or series than the dashboard keeps"
            if result.accepted:
                self.metric_version += 1
        return result

    # -- reading (callers hold the lock) -----------------------------------------------------------------
    def resource_names(self) -> list[str]:
        return sorted(self.resources, key=str.lower)

    def find(self, name: str | None) -> ResourceData | None:
        """The resource called ``name`` (case-insensitive, as resource names are)."""
        if name is None:
            return None
        found = self.resources.get(name)
        if found is not None:
            return found
        folded = name.casefold()
        return next((d for n, d in self.resources.items() if n.casefold() == folded), None)

    def error_counts(self) -> dict[str, int]:
        return {name: data.errors for name, data in self.resources.items() if data.errors}

    def all_resources(self) -> Iterable[ResourceData]:
        return list(self.resources.values())
