"""The OTLP/gRPC receiver, when ``grpcio`` is installed (``pip install aspyre-dashboard[grpc]``).

grpcio runs its own server threads; the three ``Export`` services check the API key in the call's
metadata (``UNAUTHENTICATED`` without it), store the request in the same store as the HTTP receiver,
and tell the event loop what changed. The message size limit is grpcio's own
(``RESOURCE_EXHAUSTED`` beyond ``max_request_bytes``).
"""

from __future__ import annotations

import hmac
import importlib.util
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ._store import TelemetryStore

__all__ = ["GrpcReceiver", "grpc_available"]

log = logging.getLogger("aspyre.dashboard.telemetry")

#: Seconds open calls get to finish when the server stops.
GRACE = 1.0


def grpc_available() -> bool:
    """Whether ``grpcio`` is installed (without importing it: that takes a while)."""
    return importlib.util.find_spec("grpc") is not None


class GrpcReceiver:
    """An OTLP/gRPC server on the addresses given to :meth:`add_port`, started by :meth:`start`."""

    def __init__(self, store: TelemetryStore, api_key: str | None, on_stored: Callable[[str], None]) -> None:
        import grpc
        from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

        self._grpc = grpc
        self._key = api_key
        self.store = store
        self.on_stored = on_stored
        limit = store.options.max_request_bytes
        self.server = grpc.server(
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="aspyre-otlp-grpc"),
            options=[("grpc.max_receive_message_length", limit), ("grpc.so_reuseport", 1)],
        )
        receiver = self

        def servicer(base: type, kind: str, add: Any, response_type: Any, rejected_field: str) -> Any:
            """A servicer of one OTLP signal: keep the request, answer with its ``partial_success``."""

            class Servicer(base):  # type: ignore[misc]
                def Export(self, request: Any, context: Any) -> Any:
                    result = receiver._export(context, kind, add, request)
                    response = response_type()
                    if result.rejected:
                        setattr(response.partial_success, rejected_field, result.rejected)
                        response.partial_success.error_message = result.reason
                    return response

            return Servicer()

        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(
            servicer(
                trace_service_pb2_grpc.TraceServiceServicer, "traces", store.add_traces,
                trace_service_pb2.ExportTraceServiceResponse, "rejected_spans",
            ),
            self.server,
        )  # fmt: skip
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(
            servicer(
                logs_service_pb2_grpc.LogsServiceServicer, "logs", store.add_logs,
                logs_service_pb2.ExportLogsServiceResponse, "rejected_log_records",
            ),
            self.server,
        )  # fmt: skip
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
            servicer(
                metrics_service_pb2_grpc.MetricsServiceServicer, "metrics", store.add_metrics,
                metrics_service_pb2.ExportMetricsServiceResponse, "rejected_data_points",
            ),
            self.server,
        )  # fmt: skip

    def __repr__(self) -> str:  # never the key
        return f"<GrpcReceiver secured={self._key is not None}>"

    def add_port(self, host: str, port: int) -> int:
        """Listen on ``host:port`` too (before :meth:`start`); the port bound (0 picks one)."""
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return int(self.server.add_insecure_port(address))

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop(GRACE).wait(GRACE + 1)

    def _export(self, context: Any, signal: str, add: Callable[[Any], Any], request: Any) -> Any:
        if self._key is not None:
            sent = next((value for key, value in context.invocation_metadata() if key == "x-otlp-api-key"), None)
            if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), self._key.encode()):
                context.abort(self._grpc.StatusCode.UNAUTHENTICATED, "Missing or wrong x-otlp-api-key metadata.")
        try:
            result = add(request)
        except Exception as exc:
            log.error("storing OTLP %s (gRPC) failed: %s: %s", signal, type(exc).__name__, exc, exc_info=exc)
            context.abort(self._grpc.StatusCode.INTERNAL, "The dashboard could not store this request.")
            raise  # abort raises; this is for the type checkers
        if result.accepted:
            self.on_stored(signal)
        return result
