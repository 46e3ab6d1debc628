"""The OTLP/HTTP receiver on its own: protobuf and JSON bodies (gzip too), bad bodies, wrong keys, oversize
bodies, what the store keeps and what it gives back (answers are the official response messages)."""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from aspyre_dashboard import TelemetryOptions, TelemetryStore
from aspyre_dashboard._telemetry import _queries as q
from aspyre_dashboard._telemetry._receiver import MAX_WAITING, OtlpHttpApp

from . import otlp

KEY = "test-key-" + "x" * 30
PROTOBUF = {"content-type": "application/x-protobuf", "x-otlp-api-key": KEY}
JSON = {"content-type": "application/json", "x-otlp-api-key": KEY}

pytestmark = pytest.mark.anyio


def status_message(body: bytes) -> str:
    """The ``message`` of a ``google.rpc.Status`` (field 2), as OTLP/HTTP sends with an error."""
    from google.rpc.status_pb2 import Status  # googleapis-common-protos: comes with the SDK's exporters

    return str(Status.FromString(body).message)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[httpx.AsyncClient, TelemetryStore, list[str]]]:
    store = TelemetryStore(TelemetryOptions(max_request_bytes=64 * 1024))
    stored: list[str] = []
    app = OtlpHttpApp(store, KEY, stored.append)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://otlp") as client:
        yield client, store, stored


async def test_protobuf_traces_are_kept_and_answered_with_the_response_message(receiver: Any) -> None:
    client, store, stored = receiver
    request = otlp.traces("api", 6, spans_per_trace=3, error_every=4)
    response = await client.post("/v1/traces", content=request.SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 200, response.content
    assert response.headers["content-type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")
    assert stored == ["traces"]
    with store.lock:
        listing = q.trace_list(store)
        assert [t["spans"] for t in listing["items"]] == [3, 3]
        assert {t["name"] for t in listing["items"]} == {"GET /items"}
        assert sum(t["errors"] for t in listing["items"]) == 2  # spans 0 and 4
        first = request.resource_spans[0].scope_spans[0].spans[0]
        detail = q.trace_detail(store, first.trace_id.hex())
    assert detail is not None
    assert [s["depth"] for s in detail["spans"]] == [0, 1, 1]
    assert detail["spans"][0]["spanId"] == first.span_id.hex()
    assert detail["spans"][0]["status"] == "error" and detail["spans"][0]["statusMessage"] == "boom"
    assert ["attr.0", "value-0"] in detail["spans"][0]["attributes"]
    assert detail["resourceAttributes"]["api"]["api-1"][0] == ["service.name", "api"]


async def test_json_bodies_follow_otlp_json_rules(receiver: Any) -> None:
    """Hex ids, lowerCamelCase names, integer enums, int64 as strings, unknown fields ignored."""
    client, store, _ = receiver
    trace_id, span_id = os.urandom(16).hex(), os.urandom(8).hex()
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "json"},
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "name": "GET /",
                                "kind": 2,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000002000000",
                                "attributes": [{"key": "http.status_code", "value": {"intValue": "200"}}],
                                "status": {"code": 2, "message": "bad"},
                                "events": [{"timeUnixNano": "1700000000001000000", "name": "retry"}],
                                "somethingNew": {"ignored": True},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    response = await client.post("/v1/traces", json=body, headers={"x-otlp-api-key": KEY})
    assert response.status_code == 200, response.text
    assert response.json() == {}
    with store.lock:
        detail = q.trace_detail(store, trace_id)
    assert detail is not None
    span = detail["spans"][0]
    assert (span["spanId"], span["resource"], span["kind"], span["status"]) == (span_id, "web", "server", "error")
    assert span["attributes"] == [["http.status_code", 200]]
    assert span["end"] - span["start"] == pytest.approx(2.0, abs=1e-3)  # ms since the epoch, as floats
    assert span["events"][0]["name"] == "retry"


