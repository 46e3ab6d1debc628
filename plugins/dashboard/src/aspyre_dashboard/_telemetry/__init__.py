"""The dashboard's telemetry: an OTLP receiver (HTTP with protobuf or JSON; gRPC with grpcio), bounded
per-resource stores of logs, traces and metrics, and the Structured logs, Traces and Metrics pages.

See docs/telemetry.md. The hook plugin is :mod:`._hooks`; :func:`get_telemetry` (re-exported by
``aspyre_dashboard``) gives a running app's :class:`~._service.Telemetry`.
"""
