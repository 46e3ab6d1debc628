"""What the dashboard keeps of the telemetry it receives: small records, attributes left as protobuf bytes.

Per span and per log record only what lists and filters need is taken out of the message (ids, name,
times, status, severity, message); the rest stays in the record's own serialized bytes (``raw``),
decoded when a page shows it. That keeps both the work per span and the memory per span small.
"""

from __future__ import annotations

from collections import deque
from typing import Any

__all__ = ["Instrument", "LogEntry", "ResourceData", "Series", "SpanEntry", "Trace"]

#: ``Status.code`` of a span that failed.
STATUS_ERROR = 2
#: Log severity numbers from here up are errors (``ERROR``, ``FATAL``).
SEVERITY_ERROR = 17


class ResourceData:
    """Everything kept of one resource (one ``service.name``), with its own bounded rings."""

    __slots__ = (
        "errors",
        "instances",
        "log_total",
        "logs",
        "metric_points",
        "metrics",
        "name",
        "span_total",
        "spans",
        "trace_ids",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        #: ``service.instance.id`` -> the resource attributes it sent (first seen).
        self.instances: dict[str, list[list[Any]]] = {}
        self.logs: deque[LogEntry] = deque()
        #: Error log entries among :attr:`logs`.
        self.errors = 0
        #: Trace ids in the order this resource first added a span to each (the ring of its traces).
        self.trace_ids: deque[bytes] = deque()
        #: Spans of this resource currently kept.
        self.spans = 0
        self.log_total = 0
        self.span_total = 0
        self.metrics: dict[tuple[str, str], Instrument] = {}
        self.metric_points = 0


class SpanEntry:
    """One span: what the trace list and the waterfall need, and its message's bytes for the rest."""

    __slots__ = ("end", "error", "instance", "kind", "name", "parent_id", "raw", "resource", "scope", "span_id", "start")

    def __init__(
        self,
        span_id: bytes,
        parent_id: bytes,
        name: str,
        kind: int,
        start: int,
        end: int,
        error: bool,
        resource: ResourceData,
        instance: str,
        scope: str,
        raw: bytes,
    ) -> None:
        self.span_id = span_id
        self.parent_id = parent_id
        self.name = name
        self.kind = kind
        self.start = start
        self.end = end
        self.error = error
        self.resource = resource
        self.instance = instance
        self.scope = scope
        self.raw = raw


class Trace:
    """The spans of one trace id that are kept, and what the trace list shows of them."""

    __slots__ = ("dropped", "end", "errors", "resources", "root", "seq", "spans", "start", "trace_id")

    def __init__(self, trace_id: bytes) -> None:
        self.trace_id = trace_id
        self.spans: list[SpanEntry] = []
        self.start = 0
        self.end = 0
        self.errors = 0
        #: Resource name -> spans of it in this trace.
        self.resources: dict[str, int] = {}
        #: The span without a parent (else the earliest one), once known.
        self.root: SpanEntry | None = None
        #: Spans refused because the trace had :attr:`TelemetryOptions.max_spans_per_trace` already.
        self.dropped = 0
        #: The store's sequence number when a span was last added (what changed since a page looked).
        self.seq = 0

    def add(self, span: SpanEntry) -> None:
        spans = self.spans
        if not spans or span.start < self.start:
            self.start = span.start
        if span.end > self.end:
            self.end = span.end
        spans.append(span)
        if span.error:
            self.errors += 1
        name = span.resource.name
        self.resources[name] = self.resources.get(name, 0) + 1
        root = self.root
        if not span.parent_id:
            if root is None or root.parent_id or span.start < root.start:
                self.root = span
        elif root is None or (root.parent_id and span.start < root.start):
            self.root = span

    def remove_resource(self, resource: ResourceData) -> int:
        """Drop the spans of ``resource``; how many there were."""
        kept = [s for s in self.spans if s.resource is not resource]
        removed = len(self.spans) - len(kept)
        self.spans = []
        self.resources = {}
        self.errors = 0
        self.root = None
        for span in kept:
            self.add(span)
        return removed


class LogEntry:
    """One log record: its level, message and links, and its message's bytes for the attributes."""

    __slots__ = ("instance", "message", "raw", "resource", "scope", "seq", "severity", "severity_text", "span_id", "time", "trace_id")

    def __init__(
        self,
        seq: int,
        time: int,
        severity: int,
        severity_text: str,
        message: str,
        trace_id: bytes,
        span_id: bytes,
        resource: ResourceData,
        instance: str,
        scope: str,
        raw: bytes,
    ) -> None:
        self.seq = seq
        self.time = time
        self.severity = severity
        self.severity_text = severity_text
        self.message = message
        self.trace_id = trace_id
        self.span_id = span_id
        self.resource = resource
        self.instance = instance
        self.scope = scope
        self.raw = raw


class Series:
    """The points of one metric for one set of attribute values, oldest first (bounded)."""

    __slots__ = ("attributes", "points")

    def __init__(self, attributes: tuple[tuple[str, str], ...], max_points: int) -> None:
        self.attributes = attributes
        #: ``(time_ns, value)`` for sums and gauges; ``(time_ns, count, sum, buckets, bounds, min, max)``
        #: for histograms; ``(time_ns, count, sum, ((quantile, value), ...))`` for summaries.
        self.points: deque[tuple[Any, ...]] = deque(maxlen=max_points)


class Instrument:
    """One metric of one resource (by instrumentation scope and name), with its series."""

    __slots__ = ("description", "dropped_series", "kind", "monotonic", "name", "scope", "series", "temporality", "unit", "updated")

    def __init__(self, scope: str, name: str) -> None:
        self.scope = scope
        self.name = name
        self.description = ""
        self.unit = ""
        #: ``gauge``, ``counter``, ``updowncounter``, ``histogram``, ``exponential_histogram`` or ``summary``.
        self.kind = ""
        self.monotonic = False
        #: 1 delta, 2 cumulative (``AggregationTemporality``), 0 for gauges and summaries.
        self.temporality = 0
        self.series: dict[tuple[tuple[str, str], ...], Series] = {}
        self.dropped_series = 0
        self.updated = 0
