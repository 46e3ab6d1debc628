"""The dashboard's OTLP receiver under load, while an app host runs (``aspyre run`` with its dashboard).

1. spans/s ingested over OTLP/HTTP with protobuf bodies (requests of 512 spans, the SDK's batch size;
   traces of 4 spans, 6 attributes each, every trace id new), against the baseline of parsing the same
   bodies with protobuf alone in this process (the ceiling the receiver's own work is compared to);
2. log records/s the same way (512 records a request);
3. the app host's resident memory before and after 1,000,000 spans (and the log records) with the
   default limits (10,000 traces and 10,000 log entries per resource), and what the store kept;
4. latency from an exported span (the POST leaving this process) to the Traces page in chromium
   showing its row, against a ``fetch`` round trip from the same page (baseline).

    .venv/bin/python bench/bench_telemetry.py [--spans 1000000] [--logs 200000] [--senders 2] [--samples 20]

The senders run in this process (threads, keep-alive connections, bodies made before the clock starts,
fresh trace ids patched in), so they share the machine's cores with the app host: note the load.
Needs Playwright and chromium for part 4 (``--skip latency`` without them); no Docker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dashboard import browser, host, median, p95

APP = """
import os, aspyre
builder = aspyre.DistributedApplication.create_builder()
builder.add_executable("idle", "/bin/sleep", "3600")
app = builder.build()
app.options.otlp_api_key = os.environ["BENCH_OTLP_KEY"]  # the bench sends with it (resources get it injected)
app.run()
"""

BATCH = 512
SPANS_PER_TRACE = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- request bodies -----------------------------------------------------------------------------------


def _resource(target: Any, service: str) -> None:
    for key, value in (("service.name", service), ("service.instance.id", f"{service}-1"), ("telemetry.sdk.language", "python")):
        target.attributes.add(key=key).value.string_value = value


def trace_template(service: str) -> tuple[bytes, list[list[int]]]:
    """A request of :data:`BATCH` spans, and where each of its trace ids sits in the bytes (to patch new ones in)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    _resource(rs.resource, service)
    ss = rs.scope_spans.add()
    ss.scope.name = "bench"
    ids = [os.urandom(16) for _ in range(BATCH // SPANS_PER_TRACE)]
    now = time.time_ns()
    for i in range(BATCH):
        span = ss.spans.add()
        span.trace_id = ids[i // SPANS_PER_TRACE]
        span.span_id = os.urandom(8)
        if i % SPANS_PER_TRACE:
            span.parent_span_id = ss.spans[i - i % SPANS_PER_TRACE].span_id
        span.name = "GET /items" if i % SPANS_PER_TRACE == 0 else "SELECT items"
        span.kind = 2 if i % SPANS_PER_TRACE == 0 else 3  # type: ignore[assignment]
        span.start_time_unix_nano = now + i * 1000
        span.end_time_unix_nano = now + i * 1000 + 500_000
        for k in range(6):
            span.attributes.add(key=f"attr.{k}").value.string_value = f"value-{k}"
    body = request.SerializeToString()
    offsets = []
    for trace_id in ids:
        found, at = [], body.find(trace_id)
        while at >= 0:
            found.append(at)
            at = body.find(trace_id, at + 1)
        assert len(found) == SPANS_PER_TRACE, "a trace id's bytes appear elsewhere in the body: run again"
        offsets.append(found)
    return body, offsets


def fresh_traces(body: bytes, offsets: list[list[int]]) -> bytes:
    out = bytearray(body)
    for places in offsets:
        trace_id = os.urandom(16)
        for at in places:
            out[at : at + 16] = trace_id
    return bytes(out)


def log_body(service: str) -> bytes:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    request = ExportLogsServiceRequest()
    rl = request.resource_logs.add()
    _resource(rl.resource, service)
    sl = rl.scope_logs.add()
    sl.scope.name = "bench"
    now = time.time_ns()
    for i in range(BATCH):
        record = sl.log_records.add()
        record.time_unix_nano = now + i
        record.severity_number = 9 if i % 50 else 17  # type: ignore[assignment]
        record.severity_text = "INFO" if i % 50 else "ERROR"
        record.body.string_value = f"handled request {i} for /items"
        for k in range(4):
            record.attributes.add(key=f"attr.{k}").value.string_value = f"value-{k}"
    return request.SerializeToString()


# -- sending --------------------------------------------------------------------------------------------


class Sender:
    """Threads posting bodies until ``total`` items went in; 503 (the receiver is busy) is retried."""

    def __init__(self, port: int, key: str, path: str, make_body: Any, total: int, threads: int) -> None:
        self.port, self.key, self.path, self.make_body = port, key, path, make_body
        self.requests = -(-total // BATCH)
        self.lock = threading.Lock()
        self.sent = 0
        self.busy = 0
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _take(self) -> bool:
        with self.lock:
            if self.sent >= self.requests:
                return False
            self.sent += 1
            return True

    def _run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"content-type": "application/x-protobuf", "x-otlp-api-key": self.key}
        while self._take():
            body = self.make_body()
            while True:
                conn.request("POST", self.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 503:
                    with self.lock:
                        self.busy += 1
                    time.sleep(0.01)
                    continue
                if response.status != 200:
                    self.errors.append(f"{response.status} {response.reason}")
                break
        conn.close()

    def run(self) -> float:
        started = time.perf_counter()
        for t in self.threads:
            t.start()
        for t in self.threads:
            t.join()
        elapsed = time.perf_counter() - started
        if self.errors:
            raise SystemExit(f"the receiver refused requests: {self.errors[:3]}")
        return elapsed


def parse_baseline(bodies: list[bytes], request_class: Any) -> float:
    """Items/s of protobuf parsing alone (one thread), over the same bodies."""
    started = time.perf_counter()
    items = 0
    for body in bodies:
        request = request_class.FromString(body)
        items += BATCH
        del request
    return items / (time.perf_counter() - started)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- latency --------------------------------------------------------------------------------------------

OBSERVE = """
window.__seen = {};
new MutationObserver(() => {
  for (const row of document.querySelectorAll('#traces-table tr.tl-row[data-trace]')) {
    const id = row.dataset.trace;
    if (!(id in window.__seen)) window.__seen[id] = Date.now();
  }
}).observe(document.body, {childList: true, subtree: true});
"""


def latency(h: Any, port: int, key: str, samples: int) -> tuple[list[float], list[float]]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    login = h.login()
    base = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(login))
    waits: list[float] = []
    fetches: list[float] = []
    with browser() as b:
        page = b.new_page()
        page.goto(login)
        page.goto(f"{base}/traces")
        page.wait_for_selector("#traces-table")
        page.evaluate(OBSERVE)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"content-type": "application/x-protobuf", "x-otlp-api-key": key}
        for i in range(samples + 2):
            request = ExportTraceServiceRequest()
            rs = request.resource_spans.add()
            _resource(rs.resource, "latency")
            span = rs.scope_spans.add().spans.add()
            span.trace_id, span.span_id = os.urandom(16), os.urandom(8)
            span.name = f"probe {i}"
            span.start_time_unix_nano = time.time_ns()
            span.end_time_unix_nano = span.start_time_unix_nano + 1000
            body = request.SerializeToString()
            sent_ms = time.time() * 1000
            conn.request("POST", "/v1/traces", body=body, headers=headers)
            conn.getresponse().read()
            trace_hex = span.trace_id.hex()
            page.wait_for_function(f"() => '{trace_hex}' in window.__seen", timeout=30_000)
            seen_ms = page.evaluate(f"window.__seen['{trace_hex}']")
            fetch_ms = page.evaluate(
                "async () => { const t = performance.now(); await fetch('/api/telemetry/resources'); return performance.now() - t; }"
            )
            if i >= 2:  # the first ones warm the page up
                waits.append(seen_ms - sent_ms)
                fetches.append(fetch_ms)
            time.sleep(0.3)
        conn.close()
    return waits, fetches


# -- main -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=1_000_000, help="spans to send (default 1,000,000)")
    parser.add_argument("--logs", type=int, default=200_000, help="log records to send (default 200,000)")
    parser.add_argument("--senders", type=int, default=2, help="sending threads (default 2)")
    parser.add_argument("--samples", type=int, default=20, help="latency samples (default 20)")
    parser.add_argument("--skip", default="", help="comma-separated: latency")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    print(f"machine: {os.cpu_count()} cores, load average {loadavg()} (shared with other engineers' work)")
    template, offsets = trace_template("shop")
    spans_baseline = parse_baseline([fresh_traces(template, offsets) for _ in range(200)], ExportTraceServiceRequest)
    logs_template = log_body("shop")
    logs_baseline = parse_baseline([logs_template] * 200, ExportLogsServiceRequest)

    key = secrets.token_urlsafe(32)
    port = free_port()
    os.environ.update(BENCH_OTLP_KEY=key, ASPYRE_OTLP_ENDPOINT_URL=f"http://127.0.0.1:{port}")
    results: dict[str, Any] = {"load_before": loadavg()}
    with tempfile.TemporaryDirectory() as tmp, host(APP, Path(tmp)) as h:
        h.wait_for(r"^idle\s+: Running")
        time.sleep(2)  # the receiver's protobuf modules load once the app runs
        rss_idle = h.rss_mb()
        cpu0 = h.cpu_seconds()
        spans = Sender(port, key, "/v1/traces", lambda: fresh_traces(template, offsets), args.spans, args.senders)
        elapsed = spans.run()
        cpu_spans = h.cpu_seconds() - cpu0
        sent_spans = spans.requests * BATCH
        rss_spans = h.rss_mb()
        cpu0 = h.cpu_seconds()
        logs = Sender(port, key, "/v1/logs", lambda: logs_template, args.logs, args.senders)
        elapsed_logs = logs.run()
        cpu_logs = h.cpu_seconds() - cpu0
        sent_logs = logs.requests * BATCH
        rss_all = h.rss_mb()
        results["load_after_ingest"] = loadavg()
        waits: list[float] = []
        fetches: list[float] = []
        if "latency" not in skip:
            waits, fetches = latency(h, port, key, args.samples)
        kept = kept_counts(h.login())

    print(f"spans:  {sent_spans:,} in {elapsed:.1f} s = {sent_spans / elapsed:,.0f} spans/s "
          f"(503 retries {spans.busy}); app host CPU {cpu_spans:.1f} s = {sent_spans / max(cpu_spans, 1e-9):,.0f} spans per CPU-second")
    print(f"        baseline, protobuf parsing alone in this process: {spans_baseline:,.0f} spans/s "
          f"(ratio {sent_spans / elapsed / spans_baseline:.2f})")
    print(f"logs:   {sent_logs:,} in {elapsed_logs:.1f} s = {sent_logs / elapsed_logs:,.0f} records/s "
          f"(503 retries {logs.busy}); app host CPU {cpu_logs:.1f} s")
    print(f"        baseline, protobuf parsing alone: {logs_baseline:,.0f} records/s "
          f"(ratio {sent_logs / elapsed_logs / logs_baseline:.2f})")
    print(f"memory: app host RSS {rss_idle:.0f} MB idle, {rss_spans:.0f} MB after {sent_spans:,} spans, "
          f"{rss_all:.0f} MB after the {sent_logs:,} log records too (default limits)")
    print(f"kept:   {json.dumps(kept)}")
    if waits:
        print(f"latency: exported span -> row in the Traces page: median {median(waits):.0f} ms, p95 {p95(waits):.0f} ms "
              f"({len(waits)} samples); baseline fetch round trip median {median(fetches):.1f} ms")
    print(f"load average: before {results['load_before']}, after ingest {results['load_after_ingest']}, now {loadavg()}")


def kept_counts(login: str) -> Any:
    import httpx

    base = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(login))
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as client:
        client.get(login, follow_redirects=False)
        return [{k: r[k] for k in ("name", "traces", "spans", "logs", "errors")} for r in client.get("/api/telemetry/resources").json()]


if __name__ == "__main__":
    main()
