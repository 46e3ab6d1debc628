"""The dashboard shows secrets and runs commands: what it refuses, checked over real HTTP and WebSockets.

One app host (tests/dashboard/apphosts/showcase.py, no containers) runs for the module; a plain
HTTP client plays the browser, with and without the cookie the sign-in link sets.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import wsproto.events as ev

import aspyre_dashboard._security as security_module
from aspyre_dashboard._security import Security

from .helpers import SHOWCASE, AppHost, dashboard_env, resources, same_origin, signed_in, wait_until, ws_frames

SECRET = "s3cr3t-t0ken-value"  # the value of the showcase's secret parameter "token"

GETS = [
    "/",
    "/resources",
    "/graph",
    "/parameters",
    "/console",
    "/console/ticker",
    "/favicon.ico",
    "/static/js/app.js",
    "/static/css/dashboard.css",
    "/api/info",
    "/api/resources",
    "/api/logs/download",
    "/api/logs/download?resource=ticker",
]
POSTS = ["/api/resources/ticker/commands/stop", "/api/resources/ticker/reveal"]


@pytest.fixture(scope="module")
def host() -> Iterator[AppHost]:
    app_host = AppHost(SHOWCASE)
    try:
        app_host.wait_for_dashboard()
        app_host.wait_for_line(r"^ticker\s+: Running")
        yield app_host
    finally:
        app_host.stop()


@pytest.fixture
def anonymous(host: AppHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.url, trust_env=False, timeout=30) as client:
        yield client


@pytest.fixture
def client(host: AppHost) -> Iterator[httpx.Client]:
    with signed_in(host) as c:
        yield c


def test_the_printed_link_is_a_loopback_login_url_with_a_long_token(host: AppHost) -> None:
    assert host.login_url.startswith("http://127.0.0.1:")
    assert "/login?t=" in host.login_url
    assert len(host.token) >= 40
    assert sum("Dashboard:" in line for line in host.lines) == 1  # printed once


@pytest.mark.parametrize("path", GETS)
def test_every_page_and_api_answers_401_without_the_cookie(anonymous: httpx.Client, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 401
    assert SECRET not in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("path", POSTS)
def test_commands_and_reveals_answer_401_without_the_cookie(host: AppHost, anonymous: httpx.Client, path: str) -> None:
    response = anonymous.post(path, headers=same_origin(host), json={"kind": "env", "name": "API_TOKEN"})
    assert response.status_code == 401
    assert SECRET not in response.text


def test_a_wrong_cookie_gets_nothing(host: AppHost, anonymous: httpx.Client) -> None:
    name = f"aspyre_dashboard_{httpx.URL(host.url).port}"
    response = anonymous.get("/api/resources", headers={"Cookie": f"{name}={'0' * 64}"})
    assert response.status_code == 401
    # The token itself is not the cookie either.
    response = anonymous.get("/api/resources", headers={"Cookie": f"{name}={host.token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("query", ["", "?t=", "?t=wrong", "?x=1"])
def test_a_wrong_or_missing_token_sets_no_cookie(anonymous: httpx.Client, query: str) -> None:
    response = anonymous.get(f"/login{query}", follow_redirects=False)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert anonymous.get("/api/resources").status_code == 401


def test_the_login_sets_an_httponly_strict_cookie_and_redirects(host: AppHost, anonymous: httpx.Client) -> None:
    response = anonymous.get(host.login_url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert host.token not in cookie  # the browser keeps a derived value, not the token
    assert anonymous.get("/api/resources").status_code == 200


def test_the_login_redirect_stays_on_the_dashboard(host: AppHost, anonymous: httpx.Client) -> None:
    for target, expected in [("/console/ticker", "/console/ticker"), ("//evil.example/", "/"), ("http://evil/", "/")]:
        response = anonymous.get("/login", params={"t": host.token, "next": target}, follow_redirects=False)
        assert response.headers["location"] == expected


def test_no_secret_in_any_page_script_or_answer(host: AppHost, client: httpx.Client) -> None:
    for path in GETS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert SECRET not in response.text, path
    ticker = resources(client)["ticker"]
    token_var = next(e for e in ticker["environment"] if e["name"] == "API_TOKEN")
    assert token_var == {"name": "API_TOKEN", "value": None, "masked": True, "fromSpec": True}
    token_param = resources(client)["token"]
    assert all(p["value"] is None for p in token_param["properties"] if p["masked"])
    assert any(p["masked"] for p in token_param["properties"])


def test_a_reveal_is_a_separate_authenticated_same_origin_request(host: AppHost, client: httpx.Client) -> None:
    body = {"kind": "env", "name": "API_TOKEN"}
    assert client.post("/api/resources/ticker/reveal", json=body).status_code == 403  # no Origin
    response = client.post("/api/resources/ticker/reveal", json=body, headers=same_origin(host))
    assert response.status_code == 200
    assert response.json() == {"value": SECRET}
    response = client.post(
        "/api/resources/token/reveal", json={"kind": "property", "name": "Value"}, headers=same_origin(host)
    )
    assert response.json() == {"value": SECRET}
    missing = client.post(
        "/api/resources/ticker/reveal", json={"kind": "env", "name": "NOPE"}, headers=same_origin(host)
    )
    assert missing.status_code == 404


def test_commands_need_the_same_origin_and_a_json_body(host: AppHost, client: httpx.Client) -> None:
    path = "/api/resources/batch/commands/start"
    assert client.get(path).status_code == 405  # nothing changes on GET
    assert client.post(path).status_code == 403  # no Origin
    assert client.post(path, headers={"Origin": "http://evil.example"}, json={}).status_code == 403
    form = {"Origin": host.url, "Content-Type": "application/x-www-form-urlencoded"}
    assert client.post(path, headers=form, content=b"a=1").status_code == 403
    assert resources(client)["batch"]["state"] == "NotStarted"  # none of them ran it
    response = client.post(path, headers=same_origin(host), json={})
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True
    wait_until(lambda: resources(client)["batch"]["state"] == "Finished", "batch to finish")


def test_commands_of_unknown_resources_or_names_are_404(host: AppHost, client: httpx.Client) -> None:
    assert client.post("/api/resources/nope/commands/start", headers=same_origin(host), json={}).status_code == 404
    assert client.post("/api/resources/ticker/commands/nope", headers=same_origin(host), json={}).status_code == 404


def test_another_host_name_is_refused(host: AppHost, client: httpx.Client) -> None:
    """A DNS name pointing at 127.0.0.1 (rebinding) does not reach a loopback dashboard."""
    port = httpx.URL(host.url).port
    response = client.get("/api/resources", headers={"Host": f"evil.example:{port}"})
    assert response.status_code == 421
    assert client.get("/api/resources", headers={"Host": f"localhost:{port}"}).status_code == 200


def test_security_headers(client: httpx.Client) -> None:
    response = client.get("/resources")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


def _cookie(client: httpx.Client) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def test_the_live_stream_answers_401_without_the_cookie(host: AppHost) -> None:
    events = list(ws_frames(host, None, host.url, []))
    assert isinstance(events[0], ev.RejectConnection)
    assert events[0].status_code == 401


def test_the_live_stream_refuses_another_origin(host: AppHost, client: httpx.Client) -> None:
    events = list(ws_frames(host, _cookie(client), "http://evil.example", []))
    assert isinstance(events[0], ev.RejectConnection)
    assert events[0].status_code == 403


def test_the_live_stream_carries_no_secret(host: AppHost, client: httpx.Client) -> None:
    subscribe = [{"t": "sub", "topic": "resources"}, {"t": "sub", "topic": "logs", "id": 1, "resource": None}]
    texts: list[str] = []
    for event in ws_frames(host, _cookie(client), host.url, subscribe):
        if isinstance(event, ev.TextMessage):
            texts.append(event.data)
            if any('"t":"resources"' in t for t in texts) and any('"t": "logs"' in t for t in texts):
                break
    assert texts
    assert '"API_TOKEN"' in "".join(texts)
    assert SECRET not in "".join(texts)


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security_module.hmac, "compare_digest", recording)
    sec = Security("the-token", 1234, None)
    assert sec.token_matches("the-token")
    assert not sec.token_matches("the-tokeX")
    assert not sec.token_matches("")
    assert len(calls) == 2
    cookie = sec.set_cookie().decode().split(";")[0]
    assert sec.cookie_matches([(b"cookie", cookie.encode())])
    assert len(calls) == 3
    assert "the-token" not in repr(sec)


def test_binding_elsewhere_without_a_token_is_refused() -> None:
    env = dashboard_env(
        ASPYRE_DASHBOARD_URL="http://0.0.0.0:0", ASPYRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS="true"
    )
    refused = AppHost(SHOWCASE, env=env)
    try:
        line = refused.wait_for_line(r"^Dashboard: ").string
        refused.wait_for_line(r"^ticker\s+: Running")  # the app runs, without its dashboard
    finally:
        refused.stop()
    assert line.startswith("Dashboard: not started: The dashboard refuses to listen on 0.0.0.0 without a token")
    assert "ASPYRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS" in line
    assert "http://" not in line.split("without a token")[0]


def test_unsecured_on_loopback_needs_no_cookie_but_still_checks_origins() -> None:
    env = dashboard_env(ASPYRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS="true")
    host = AppHost(SHOWCASE, env=env)
    try:
        url = host.wait_for_dashboard()
        assert "?t=" not in url
        with httpx.Client(base_url=host.url, trust_env=False, timeout=30) as anonymous:
            assert anonymous.get("/api/resources").status_code == 200
            assert anonymous.post("/api/resources/batch/commands/start", json={}).status_code == 403
            port = httpx.URL(host.url).port
            assert anonymous.get("/api/info", headers={"Host": f"evil.example:{port}"}).status_code == 421
    finally:
        host.stop()


# --- refused requests and kept-alive connections -------------------------------------------------------------
#
# A client reuses a connection whose last response did not say "Connection: close". A server that answers
# before it has read the request's body (a refusal, a 404/405, a 413) must therefore either read the rest of
# the body first or say it closes the connection: otherwise the client's next request on it meets a closed
# socket ("Server disconnected without sending a response"). Raw sockets fix the order of bytes exactly.


def _raw_request(method: str, path: str, host: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Content-Length: {length}"]
    if "Host" not in headers:
        lines.append(f"Host: {host}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _read_response(sock: Any, buffer: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length (what the dashboard sends) from ``sock``."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the server closed the connection without a response (got {bytes(buffer)!r})")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    length = int(headers["content-length"])
    body = bytearray(rest)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection in the middle of a response")
        body += chunk
    buffer[:] = body[length:]
    return int(status_line.split()[1]), headers, bytes(body[:length])


def _session_cookie(host: AppHost) -> str:
    with signed_in(host) as c:
        return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


def _refusals(host: AppHost) -> list[tuple[str, str, dict[str, str], int]]:
    cookie = _session_cookie(host)
    json_origin = {"Cookie": cookie, **same_origin(host)}
    return [
        ("POST", "/api/resources/batch/commands/start", {"Cookie": cookie}, 403),  # no Origin
        ("POST", "/api/resources/batch/commands/start", {"Cookie": cookie, "Origin": "http://evil.example"}, 403),
        ("POST", "/api/resources/ticker/reveal", {}, 401),  # no cookie
        ("POST", "/api/resources", json_origin, 405),  # a GET-only route
        ("POST", "/api/resources/nope/reveal", json_origin, 404),  # answered before the body is read
        ("POST", "/api/resources/ticker/reveal", {**json_origin, "Host": "evil.example"}, 421),
    ]


@pytest.mark.parametrize("late", [False, True], ids=["body-never-sent", "body-sent-late"])
def test_a_response_before_the_body_is_read_keeps_the_connection_usable_or_says_close(
    host: AppHost, late: bool
) -> None:
    import socket
    import time

    netloc = httpx.URL(host.url).netloc.decode()
    hostname, port = httpx.URL(host.url).host, httpx.URL(host.url).port
    assert port is not None
    body = b'{"kind": "env", "name": "API_TOKEN"}'
    # A body never sent costs the server's wait for it (a second): two refusals (the gate's, the app's) show it.
    refusals = _refusals(host) if late else [r for r in _refusals(host) if r[3] in (403, 405)][:2]
    for method, path, headers, status in refusals:
        with socket.create_connection((hostname, port), timeout=30) as sock:
            sock.sendall(_raw_request(method, path, netloc, headers, len(body)))
            if late:  # the body follows the headers a moment later (a client writes them separately)
                time.sleep(0.2)
                sock.sendall(body)
            buffer = bytearray()
            got, response_headers, _ = _read_response(sock, buffer)
            assert got == status, (path, got)
            if response_headers.get("connection", "").lower() == "close":
                continue  # the server said so: a client opens a new connection for its next request
            # kept alive: the next request on this connection gets its answer
            get = f"GET /api/info HTTP/1.1\r\nHost: {netloc}\r\nCookie: {_session_cookie(host)}\r\n\r\n".encode()
            try:
                sock.sendall(get if late else body + get)
                assert _read_response(sock, buffer)[0] == 200
            except OSError as exc:  # ConnectionError included
                raise AssertionError(f"{status} to {method} {path} kept the connection alive but closed it: {exc}") from exc


def test_a_body_too_large_is_answered_413_and_the_connection_closed_or_kept_usable(host: AppHost) -> None:
    import socket

    netloc = httpx.URL(host.url).netloc.decode()
    cookie = _session_cookie(host)
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    headers = {"Cookie": cookie, **same_origin(host)}
    with socket.create_connection((httpx.URL(host.url).host, httpx.URL(host.url).port), timeout=30) as sock:
        sock.sendall(_raw_request("POST", "/api/resources/batch/commands/start", netloc, headers, len(body)))
        sock.sendall(body[: 64 * 1024])  # the rest is not sent before the answer
        buffer = bytearray()
        status, response_headers, _ = _read_response(sock, buffer)
        assert status == 413
        assert response_headers.get("connection", "").lower() == "close"