async def test_gzip_bodies_in_both_encodings(receiver: Any) -> None:
    client, store, _ = receiver
    request = otlp.logs("worker", [(9, "hello"), (17, "it broke")])
    response = await client.post(
        "/v1/logs", content=gzip.compress(request.SerializeToString()), headers={**PROTOBUF, "content-encoding": "gzip"}
    )
    assert response.status_code == 200, response.content
    assert not ExportLogsServiceResponse.FromString(response.content).HasField("partial_success")
    from google.protobuf import json_format

    as_json = json_format.MessageToDict(otlp.logs("worker", [(13, "careful")]))
    response = await client.post(
        "/v1/logs", content=gzip.compress(json.dumps(as_json).encode()), headers={**JSON, "content-encoding": "gzip"}
    )
    assert response.status_code == 200, response.text
    with store.lock:
        entries = q.log_entries(store, resource="worker")
        errors = q.log_entries(store, level="error")
        warnings = q.log_entries(store, level="warning")
        summary = q.resources(store)
    assert [e["message"] for e in entries["items"]] == ["careful", "it broke", "hello"]
    assert [e["message"] for e in errors["items"]] == ["it broke"]
    assert [e["level"] for e in warnings["items"]] == ["Warning", "Error"]
    assert ["n", 1] in entries["items"][1]["attributes"]
    assert summary == [
        {"name": "worker", "instances": [""], "logs": 3, "errors": 1, "traces": 0, "spans": 0, "metrics": 0}
    ]


async def test_a_wrong_or_missing_key_gets_401_and_nothing_is_kept(receiver: Any) -> None:
    client, store, stored = receiver
    body = otlp.traces("api", 2).SerializeToString()
    for headers in ({"content-type": "application/x-protobuf"}, {**PROTOBUF, "x-otlp-api-key": KEY[:-1] + "y"}):
        response = await client.post("/v1/traces", content=body, headers=headers)
        assert response.status_code == 401
        assert "x-otlp-api-key" in status_message(response.content)
    response = await client.post("/v1/logs", json={}, headers={"x-otlp-api-key": "nope"})
    assert response.status_code == 401
    assert response.json()["message"] == "Missing or wrong x-otlp-api-key header."
    assert stored == []
    assert store.resources == {}


async def test_bad_bodies_get_400_with_the_reason(receiver: Any) -> None:
    client, store, _ = receiver
    response = await client.post("/v1/traces", content=b"\xff\xff\xff not protobuf", headers=PROTOBUF)
    assert response.status_code == 400
    assert "not a protobuf ExportTraceServiceRequest" in status_message(response.content)
    response = await client.post("/v1/traces", content=b"{not json", headers=JSON)
    assert response.status_code == 400
    assert response.json()["code"] == 3
    assert "not JSON" in response.json()["message"]
    response = await client.post("/v1/traces", json=[1, 2], headers=JSON)
    assert "an OTLP/JSON body is an object" in response.json()["message"]
    bad_id = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz", "spanId": "00"}]}]}]}
    response = await client.post("/v1/traces", json=bad_id, headers=JSON)
    assert response.status_code == 400
    assert "traceId must be a hex string" in response.json()["message"]
    wrong_type = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "soon"}]}]}]}
    response = await client.post("/v1/logs", json=wrong_type, headers=JSON)
    assert response.status_code == 400
    assert "ExportLogsServiceRequest" in response.json()["message"]
    response = await client.post("/v1/traces", content=b"not gzip", headers={**PROTOBUF, "content-encoding": "gzip"})
    assert response.status_code == 400
    assert "not valid gzip" in status_message(response.content)
    assert store.resources == {}


async def test_oversize_bodies_get_413_before_and_while_reading_and_after_decompression(receiver: Any) -> None:
    client, store, _ = receiver
    big = otlp.traces("api", 400, attributes=20).SerializeToString()
    assert len(big) > 64 * 1024
    response = await client.post("/v1/traces", content=big, headers=PROTOBUF)
    assert response.status_code == 413
    assert "larger than 65536 bytes" in status_message(response.content)

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: the limit applies while reading
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    response = await client.post("/v1/traces", content=chunks(), headers=PROTOBUF)
    assert response.status_code == 413
    bomb = gzip.compress(b"\0" * (10 * 1024 * 1024))  # 10 MB of zeros in ~10 KB
    assert len(bomb) < 64 * 1024
    response = await client.post("/v1/traces", content=bomb, headers={**PROTOBUF, "content-encoding": "gzip"})
    assert response.status_code == 413
    assert "decompressed body is larger" in status_message(response.content)
    assert store.resources == {}


