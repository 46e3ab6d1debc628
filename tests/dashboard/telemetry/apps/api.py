"""The shop's API: GET /order?item=NAME asks the worker (over HTTP, the trace context in the headers),
logs the order, counts it and times it. Telemetry through the OpenTelemetry SDK (otel_setup)."""

from __future__ import annotations

import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import metrics, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from otel_setup import setup

setup()
tracer = trace.get_tracer("shop.api")
meter = metrics.get_meter("shop.api")
orders = meter.create_counter("shop.orders", unit="{order}", description="Orders placed")
duration = meter.create_histogram("shop.order.duration", unit="ms", description="Time to place an order")
log = logging.getLogger("shop.api")
WORKER = os.environ["WORKER_URL"]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/health":
            self._send(200, b"ok")
            return
        item = urllib.parse.parse_qs(url.query).get("item", ["nothing"])[0]
        started = time.perf_counter()
        with tracer.start_as_current_span(
            "GET /order", kind=SpanKind.SERVER, attributes={"http.request.method": "GET", "http.route": "/order", "shop.item": item}
        ) as span:
            with tracer.start_as_current_span("GET worker /stock", kind=SpanKind.CLIENT) as call:
                headers: dict[str, str] = {}
                propagate.inject(headers)
                request = urllib.request.Request(f"{WORKER}/stock?item={urllib.parse.quote(item)}", headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        status, body = response.status, response.read()
                except urllib.error.HTTPError as exc:
                    status, body = exc.code, exc.read()
                call.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR, f"the worker answered {status}"))
                log.error("order for %s failed: the worker answered %s", item, status)
            else:
                log.info("order placed for %s", item, extra={"shop.item": item, "shop.stock": body.decode()})
            orders.add(1, {"shop.item": item})
            duration.record((time.perf_counter() - started) * 1000, {"shop.item": item})
            self._send(status, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        print(format % args, flush=True)


port = int(os.environ["PORT"])
print(f"api listening on 127.0.0.1:{port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
