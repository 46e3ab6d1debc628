"""with_debugpy(): the app runs under debugpy on an allocated endpoint; a client speaking the Debug Adapter
Protocol over a plain socket (what VS Code's "attach" does) connects, and with wait_for_client the app's code
runs only once it attached. debugpy comes from PyPI (requirements-dev.txt puts it in the app host's environment)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

import aspyre
from aspyre.pytest_plugin import AspyreAppFactory

from .helpers import copy_app, log_text

pytest.importorskip("debugpy", reason="debugpy is not installed: pip install -r requirements-dev.txt")


class DapClient:
    """The smallest Debug Adapter Protocol client: Content-Length framed JSON over a socket."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=30)
        self.buffer = b""
        self.seq = 0

    def request(self, command: str, arguments: dict[str, Any]) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments}).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def receive(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = int(head.split(b":", 1)[1])
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        message: dict[str, Any] = json.loads(rest[:length])
        return message

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the debug adapter closed the connection")
        return data

    def until(self, kind: str, name: str) -> dict[str, Any]:
        """Messages until a response to ``name`` (kind ``response``) or the event ``name``."""
        while True:
            message = self.receive()
            if message.get("type") == kind and message.get("command" if kind == "response" else "event") == name:
                return message

    def close(self) -> None:
        self.sock.close()


def connect(address: tuple[str, int]) -> DapClient:
    last: OSError | None = None
    for _ in range(100):  # the adapter listens a moment after the process started
        try:
            return DapClient(address)
        except OSError as exc:
            last = exc
            time.sleep(0.1)
    raise AssertionError(f"could not connect to debugpy at {address}: {last}")


def attach(address: tuple[str, int]) -> dict[str, Any]:
    """Initialize and attach as an editor does; returns the ``process`` event (the debuggee's pid)."""
    client = connect(address)
    try:
        client.request("initialize", {"adapterID": "aspyre-test", "clientID": "aspyre-test", "linesStartAt1": True})
        initialized = client.until("response", "initialize")
        assert initialized["success"], initialized
        client.request("attach", {"justMyCode": True})
        client.until("event", "initialized")
        client.request("configurationDone", {})
        attached = client.until("response", "attach")
        assert attached["success"], attached
        return client.until("event", "process")
    finally:
        client.close()


@pytest.mark.anyio
async def test_an_editor_attaches_and_the_app_waits_for_it(aspyre_app_factory: AspyreAppFactory, tmp_path: Path) -> None:
    copy_app("debuggee", tmp_path)
    builder = aspyre_app_factory.create_builder(app_host_path=tmp_path / "apphost.py")
    builder.add_python_app("app", "debuggee", "app.py").with_debugpy(wait_for_client=True)
    app = await aspyre_app_factory(builder)
    snapshot = await app.resource_notifications.wait_for_resource("app", aspyre.KnownResourceStates.RUNNING)
    url = app.get_endpoint("app", "debugpy")
    assert url.startswith("tcp://127.0.0.1:")
    assert ("debugpy", url) in {(u.name, u.url) for u in snapshot.urls}  # shown with the resource's URLs
    host, port = url.removeprefix("tcp://").split(":")
    args = next(p.value for p in snapshot.properties if p.name == "executable.args")
    assert args[:7] == ["-X", "frozen_modules=off", "-u", "-m", "debugpy", "--listen", f"127.0.0.1:{port}"]

    await anyio.sleep(1)
    assert "debuggee: code running" not in log_text(app, "app")  # waiting for a client
    process = await anyio.to_thread.run_sync(attach, (host, int(port)))
    assert process["body"]["systemProcessId"] == next(p.value for p in snapshot.properties if p.name == "executable.pid")
    with anyio.fail_after(30):
        while "debuggee: code running" not in log_text(app, "app"):
            await anyio.sleep(0.1)
    assert "frozen modules" not in log_text(app, "app")


@pytest.mark.anyio
async def test_without_debugpy_in_the_environment_the_app_fails_to_start_and_says_so(
    aspyre_app_factory: AspyreAppFactory, tmp_path: Path
) -> None:
    from aspyre._hosting._python_env import uv_binary

    copy_app("debuggee", tmp_path)
    await anyio.run_process([uv_binary(), "venv", "--quiet", str(tmp_path / "bare")])
    builder = aspyre_app_factory.create_builder(app_host_path=tmp_path / "apphost.py")
    builder.add_python_app("app", "debuggee", "app.py", venv="bare").with_debugpy()
    app = await aspyre_app_factory(builder)
    await app.resource_notifications.wait_for_resource("app", aspyre.KnownResourceStates.FAILED_TO_START)
    text = log_text(app, "app")
    assert f"with_debugpy(): the environment of 'app' ({tmp_path / 'bare' / 'bin' / 'python'}) has no debugpy" in text
    assert "uv add --dev debugpy" in text