async def test_what_is_not_an_export_is_refused(receiver: Any) -> None:
    client, _, _ = receiver
    assert (await client.get("/v1/traces", headers=PROTOBUF)).status_code == 405
    assert (await client.post("/v1/profiles", content=b"", headers=PROTOBUF)).status_code == 404
    response = await client.post("/v1/traces", content=b"", headers={**PROTOBUF, "content-type": "text/plain"})
    assert response.status_code == 415
    response = await client.post("/v1/traces", content=b"", headers={**PROTOBUF, "content-encoding": "br"})
    assert response.status_code == 415
    # An empty request is a valid (empty) export.
    response = await client.post("/v1/metrics", content=b"", headers=PROTOBUF)
    assert response.status_code == 200


async def test_invalid_spans_are_refused_with_a_partial_success(receiver: Any) -> None:
    client, store, _ = receiver
    request = otlp.traces("api", 3)
    request.resource_spans[0].scope_spans[0].spans[1].span_id = b"\x01"
    request.resource_spans[0].scope_spans[0].spans[2].trace_id = bytes(16)
    response = await client.post("/v1/traces", content=request.SerializeToString(), headers=PROTOBUF)
    assert response.status_code == 200
    partial = ExportTraceServiceResponse.FromString(response.content).partial_success
    assert partial.rejected_spans == 2
    assert "trace_id" in partial.error_message
    with store.lock:
        assert store.resources["api"].spans == 1


