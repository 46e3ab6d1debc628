"""The pages' questions to the store, answered as JSON-ready data (the caller holds the store's lock).

Times go out as milliseconds since the epoch (floats: microseconds survive), ids as hex. Attributes
are decoded here, only for what is sent.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from typing import Any

from ._metrics import chart
from ._records import SEVERITY_ERROR, LogEntry, ResourceData, SpanEntry, Trace
from ._store import TelemetryStore
from ._values import SEVERITY_NAMES, any_value, attributes, severity_name

__all__ = ["LEVELS", "instrument_chart", "instruments", "log_entries", "resources", "trace_detail", "trace_list"]

#: Level name (lower case) -> the smallest severity number of that level.
LEVELS = {name.lower(): number for number, name in SEVERITY_NAMES}
SPAN_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUS = ("unset", "ok", "error")
#: The most entries one answer carries.
MAX_LIMIT = 1000


def _ms(ns: int) -> float:
    return ns / 1e6


def resources(store: TelemetryStore) -> list[dict[str, Any]]:
    return [
        {
            "name": d.name,
            "instances": sorted(d.instances),
            "logs": len(d.logs),
            "errors": d.errors,
            "traces": len(d.trace_ids),
            "spans": d.spans,
            "metrics": len(d.metrics),
        }
        for d in sorted(store.resources.values(), key=lambda d: d.name.lower())
    ]


def _newest_first(store: TelemetryStore, resource: ResourceData | None) -> Iterator[LogEntry]:
    if resource is not None:
        return reversed(resource.logs)
    rings = [reversed(d.logs) for d in store.resources.values() if d.logs]
    return heapq.merge(*rings, key=lambda e: -e.seq)


def log_entries(
    store: TelemetryStore,
    *,
    resource: str | None = None,
    level: str | None = None,
    text: str = "",
    trace_id: str | None = None,
    limit: int = 200,
    before: int | None = None,
) -> dict[str, Any]:
    """The newest entries matching the filters (``before``: only entries older than that ``seq``)."""
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

    data = store.find(resource)
    if resource is not None and data is None:
        return {"items": [], "matched": 0, "more": False}
    least = LEVELS.get((level or "").lower(), 0)
    needle = text.casefold()
    wanted_trace = bytes.fromhex(trace_id) if trace_id else None
    limit = max(1, min(limit, MAX_LIMIT))
    items: list[dict[str, Any]] = []
    matched = 0
    for entry in _newest_first(store, data):
        if before is not None and entry.seq >= before:
            continue
        if entry.severity < least:
            continue
        if wanted_trace is not None and entry.trace_id != wanted_trace:
            continue
        if needle and needle not in entry.message.casefold():
            continue
        matched += 1
        if len(items) < limit:
            record = LogRecord.FromString(entry.raw)
            items.append(
                {
                    "seq": entry.seq,
                    "time": _ms(entry.time),
                    "level": severity_name(entry.severity, entry.severity_text),
                    "severity": entry.severity,
                    "error": entry.severity >= SEVERITY_ERROR,
                    "message": entry.message,
                    "resource": entry.resource.name,
                    "instance": entry.instance,
                    "scope": entry.scope,
                    "traceId": entry.trace_id.hex() if any(entry.trace_id) else None,
                    "spanId": entry.span_id.hex() if any(entry.span_id) else None,
                    "attributes": attributes(record.attributes),
                    "eventName": record.event_name or None,
                }
            )
    return {"items": items, "matched": matched, "more": matched > len(items)}


def _summary(trace: Trace) -> dict[str, Any]:
    root = trace.root
    order = sorted(trace.resources.items(), key=lambda kv: -kv[1])
    return {
        "traceId": trace.trace_id.hex(),
        "name": root.name if root is not None else "",
        "rootResource": root.resource.name if root is not None else None,
        "complete": root is not None and not root.parent_id,
        "start": _ms(trace.start),
        "duration": _ms(max(0, trace.end - trace.start)),
        "spans": len(trace.spans),
        "errors": trace.errors,
        "resources": [{"name": n, "spans": c} for n, c in order],
        "seq": trace.seq,
    }


def trace_list(
    store: TelemetryStore,
    *,
    resource: str | None = None,
    text: str = "",
    errors_only: bool = False,
    limit: int = 100,
) -> dict[str, Any]:
    """The newest traces matching the filters (``text`` matches span names and the trace id)."""
    data = store.find(resource)
    if resource is not None and data is None:
        return {"items": [], "matched": 0, "more": False}
    needle = text.casefold()
    limit = max(1, min(limit, MAX_LIMIT))
    items: list[dict[str, Any]] = []
    matched = 0
    for trace in reversed(store.traces.values()):
        if data is not None and data.name not in trace.resources:
            continue
        if errors_only and not trace.errors:
            continue
        if needle and not (
            needle in trace.trace_id.hex() or any(needle in s.name.casefold() for s in trace.spans)
        ):
            continue
        matched += 1
        if len(items) < limit:
            items.append(_summary(trace))
    return {"items": items, "matched": matched, "more": matched > len(items)}


def _span(span: SpanEntry, message: Any) -> dict[str, Any]:
    status = message.status
    return {
        "spanId": span.span_id.hex(),
        "parentId": span.parent_id.hex() if span.parent_id else None,
        "name": span.name,
        "kind": SPAN_KINDS[span.kind] if 0 <= span.kind < len(SPAN_KINDS) else str(span.kind),
        "resource": span.resource.name,
        "instance": span.instance,
        "scope": span.scope,
        "start": _ms(span.start),
        "end": _ms(span.end),
        "status": STATUS[status.code] if 0 <= status.code < len(STATUS) else str(status.code),
        "statusMessage": status.message or None,
        "attributes": attributes(message.attributes),
        "events": [
            {"time": _ms(e.time_unix_nano), "name": e.name, "attributes": attributes(e.attributes)}
            for e in message.events
        ],
        "links": [
            {"traceId": link.trace_id.hex(), "spanId": link.span_id.hex(), "attributes": attributes(link.attributes)}
            for link in message.links
        ],
    }


def trace_detail(store: TelemetryStore, trace_id: str) -> dict[str, Any] | None:
    """Every kept span of one trace, parents before children, with their attributes, events and links."""
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    try:
        key = bytes.fromhex(trace_id)
    except ValueError:
        return None
    trace = store.traces.get(key)
    if trace is None:
        return None
    spans = sorted(trace.spans, key=lambda s: (s.start, s.end))
    known = {s.span_id for s in spans}
    children: dict[bytes | None, list[SpanEntry]] = {}
    for s in spans:
        parent = s.parent_id if s.parent_id in known else None
        children.setdefault(parent, []).append(s)
    ordered: list[tuple[SpanEntry, int]] = []
    stack = [(s, 0) for s in reversed(children.get(None, []))]
    while stack:
        span, depth = stack.pop()
        ordered.append((span, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(span.span_id, [])))
    out = []
    for span, depth in ordered:
        view = _span(span, Span.FromString(span.raw))
        view["depth"] = depth
        out.append(view)
    resources_seen = {s.resource.name: s.resource for s in spans}
    detail = _summary(trace)
    detail.update(
        spans=out,
        dropped=trace.dropped,
        resourceAttributes={
            name: {inst: attrs for inst, attrs in data.instances.items()} for name, data in resources_seen.items()
        },
    )
    return detail


def instruments(store: TelemetryStore, resource: str) -> list[dict[str, Any]] | None:
    data = store.find(resource)
    if data is None:
        return None
    out = []
    for instrument in sorted(data.metrics.values(), key=lambda i: (i.scope, i.name)):
        last = None
        for series in itertools.islice(instrument.series.values(), 1):
            if series.points:
                last = series.points[-1][0]
        out.append(
            {
                "scope": instrument.scope,
                "name": instrument.name,
                "description": instrument.description,
                "unit": instrument.unit,
                "kind": instrument.kind,
                "series": len(instrument.series),
                "last": _ms(last) if last else None,
            }
        )
    return out


def instrument_chart(store: TelemetryStore, resource: str, scope: str, name: str) -> dict[str, Any] | None:
    data = store.find(resource)
    if data is None:
        return None
    instrument = data.metrics.get((scope, name))
    if instrument is None:
        return None
    return chart(instrument)


def plain_attributes(pairs: Any) -> list[list[Any]]:
    """For tests and tools: ``[[key, value]]`` of repeated ``KeyValue``."""
    return [[kv.key, any_value(kv.value)] for kv in pairs]
