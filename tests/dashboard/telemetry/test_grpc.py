"""The OTLP/gRPC receiver on its own, called through real grpcio channels and the official service stubs:
each signal is kept, refused items come back as ``partial_success``, a wrong or missing key is
``UNAUTHENTICATED`` and keeps nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from aspyre_dashboard import TelemetryOptions, TelemetryStore
from aspyre_dashboard._telemetry._grpc import GrpcReceiver

from . import otlp

KEY = "grpc-key-" + "y" * 30
METADATA = (("x-otlp-api-key", KEY),)


@pytest.fixture
def served() -> Iterator[tuple[grpc.Channel, TelemetryStore, list[str]]]:
    store = TelemetryStore(TelemetryOptions(max_spans_per_trace=4))
    stored: list[str] = []
    receiver = GrpcReceiver(store, KEY, stored.append)
    port = receiver.add_port("127.0.0.1", 0)
    receiver.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel, store, stored
    finally:
        channel.close()
        receiver.stop()


def test_each_signal_is_kept_and_refusals_are_a_partial_success(served: Any) -> None:
    channel, store, stored = served
    traces = trace_service_pb2_grpc.TraceServiceStub(channel)
    answer = traces.Export(otlp.traces("api", 10, spans_per_trace=10), metadata=METADATA, timeout=10)
    assert answer.partial_success.rejected_spans == 6  # the trace keeps 4 of its 10 spans
    assert "4 spans" in answer.partial_success.error_message
    logs = logs_service_pb2_grpc.LogsServiceStub(channel)
    answer = logs.Export(otlp.logs("api", [(9, "hello"), (17, "boom")]), metadata=METADATA, timeout=10)
    assert not answer.HasField("partial_success")
    metrics = metrics_service_pb2_grpc.MetricsServiceStub(channel)
    metrics.Export(otlp.counter("api", "orders", [(1, 1.0), (2, 3.0)]), metadata=METADATA, timeout=10)
    api = store.resources["api"]
    assert (api.spans, [e.message for e in api.logs], api.errors) == (4, ["hello", "boom"], 1)
    assert stored == ["traces", "logs", "metrics"]


@pytest.mark.parametrize("metadata", [(), (("x-otlp-api-key", "wrong"),)], ids=["missing", "wrong"])
def test_a_missing_or_wrong_key_is_unauthenticated_and_keeps_nothing(served: Any, metadata: Any) -> None:
    channel, store, stored = served
    logs = logs_service_pb2_grpc.LogsServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        logs.Export(otlp.logs("api", [(9, "hello")]), metadata=metadata, timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
    assert (store.resources, stored) == ({}, [])
