"""Metrics: OTLP data points kept per instrument and series, and the points a chart draws.

Sums and gauges keep ``(time, value)``; histograms keep their bucket counts, from which the chart
takes percentiles per export interval (cumulative points are subtracted from the previous one);
exponential histograms are turned into explicit buckets on arrival; summaries keep their quantiles.
"""

from __future__ import annotations

import math
from typing import Any

from ._records import Instrument, ResourceData, Series
from ._values import any_value, display

__all__ = ["MAX_INSTRUMENTS", "MAX_SERIES", "add_metric", "chart"]

#: Instruments kept per resource, series kept per instrument: more are counted, not kept.
MAX_INSTRUMENTS = 500
MAX_SERIES = 200
#: ``AggregationTemporality``.
DELTA, CUMULATIVE = 1, 2
PERCENTILES = (0.5, 0.9, 0.99)


def _series_key(attributes: Any) -> tuple[tuple[str, str], ...]:
    if not attributes:
        return ()
    return tuple(sorted((kv.key, display(any_value(kv.value))) for kv in attributes))


def _exponential_buckets(point: Any) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """An exponential histogram point as explicit bounds and counts (negative values fold into the first bucket)."""
    base = 2.0 ** (2.0 ** -point.scale)
    positive = point.positive
    offset = positive.offset
    bounds: list[float] = []
    counts: list[int] = [point.zero_count + sum(point.negative.bucket_counts)]
    for i, count in enumerate(positive.bucket_counts):
        bounds.append(base ** (offset + i))
        counts.append(count)
    return tuple(bounds), tuple(counts)


def add_metric(data: ResourceData, scope: str, metric: Any, max_points: int, seq: int) -> tuple[int, int]:
    """Keep the points of one ``Metric``; ``(points added, points refused)``."""
    kind = metric.WhichOneof("data")
    if kind is None:
        return 0, 0
    key = (scope, metric.name)
    instrument = data.metrics.get(key)
    body = getattr(metric, kind)
    points = body.data_points
    if instrument is None:
        if len(data.metrics) >= MAX_INSTRUMENTS:
            return 0, len(points)
        instrument = data.metrics[key] = Instrument(scope, metric.name)
    instrument.description = metric.description or instrument.description
    instrument.unit = metric.unit or instrument.unit
    instrument.updated = seq
    if kind == "sum":
        instrument.monotonic = body.is_monotonic
        instrument.kind = "counter" if body.is_monotonic else "updowncounter"
        instrument.temporality = body.aggregation_temporality
    elif kind in ("histogram", "exponential_histogram"):
        instrument.kind = kind
        instrument.temporality = body.aggregation_temporality
    else:
        instrument.kind = kind  # gauge, summary
    added = refused = 0
    for point in points:
        series_key = _series_key(point.attributes)
        series = instrument.series.get(series_key)
        if series is None:
            if len(instrument.series) >= MAX_SERIES:
                instrument.dropped_series += 1
                refused += 1
                continue
            series = instrument.series[series_key] = Series(series_key, max_points)
        t = point.time_unix_nano
        if kind in ("sum", "gauge"):
            value = point.as_double if point.WhichOneof("value") == "as_double" else point.as_int
            series.points.append((t, value))
        elif kind == "histogram":
            total = point.sum if point.HasField("sum") else None
            low = point.min if point.HasField("min") else None
            high = point.max if point.HasField("max") else None
            series.points.append(
                (t, point.count, total, tuple(point.bucket_counts), tuple(point.explicit_bounds), low, high)
            )
        elif kind == "exponential_histogram":
            bounds, counts = _exponential_buckets(point)
            total = point.sum if point.HasField("sum") else None
            low = point.min if point.HasField("min") else None
            high = point.max if point.HasField("max") else None
            series.points.append((t, point.count, total, counts, bounds, low, high))
        else:  # summary
            quantiles = tuple((q.quantile, q.value) for q in point.quantile_values)
            series.points.append((t, point.count, point.sum, quantiles))
        added += 1
    data.metric_points += added
    return added, refused


