"""The telemetry tests' app host: Redis (a real container), a worker that uses it, an API that calls the
worker; both apps export traces, logs and metrics with the OpenTelemetry SDK to the dashboard."""

from pathlib import Path

import aspyre

APPS = Path(__file__).resolve().parent.parent / "apps"

builder = aspyre.DistributedApplication.create_builder()
cache = builder.add_redis("cache")
worker = (
    builder.add_python_app("worker", APPS / "worker.py")
    .with_http_endpoint(env="PORT")
    .with_reference(cache)
    .wait_for(cache)
)
api = (
    builder.add_python_app("api", APPS / "api.py")
    .with_http_endpoint(env="PORT")
    .with_http_health_check("/health")
    .with_environment("WORKER_URL", worker.get_endpoint("http"))
    .wait_for(worker)
)
builder.build().run()
