"""OTLP request bodies to the official ``opentelemetry-proto`` messages: protobuf, or JSON by OTLP's rules.

OTLP/JSON is protobuf's JSON mapping with two differences the receiver undoes before
``json_format`` parses it: trace and span ids are hex strings (not base64), and enum fields may be
integers (which ``json_format`` takes as they are). Unknown fields are ignored, as the specification
asks. Every problem is a :class:`BadRequest` whose text says what is wrong (sent back with a 400).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

__all__ = ["SIGNALS", "BadRequest", "TooLarge", "decode", "gunzip", "load", "response_bytes", "status_bytes"]


class BadRequest(ValueError):
    """The body cannot be read as the request it claims to be; the message says why."""


class TooLarge(ValueError):
    """The body, once decompressed, is over the limit."""


def _messages() -> dict[str, tuple[type[Any], type[Any]]]:
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    return {
        "traces": (trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse),
        "logs": (logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse),
        "metrics": (metrics_service_pb2.ExportMetricsServiceRequest, metrics_service_pb2.ExportMetricsServiceResponse),
    }


#: The signals and their ``(request, response)`` message classes, once imported (:func:`load`).
SIGNALS: dict[str, tuple[type[Any], type[Any]]] = {}


def load() -> None:
    """Import the protobuf modules (a tenth of a second: done in a worker thread, once)."""
    if not SIGNALS:
        SIGNALS.update(_messages())


def gunzip(body: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing one that grows past ``limit`` bytes (a zip bomb)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BadRequest(f"the body is not valid gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise TooLarge(f"the decompressed body is larger than {limit} bytes")
    if not inflater.eof:
        raise BadRequest("the gzip body is truncated")
    return out


# Where OTLP/JSON puts ids (hex in JSON, bytes in protobuf): lists of keys to walk, then the id fields.
_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _hex_to_base64(value: object, field: str) -> object:
    if not isinstance(value, str) or not value:
        return value
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise BadRequest(f"{field} must be a hex string (OTLP/JSON), got {value[:40]!r}") from None
    return base64.b64encode(raw).decode("ascii")


def _fix_ids(node: dict[str, Any]) -> None:
    for key in _ID_FIELDS:
        if key in node:
            node[key] = _hex_to_base64(node[key], key)


def _each(node: object, key: str, alt: str) -> list[Any]:
    if not isinstance(node, dict):
        return []
    value = node.get(key, node.get(alt))
    return value if isinstance(value, list) else []


def _fix_json_ids(signal: str, document: dict[str, Any]) -> None:
    if signal == "traces":
        for rs in _each(document, "resourceSpans", "resource_spans"):
            for ss in _each(rs, "scopeSpans", "scope_spans"):
                for span in _each(ss, "spans", "spans"):
                    if isinstance(span, dict):
                        _fix_ids(span)
                        for link in _each(span, "links", "links"):
                            if isinstance(link, dict):
                                _fix_ids(link)
    elif signal == "logs":
        for rl in _each(document, "resourceLogs", "resource_logs"):
            for sl in _each(rl, "scopeLogs", "scope_logs"):
                for record in _each(sl, "logRecords", "log_records"):
                    if isinstance(record, dict):
                        _fix_ids(record)
    else:
        for rm in _each(document, "resourceMetrics", "resource_metrics"):
            for sm in _each(rm, "scopeMetrics", "scope_metrics"):
                for metric in _each(sm, "metrics", "metrics"):
                    if not isinstance(metric, dict):
                        continue
                    for kind in ("sum", "gauge", "histogram", "exponentialHistogram", "exponential_histogram"):
                        for point in _each(metric.get(kind), "dataPoints", "data_points"):
                            for exemplar in _each(point, "exemplars", "exemplars"):
                                if isinstance(exemplar, dict):
                                    _fix_ids(exemplar)


def decode(signal: str, body: bytes, is_json: bool) -> Any:
    """The ``Export*ServiceRequest`` in ``body`` (protobuf, or OTLP/JSON when ``is_json``)."""
    load()
    request_class = SIGNALS[signal][0]
    if not is_json:
        from google.protobuf.message import DecodeError

        try:
            return request_class.FromString(body)
        except DecodeError as exc:
            raise BadRequest(f"the body is not a protobuf {request_class.__name__}: {exc}") from None
    from google.protobuf import json_format

    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest(f"an OTLP/JSON body is an object ({request_class.__name__}), not {type(document).__name__}")
    _fix_json_ids(signal, document)
    try:
        return json_format.ParseDict(document, request_class(), ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error, ValueError, TypeError) as exc:
        raise BadRequest(f"the body is not an OTLP/JSON {request_class.__name__}: {exc}") from None


def response_bytes(signal: str, rejected: int, message: str, is_json: bool) -> bytes:
    """The ``Export*ServiceResponse``: empty, or with ``partial_success`` when something was refused."""
    if not rejected:
        return b"{}" if is_json else b""
    field = {"traces": "rejected_spans", "logs": "rejected_log_records", "metrics": "rejected_data_points"}[signal]
    response = SIGNALS[signal][1]()
    setattr(response.partial_success, field, rejected)
    response.partial_success.error_message = message
    if is_json:
        from google.protobuf import json_format

        return str(json_format.MessageToJson(response, indent=None)).encode()
    return bytes(response.SerializeToString())


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def status_bytes(code: int, message: str, is_json: bool) -> bytes:
    """A ``google.rpc.Status`` (what OTLP/HTTP sends with an error), in the request's encoding."""
    if is_json:
        return json.dumps({"code": code, "message": message}).encode()
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text