def _percentile(counts: list[int], bounds: tuple[float, ...], q: float, low: float | None, high: float | None) -> float | None:
    """The value below which a fraction ``q`` of a histogram's observations fall (linear within a bucket)."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for i, count in enumerate(counts):
        if count <= 0:
            continue
        if seen + count >= rank:
            lower = bounds[i - 1] if i > 0 else (low if low is not None else (0.0 if bounds and bounds[0] > 0 else None))
            upper = bounds[i] if i < len(bounds) else (high if high is not None else None)
            if lower is None:
                return upper
            if upper is None or math.isinf(upper):
                return lower
            return lower + (upper - lower) * ((rank - seen) / count)
        seen += count
    return bounds[-1] if bounds else None


def _ms(ns: int) -> float:
    return ns / 1e6


def _histogram_totals(series: Series, temporality: int | None) -> list[Any] | None:
    """``[t, count, sum, p50, p90, p99]`` over every observation kept, for the "latest values" table.

    Cumulative points carry the run's totals already (the last one is the answer); delta points are added up
    (those with the last point's bounds). The chart's rows are per interval, so an interval with no observation
    would show a count of 0 where a person asks "how many so far".
    """
    if not series.points:
        return None
    last = series.points[-1]
    t, count, total, counts, bounds, low, high = last
    if temporality != CUMULATIVE:
        same = [p for p in series.points if p[4] == bounds]
        count = sum(p[1] for p in same)
        total = None if any(p[2] is None for p in same) else sum(p[2] for p in same)
        counts = tuple(sum(column) for column in zip(*(p[3] for p in same), strict=False))
        lows = [p[5] for p in same if p[5] is not None]
        highs = [p[6] for p in same if p[6] is not None]
        low, high = (min(lows) if lows else None), (max(highs) if highs else None)
    return [_ms(t), count, total, *(_percentile(list(counts), bounds, q, low, high) for q in PERCENTILES)]


def chart(instrument: Instrument) -> dict[str, Any]:
    """What the page draws for one instrument: each series' points as ``[time_ms, value...]``.

    Sums and gauges: ``[t, value]``. Histograms: ``[t, count, sum, p50, p90, p99]`` per interval.
    Summaries: ``[t, count, sum, q...]`` with the quantiles named in ``columns``. Histogram series also
    carry ``latest``: the same columns over every observation kept (the run's totals), for the values table.
    """
    kind = instrument.kind
    series_out = []
    columns: list[str]
    if kind in ("histogram", "exponential_histogram"):
        columns = ["count", "sum", "p50", "p90", "p99"]
    elif kind == "summary":
        columns = ["count", "sum"]
    else:
        columns = ["value"]
    for series in instrument.series.values():
        rows: list[list[Any]] = []
        latest: list[Any] | None = None
        if kind in ("histogram", "exponential_histogram"):
            latest = _histogram_totals(series, instrument.temporality)
            previous: tuple[Any, ...] | None = None
            for point in series.points:
                t, count, total, counts, bounds, low, high = point
                interval = list(counts)
                n, s = count, total
                if instrument.temporality == CUMULATIVE and previous is not None and previous[4] == bounds and count >= previous[1]:
                    interval = [a - b for a, b in zip(counts, previous[3], strict=False)]
                    n = count - previous[1]
                    s = None if total is None or previous[2] is None else total - previous[2]
                    low = high = None  # min and max are of the whole run, not of the interval
                previous = point
                rows.append([_ms(t), n, s, *(_percentile(interval, bounds, q, low, high) for q in PERCENTILES)])
        elif kind == "summary":
            names = [f"q{q:g}" for q, _ in series.points[-1][3]] if series.points else []
            columns = ["count", "sum", *names]
            rows = [[_ms(t), count, total, *(v for _, v in quantiles)] for t, count, total, quantiles in series.points]
        else:
            rows = [[_ms(t), value] for t, value in series.points]
        out: dict[str, Any] = {"attributes": [list(pair) for pair in series.attributes], "points": rows}
        if latest is not None:
            out["latest"] = latest
        series_out.append(out)
    return {
        "scope": instrument.scope,
        "name": instrument.name,
        "description": instrument.description,
        "unit": instrument.unit,
        "kind": kind,
        "temporality": {DELTA: "delta", CUMULATIVE: "cumulative"}.get(instrument.temporality),
        "columns": columns,
        "droppedSeries": instrument.dropped_series,
        "series": series_out,
    }
