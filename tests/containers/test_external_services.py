"""External services: referenced with Aspire's variable names, health-checked over real HTTP, left out of the
manifest as Aspire leaves them out."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

SHOW_ENV = (
    "import os; print(*sorted(f'{k}={v}' for k, v in os.environ.items() "
    "if k.startswith(('BACKEND', 'PARAM_SVC', 'services__', 'SVC_URL'))), sep='\\n')"
)


class Service:
    """A real HTTP service on 127.0.0.1: ``/api/health`` answers 503 until :attr:`healthy` is set."""

    def __init__(self) -> None:
        self.healthy = threading.Event()
        self.checks = 0
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/api/health":
                    service.checks += 1
                    code = 200 if service.healthy.is_set() else 503
                else:
                    code = 200 if self.path.startswith("/api/") else 404
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"


@pytest.fixture
def service() -> Iterator[Service]:
    s = Service()
    thread = threading.Thread(target=s.server.serve_forever, daemon=True)
    thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


def make_builder(tmp_path: Path, *args: str) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder(list(args), app_host_path=tmp_path / "apphost.py")


@pytest.mark.anyio
async def test_an_external_service_is_referenced_and_waited_for_until_healthy(tmp_path: Path, service: Service) -> None:
    b = make_builder(tmp_path)
    backend = b.add_external_service("backend", service.url).with_http_health_check("health")
    url = b.add_parameter("svc-url", service.url)
    param_svc = b.add_external_service("param-svc", url)
    consumer = (
        b.add_executable("consumer", sys.executable, "-c", SHOW_ENV)
        .with_reference(backend)
        .with_reference(param_svc)
        .with_environment("SVC_URL", backend)
        .wait_for(backend)
    )
    app = b.build()
    with anyio.fail_after(60):
        async with app:
            notifications = app.resource_notifications
            await notifications.wait_for_resource("consumer", S.WAITING)
            snap = await notifications.wait_for_resource("backend", S.RUNNING)
            assert [u.url for u in snap.urls] == [service.url]
            assert snap.property_value(aspyre.model.CustomResourceKnownProperties.SOURCE) == "127.0.0.1"
            with anyio.fail_after(10):
                while service.checks < 2:  # the check polls the service while it is unhealthy
                    await anyio.sleep(0.05)
            assert notifications.get_snapshot("consumer").state_text == S.WAITING  # type: ignore[union-attr]
            service.healthy.set()
            await notifications.wait_for_resource_healthy("backend")
            await notifications.wait_for_resource(consumer.resource, S.FINISHED)
            lines = [line.content for line in app.resource_loggers.backlog("consumer")]
    assert lines == [
        f"BACKEND={service.url}",
        f"PARAM_SVC_HTTP={service.url}",
        f"SVC_URL={service.url}",
        f"services__backend__http__0={service.url}",
        f"services__param-svc__http__0={service.url}",
    ]


@pytest.mark.anyio
async def test_an_invalid_url_from_a_parameter_fails_the_service(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_external_service("svc", b.add_parameter("svc-url", "http://example.test/no-slash"))
    app = b.build()
    with anyio.fail_after(30):
        async with app:
            await app.resource_notifications.wait_for_resource("svc", S.FAILED_TO_START)
            lines = [line.content for line in app.resource_loggers.backlog("svc")]
    assert any("parameter 'svc-url'" in line and "must end with '/'" in line for line in lines), lines


def test_bad_urls_fail_at_the_call(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    for url, why in (
        ("example.com/", "must be absolute"),
        ("http://x/a", "must end with '/'"),
        ("http://x/?q=1", "query"),
    ):
        with pytest.raises(ValueError, match=why):
            b.add_external_service("svc", url)


@pytest.mark.anyio
async def test_the_manifest_leaves_the_service_out_and_writes_what_aspire_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    b = make_builder(tmp_path, "--publisher", "manifest", "--output-path", str(out))
    nuget = b.add_external_service("nuget", "https://api.nuget.org/").with_http_health_check("/v3/index.json")
    svc = b.add_external_service("external-service", b.add_parameter("external-service-url"))
    b.add_executable("frontend", "frontend").with_reference(nuget).with_reference(svc).with_environment(
        "EXTERNAL_SERVICE_URL", svc
    )
    await b.build().run_async()
    manifest = json.loads((out / "aspire-manifest.json").read_text())
    assert set(manifest["resources"]) == {"external-service-url", "frontend"}
    assert manifest["resources"]["frontend"]["env"] == {
        "NUGET": "https://api.nuget.org/",
        "services__nuget__https__0": "https://api.nuget.org/",
        "EXTERNAL_SERVICE": "{external-service-url.value}",
        "services__external-service__default__0": "{external-service-url.value}",
        "EXTERNAL_SERVICE_URL": "{external-service-url.value}",
    }
