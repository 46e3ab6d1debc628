"""A container that sends telemetry to the dashboard: plain Python in the python image (no SDK there), posting
OTLP/JSON to the endpoint and with the key the app host injected (``host.docker.internal`` in the container)."""

import aspyre

SEND = r"""
import json, os, time, urllib.request, urllib.error
endpoint = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]
key, value = os.environ["OTEL_EXPORTER_OTLP_HEADERS"].split("=", 1)
service = os.environ["OTEL_SERVICE_NAME"]
now = time.time_ns()
span = {"traceId": os.urandom(16).hex(), "spanId": os.urandom(8).hex(), "name": "poll from a container", "kind": 1,
        "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 2_000_000)}
body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "probe"}, "spans": [span]}]}]}
print("sending to", endpoint, flush=True)
for attempt in range(60):
    request = urllib.request.Request(endpoint + "/v1/traces", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json", key: value})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            print("answer", response.status, response.read().decode(), flush=True)
            break
    except (urllib.error.URLError, OSError) as exc:
        print("retrying:", exc, flush=True)
        time.sleep(1)
time.sleep(600)
"""

builder = aspyre.DistributedApplication.create_builder()
builder.add_container("probe", "python", "3.11-slim").with_entrypoint("python").with_args("-c", SEND)
builder.build().run()
