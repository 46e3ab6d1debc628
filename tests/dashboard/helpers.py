"""Run an app host with its dashboard in a subprocess, and talk to the dashboard like a browser would."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "apphost.py"
SHOWCASE = Path(__file__).resolve().parent / "apphosts" / "showcase.py"
ASPYRE = Path(sys.executable).with_name("aspyre")
#: A guard against hangs, not a speed requirement.
GUARD_SECONDS = 120
DASHBOARD_LINE = re.compile(r"^Dashboard: (?P<url>http://\S+)$")


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def dashboard_env(**extra: str) -> dict[str, str]:
    """The test process's environment with the dashboard on (whatever ASPYRE_DISABLE_PLUGINS the caller set) and no COLUMNS."""
    env = dict(os.environ)
    env.pop("ASPYRE_DISABLE_PLUGINS", None)
    env.pop("COLUMNS", None)
    env.update(extra)
    return env


class AppHost:
    """``aspyre run --plain APPHOST`` in its own session; stdout lines collected by a reader thread."""

    def __init__(self, app_host: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [str(ASPYRE), "run", "--plain", str(app_host), *args],
            cwd=app_host.parent,
            env=env if env is not None else dashboard_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()
        self.login_url = ""
        self.url = ""

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, pattern: str) -> re.Match[str]:
        rx = re.compile(pattern)
        while True:
            try:
                line = self._queue.get(timeout=GUARD_SECONDS)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}\n{self.output()}") from None
            if line is None:
                self.proc.wait()
                raise AssertionError(f"the app host exited ({self.proc.returncode}) first\n{self.output()}")
            m = rx.search(line)
            if m:
                return m

    def wait_for_dashboard(self) -> str:
        """The sign-in link printed by the app host."""
        self.login_url = self.wait_for_line(DASHBOARD_LINE.pattern).group("url")
        parts = urllib.parse.urlsplit(self.login_url)
        self.url = f"{parts.scheme}://{parts.netloc}"
        return self.login_url

    @property
    def token(self) -> str:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.login_url).query)["t"][0]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._thread.join(timeout=10)
        return self.proc.returncode


@contextlib.contextmanager
def signed_in(host: AppHost) -> Iterator[httpx.Client]:
    """An HTTP client holding the dashboard's cookie (signed in with the printed link)."""
    with httpx.Client(base_url=host.url, trust_env=False, timeout=30) as client:
        response = client.get(host.login_url, follow_redirects=False)
        assert response.status_code == 303, response.text
        yield client


def same_origin(host: AppHost) -> dict[str, str]:
    """The headers a page of the dashboard sends with a command."""
    return {"Origin": host.url, "Content-Type": "application/json"}


def resources(client: httpx.Client) -> dict[str, dict[str, Any]]:
    response = client.get("/api/resources")
    assert response.status_code == 200, response.text
    return {r["name"]: r for r in response.json()}


def wait_until(predicate: Any, what: str, timeout: float = GUARD_SECONDS, interval: float = 0.1) -> Any:
    """Poll ``predicate()`` until it returns something truthy (a hang guard, not a timing assertion)."""
    import time

    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def ws_frames(host: AppHost, cookie: str | None, origin: str | None, messages: list[dict[str, Any]]) -> Iterator[Any]:
    """Open the live socket with ``wsproto`` over a plain socket (no browser), send ``messages``, yield frames."""
    import socket

    import wsproto
    import wsproto.events as ev

    parts = urllib.parse.urlsplit(host.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    try:
        conn = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
        headers = []
        if cookie is not None:
            headers.append((b"cookie", cookie.encode()))
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        sock.sendall(conn.send(ev.Request(host=parts.netloc, target="/api/live", extra_headers=headers)))
        accepted = False
        while True:
            data = sock.recv(65536)
            if not data:
                return
            conn.receive_data(data)
            for event in conn.events():
                if isinstance(event, ev.AcceptConnection):
                    accepted = True
                    yield event
                    for m in messages:
                        sock.sendall(conn.send(ev.TextMessage(json.dumps(m))))
                elif isinstance(event, ev.RejectConnection):
                    yield event
                    if not event.has_body:
                        return
                elif isinstance(event, ev.RejectData):
                    yield event
                    if event.body_finished:
                        return
                elif isinstance(event, ev.TextMessage) and accepted:
                    yield event
                elif isinstance(event, ev.CloseConnection):
                    return
    finally:
        sock.close()
