"""Telemetry for real: two Python processes on the OpenTelemetry SDK (an API calling a worker over HTTP, the
worker using a real Redis in Docker) under ``aspyre run``; their spans form one trace across both resources,
their logs and metrics arrive, and a real browser sees all of it on the dashboard's pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..helpers import AppHost, resources, same_origin, signed_in, wait_until
from . import otlp

pytestmark = pytest.mark.docker

SHOP = Path(__file__).resolve().parent / "apphosts" / "shop.py"


@pytest.fixture(scope="module")
def host() -> Iterator[AppHost]:
    app_host = AppHost(SHOP)
    try:
        app_host.wait_for_dashboard()
        app_host.wait_for_line(r"^api\s+: Running \(Healthy\)")
        yield app_host
    finally:
        app_host.stop()


@pytest.fixture(scope="module")
def client(host: AppHost) -> Iterator[httpx.Client]:
    with signed_in(host) as c:
        yield c


def api_url(client: httpx.Client) -> str:
    return str(resources(client)["api"]["urls"][0]["url"]).rstrip("/")


def order(client: httpx.Client, item: str) -> int:
    return httpx.get(f"{api_url(client)}/order", params={"item": item}, trust_env=False, timeout=30).status_code


def trace_of(client: httpx.Client, item: str, spans: int) -> dict[str, Any]:
    """The trace of the order for ``item`` once ``spans`` spans of it arrived (found through the API's log entry)."""

    def found() -> dict[str, Any] | None:
        logs = client.get("/api/telemetry/logs", params={"resource": "api", "q": item}).json()["items"]
        if not logs or not logs[0]["traceId"]:
            return None
        detail = client.get(f"/api/telemetry/traces/{logs[0]['traceId']}")
        if detail.status_code != 200 or len(detail.json()["spans"]) < spans:
            return None
        return dict(detail.json())

    return wait_until(found, f"the trace of the order for {item}")  # type: ignore[no-any-return]


def test_one_request_is_one_trace_across_two_resources(client: httpx.Client) -> None:
    item = f"book-{uuid.uuid4().hex[:6]}"
    assert order(client, item) == 200
    trace = trace_of(client, item, 4)
    spans = {s["name"]: s for s in trace["spans"]}
    assert set(spans) == {"GET /order", "GET worker /stock", "GET /stock", "INCR"}
    assert {r["name"] for r in trace["resources"]} == {"api", "worker"}
    assert (trace["name"], trace["rootResource"], trace["complete"]) == ("GET /order", "api", True)
    root, call, served, redis = (spans[n] for n in ("GET /order", "GET worker /stock", "GET /stock", "INCR"))
    assert root["parentId"] is None and root["resource"] == "api" and root["kind"] == "server"
    assert call["parentId"] == root["spanId"] and call["kind"] == "client"
    assert served["parentId"] == call["spanId"] and served["resource"] == "worker"  # across the two processes
    assert redis["parentId"] == served["spanId"] and ["db.system", "redis"] in redis["attributes"]
    assert [s["depth"] for s in trace["spans"]] == [0, 1, 2, 3]
    assert ["shop.item", item] in root["attributes"]
    assert served["instance"].startswith("worker-")  # service.instance.id from OTEL_RESOURCE_ATTRIBUTES


def test_logs_and_metrics_arrive_with_their_links(client: httpx.Client) -> None:
    item = f"pen-{uuid.uuid4().hex[:6]}"
    assert order(client, item) == 200
    trace = trace_of(client, item, 4)

    def both_logs() -> list[dict[str, Any]] | None:
        # each process exports its logs in its own batches: one resource's may arrive well before the other's
        items = client.get("/api/telemetry/logs", params={"trace": trace["traceId"]}).json()["items"]
        resources = {e["resource"] for e in items}
        return list(items) if resources >= {"api", "worker"} else None

    logs = wait_until(both_logs, "the logs of the order's trace from both api and worker")
    assert {(e["resource"], e["level"]) for e in logs} >= {("api", "Information"), ("worker", "Information")}
    placed = next(e for e in logs if e["resource"] == "api")
    assert placed["message"] == f"order placed for {item}"
    assert ["shop.item", item] in placed["attributes"]
    assert placed["spanId"] in {s["spanId"] for s in trace["spans"]}

    def instruments() -> dict[str, Any]:
        listed = client.get("/api/telemetry/metrics/api")
        return {i["name"]: i for i in listed.json()} if listed.status_code == 200 else {}

    found = wait_until(lambda: {"shop.orders", "shop.order.duration"} <= set(instruments()) and instruments(), "metrics")
    assert (found["shop.orders"]["kind"], found["shop.order.duration"]["kind"]) == ("counter", "histogram")

    def counted() -> list[Any] | None:
        chart = client.get("/api/telemetry/metrics/api/chart", params={"scope": "shop.api", "name": "shop.orders"}).json()
        series = [s for s in chart["series"] if s["attributes"] == [["shop.item", item]]]
        return series[0]["points"] if series and series[0]["points"] else None

    assert wait_until(counted, "the counter's points")[-1][1] == 1
    chart = client.get("/api/telemetry/metrics/api/chart", params={"scope": "shop.api", "name": "shop.order.duration"}).json()
    assert chart["columns"] == ["count", "sum", "p50", "p90", "p99"]
    assert chart["unit"] == "ms"


def test_a_failure_is_an_error_in_the_trace_and_an_error_log(client: httpx.Client) -> None:
    assert order(client, "broken") == 500
    trace = trace_of(client, "broken", 4)
    assert trace["errors"] == 2
    served = next(s for s in trace["spans"] if s["name"] == "GET /stock")
    assert served["status"] == "error" and served["statusMessage"] == "no stock record for 'broken'"
    assert [e["name"] for e in served["events"]] == ["exception"]

    def error_resources() -> set[str] | None:
        items = client.get("/api/telemetry/logs", params={"level": "error"}).json()["items"]
        found = {e["resource"] for e in items}
        return found if found >= {"api", "worker"} else None  # each process exports its logs in its own batches

    wait_until(error_resources, "error logs of both api and worker")
    summary = {r["name"]: r for r in client.get("/api/telemetry/resources").json()}
    assert summary["worker"]["errors"] >= 1 and summary["api"]["errors"] >= 1


def test_the_key_guards_the_receiver_and_is_never_shown(client: httpx.Client, host: AppHost) -> None:
    env = {e["name"]: e for e in resources(client)["worker"]["environment"]}
    assert env["OTEL_EXPORTER_OTLP_HEADERS"]["masked"] and env["OTEL_EXPORTER_OTLP_HEADERS"]["value"] is None
    endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", endpoint)
    assert env["OTEL_SERVICE_NAME"]["value"] == "worker"
    revealed = client.post(
        "/api/resources/worker/reveal", json={"kind": "env", "name": "OTEL_EXPORTER_OTLP_HEADERS"}, headers=same_origin(host)
    ).json()["value"]
    name, _, key = revealed.partition("=")
    assert name == "x-otlp-api-key" and len(key) >= 40
    body = otlp.logs("outsider", [(9, "hello")]).SerializeToString()
    headers = {"content-type": "application/x-protobuf"}
    assert httpx.post(f"{endpoint}/v1/logs", content=body, headers=headers, trust_env=False).status_code == 401
    wrong = {**headers, "x-otlp-api-key": key[:-2] + "zz"}
    assert httpx.post(f"{endpoint}/v1/logs", content=body, headers=wrong, trust_env=False).status_code == 401
    right = {**headers, "x-otlp-api-key": key}
    assert httpx.post(f"{endpoint}/v1/logs", content=body, headers=right, trust_env=False).status_code == 200
    # Nothing the pages get carries the key (the logs of "outsider" are there, the key is not).
    for path in ("/api/resources", "/api/telemetry/resources", "/api/telemetry/logs", "/api/telemetry/traces", "/"):
        text = client.get(path).text
        assert key not in text, path
    assert "outsider" in client.get("/api/telemetry/resources").text
    # And the receiver answers nothing to the dashboard's cookie alone, nor does the dashboard take OTLP.
    assert client.post("/v1/logs", content=body, headers=headers).status_code in (401, 403, 404, 405)


# -- in a real browser ------------------------------------------------------------------------------------


@pytest.fixture
def page(context: Any, host: AppHost) -> Iterator[Any]:
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    frames: list[str] = []
    p.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    p.goto(host.login_url)
    p.wait_for_selector("tr.res-row")
    p.frames_seen = frames  # type: ignore[attr-defined]
    yield p
    assert errors == []


def test_the_pages_show_logs_traces_and_metrics_live(page: Any, client: httpx.Client, host: AppHost) -> None:
    item = f"lamp-{uuid.uuid4().hex[:6]}"
    page.locator("#nav .nav-item[data-page='structuredlogs']").click()
    page.wait_for_selector("#logs-table")
    page.fill("#logs-filter", item)
    assert order(client, item) == 200  # after the page is open: the rows arrive live
    row = page.locator(f"#logs-table tr.tl-row[data-resource='api']:has-text('order placed for {item}')")
    row.wait_for()
    row.click()
    page.wait_for_selector(f"#log-details tr[data-key='shop.item'] >> text={item}")
    row.locator("a.tl-trace-link").click()  # jump to its trace
    page.wait_for_url(re.compile(r"/traces/[0-9a-f]{32}$"))
    page.wait_for_function("() => document.querySelectorAll('#waterfall .tl-span-row').length === 4")
    rows = page.locator("#waterfall .tl-span-row")
    assert rows.evaluate_all("rs => rs.map(r => [r.dataset.resource, Number(r.dataset.depth)])") == [
        ["api", 0], ["api", 1], ["worker", 2], ["worker", 3],
    ]
    rows.nth(3).click()
    page.wait_for_selector("#span-details tr[data-key='db.system'] >> text=redis")
    page.locator("#nav .nav-item[data-page='traces']").click()
    page.wait_for_selector("#traces-table tr.tl-row[data-trace]")
    page.fill("#traces-filter", "GET /order")
    page.wait_for_selector("#traces-table tr.tl-row >> text=GET /order")
    page.locator("#nav .nav-item[data-page='metrics']").click()
    page.wait_for_selector("#metrics-resource")
    page.select_option("#metrics-resource", "api")
    page.locator("#instruments button[data-instrument='shop.orders']").click()
    page.wait_for_selector("#metric-chart svg path.tl-line", state="attached")  # a flat line has no height
    page.wait_for_selector(f"#metric-values tr[data-series='shop.item={item}']")
    page.locator("#instruments button[data-instrument='shop.order.duration']").click()
    # The histogram's values table counts every order so far, even once an export interval passes without one.
    cells = page.locator(f"#metric-values tr[data-series='shop.item={item}'] td")
    cells.first.wait_for()
    page.wait_for_timeout(2500)  # two more export intervals (1 s each) with no order for this item
    page.locator("#instruments button[data-instrument='shop.orders']").click()
    page.locator("#instruments button[data-instrument='shop.order.duration']").click()
    page.wait_for_selector(f"#metric-values tr[data-series='shop.item={item}'] td")
    assert cells.nth(1).inner_text() == "1"


def test_error_badges_and_links_in_resources_and_the_key_stays_out_of_the_page(page: Any, client: httpx.Client) -> None:
    assert order(client, "broken") == 500
    badge = page.locator("tr.res-row[data-resource='worker'] .tl-error-badge")
    badge.wait_for()
    assert int(badge.get_attribute("data-errors")) >= 1
    page.locator("tr.res-row[data-resource='worker']").click()
    page.wait_for_selector(".details [data-section='telemetry'] a[data-telemetry='traces']")
    badge.click()  # to the worker's error logs
    page.wait_for_selector("#logs-table tr.tl-row[data-level='Error'][data-resource='worker']")
    assert page.locator("#logs-resource").input_value() == "worker"
    assert page.locator("#logs-table tr.tl-row:not([data-level='Error']):not([data-level='Critical'])").count() == 0
    env = {e["name"]: e for e in resources(client)["worker"]["environment"]}
    assert env["OTEL_EXPORTER_OTLP_HEADERS"]["value"] is None
    content = page.content() + "".join(page.frames_seen)  # type: ignore[attr-defined]
    assert "x-otlp-api-key=" not in content


def test_a_trace_address_opens_in_a_fresh_tab(context: Any, host: AppHost, client: httpx.Client) -> None:
    item = f"cup-{uuid.uuid4().hex[:6]}"
    assert order(client, item) == 200
    trace = trace_of(client, item, 4)
    page = context.new_page()
    page.goto(host.login_url)
    page.goto(f"{host.url}/traces/{trace['traceId']}")  # the trace's own address serves the page
    page.wait_for_function("() => document.querySelectorAll('#waterfall .tl-span-row').length === 4")
    assert page.locator("#trace-span-count").inner_text() == "4"
    page.goto(f"{host.url}/traces/{'0' * 32}")
    page.wait_for_selector("#trace-missing")