async def test_too_many_waiting_requests_get_503_and_retry_after() -> None:
    store = TelemetryStore()
    app = OtlpHttpApp(store, None)
    app._waiting = MAX_WAITING  # as if that many requests were being read and stored
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://otlp") as client:
        response = await client.post("/v1/traces", content=b"", headers={"content-type": "application/x-protobuf"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


def test_rings_are_bounded_per_resource() -> None:
    store = TelemetryStore(TelemetryOptions(max_log_count=5, max_trace_count=3))
    store.add_logs(otlp.logs("noisy", [(17 if i % 2 else 9, f"line {i}") for i in range(10)]))
    store.add_logs(otlp.logs("quiet", [(9, "only line")]))
    shared = [os.urandom(16) for _ in range(5)]
    store.add_traces(otlp.traces("api", 5, trace_ids=shared))
    store.add_traces(otlp.traces("worker", 1, trace_ids=shared[:1]))  # the oldest trace spans two resources
    noisy, quiet = store.resources["noisy"], store.resources["quiet"]
    assert [e.message for e in noisy.logs] == [f"line {i}" for i in range(5, 10)]
    assert noisy.errors == 3  # of the lines kept, 5, 7 and 9 are errors (the count follows the ring)
    assert noisy.log_total == 10
    assert [e.message for e in quiet.logs] == ["only line"]  # a noisy resource does not push a quiet one out
    api = store.resources["api"]
    assert list(api.trace_ids) == shared[2:]
    assert api.spans == 3
    assert shared[1] not in store.traces  # only api had it
    assert store.traces[shared[0]].resources == {"worker": 1}  # api's span went, worker's stays


def test_the_number_of_services_kept_is_bounded_too() -> None:
    """A sender inventing service names cannot grow the store: new ones beyond the limit are refused."""
    store = TelemetryStore(TelemetryOptions(max_resource_count=3))
    for i in range(3):
        assert store.add_logs(otlp.logs(f"svc-{i}", [(9, "hello")])).accepted == 1
    refused = store.add_logs(otlp.logs("svc-new", [(9, "a"), (9, "b")]))
    assert (refused.accepted, refused.rejected) == (0, 2)
    assert "ASPYRE_DASHBOARD_MAX_RESOURCE_COUNT" in refused.reason
    assert store.add_traces(otlp.traces("svc-new", 2)).rejected == 2
    assert store.add_metrics(otlp.counter("svc-new", "orders", [(1, 1.0)])).rejected == 1
    assert sorted(store.resources) == ["svc-0", "svc-1", "svc-2"]
    assert store.add_logs(otlp.logs("svc-1", [(9, "known services still report")])).accepted == 1
    assert TelemetryOptions.from_environment({"ASPYRE_DASHBOARD_MAX_RESOURCE_COUNT": "7"}).max_resource_count == 7


def test_a_trace_keeps_at_most_its_span_limit() -> None:
    store = TelemetryStore(TelemetryOptions(max_spans_per_trace=4))
    result = store.add_traces(otlp.traces("api", 10, spans_per_trace=10))
    assert (result.accepted, result.rejected) == (4, 6)
    (trace,) = store.traces.values()
    assert trace.dropped == 6
    with store.lock:
        assert q.trace_detail(store, trace.trace_id.hex())["dropped"] == 6  # type: ignore[index]


def test_metrics_become_chart_points() -> None:
    store = TelemetryStore()
    store.add_metrics(otlp.counter("api", "shop.orders", [(0, 1), (1, 3), (2, 6)]))
    store.add_metrics(otlp.counter("api", "shop.orders", [(3, 2)], item="pen"))
    store.add_metrics(otlp.histogram("api", "latency", [(0, [1, 1, 0]), (1, [1, 3, 0]), (2, [1, 3, 0])], [10.0, 100.0]))
    with store.lock:
        listed = q.instruments(store, "api")
        counter = q.instrument_chart(store, "api", "tests.meter", "shop.orders")
        hist = q.instrument_chart(store, "api", "tests.meter", "latency")
    assert [(i["name"], i["kind"], i["series"]) for i in listed or []] == [("latency", "histogram", 1), ("shop.orders", "counter", 2)]
    assert counter is not None and hist is not None
    by_item = {s["attributes"][0][1]: [p[1] for p in s["points"]] for s in counter["series"]}
    assert by_item == {"book": [1, 3, 6], "pen": [2]}
    rows = hist["series"][0]["points"]
    assert [r[1] for r in rows] == [2, 2, 0]  # observations per interval, from cumulative counts
    assert rows[0][3] == pytest.approx(10.0)  # the median of {<=10, 10..100} sits at the first bound
    assert rows[1][3] == pytest.approx(55.0)  # both new observations fell in 10..100
    assert rows[2][3:] == [None, None, None]  # nothing happened in the last interval
    latest = hist["series"][0]["latest"]  # the values table: every observation so far, not the last interval
    assert latest[1:3] == [4, 1 * 10.0 + 3 * 100.0]
    assert 10.0 < latest[3] <= 100.0


def test_delta_histograms_add_up_in_the_values_table() -> None:
    store = TelemetryStore()
    request = otlp.histogram("api", "latency", [(0, [1, 1, 0]), (1, [0, 2, 0])], [10.0, 100.0])
    request.resource_metrics[0].scope_metrics[0].metrics[0].histogram.aggregation_temporality = 1  # type: ignore[assignment]
    store.add_metrics(request)
    with store.lock:
        hist = q.instrument_chart(store, "api", "tests.meter", "latency")
    assert hist is not None and hist["temporality"] == "delta"
    series = hist["series"][0]
    assert [r[1] for r in series["points"]] == [2, 2]
    assert series["latest"][1:3] == [4, 10.0 + 100.0 + 200.0]


async def test_json_ids_are_hex_not_base64(receiver: Any) -> None:
    """A base64 id (protobuf's JSON mapping) is not OTLP/JSON: refused, not silently mangled."""
    client, _, _ = receiver
    encoded = base64.b64encode(bytes(range(16))).decode()  # AAECAwQFBgcICQoLDA0ODw==
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": encoded, "spanId": "01" * 8}]}]}]}
    response = await client.post("/v1/traces", json=body, headers=JSON)
    assert response.status_code == 400
    assert "traceId must be a hex string" in response.json()["message"]
