"""The shop's worker: GET /stock?item=NAME counts the item in Redis (a span of its own) inside the trace the
API started; item ``broken`` fails (an exception recorded on the span, an error log)."""

from __future__ import annotations

import logging
import os
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from otel_setup import setup

setup()
tracer = trace.get_tracer("shop.worker")
log = logging.getLogger("shop.worker")
client = redis.Redis.from_url(os.environ["CACHE_URI"], decode_responses=True)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        item = urllib.parse.parse_qs(url.query).get("item", ["nothing"])[0]
        context = propagate.extract({k.lower(): v for k, v in self.headers.items()})
        with tracer.start_as_current_span("GET /stock", context=context, kind=SpanKind.SERVER) as span:
            with tracer.start_as_current_span(
                "INCR", kind=SpanKind.CLIENT, attributes={"db.system": "redis", "db.operation.name": "INCR"}
            ):
                count = client.incr(f"stock:{item}")
            try:
                if item == "broken":
                    raise RuntimeError(f"no stock record for {item!r}")
            except RuntimeError as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                log.error("cannot serve %s: %s", item, exc)
                self._send(500, b"broken")
                return
            log.info("stock of %s is now %s", item, count)
            self._send(200, str(count).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        print(format % args, flush=True)


port = int(os.environ["PORT"])
print(f"worker listening on 127.0.0.1:{port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
