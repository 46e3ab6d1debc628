"""The endpoint proxy's cost: added latency per small HTTP request and bulk TCP throughput, vs direct.

Three processes, as in an app: a server (a small keep-alive HTTP responder and a TCP sink), the proxy (aspyre's
``EndpointProxy`` on its own event loop, as the app host runs it) and the client (this process). Each
measurement runs direct (client -> server) and proxied (client -> proxy -> server) in the same run,
alternating, and reports medians over ``--repeat`` rounds:

* HTTP: sequential ``GET /`` on one keep-alive connection (``--requests`` each round); and one request per new
  connection. Added latency = proxied - direct, per request.
* bulk: ``--megabytes`` sent through one connection; throughput proxied / direct.

Goals (issue 16): under 100 us added per request, at least 80 % of direct throughput.

The floor: where a C compiler is found, ``relay.c`` (next to this file: a minimal relay in C, a thread per
direction, blocking ``recv``/``send`` through a 1 MiB buffer) is built and measured the same way, interleaved, as a second baseline: what two
loopback hops cost without Python. The load average is printed before and after (other work on the machine shares
the cores with the three processes measured).

    .venv/bin/python bench/bench_proxy.py [--repeat 5] [--requests 2000] [--megabytes 512] [--no-c]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

SERVER = textwrap.dedent(
    """
    import asyncio, sys
    RESPONSE = b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nContent-Type: text/plain\\r\\n\\r\\nok"

    class Http(asyncio.Protocol):
        def connection_made(self, transport):
            self.t = transport
            self.buf = b""
        def data_received(self, data):
            self.buf += data
            while b"\\r\\n\\r\\n" in self.buf:
                _, _, self.buf = self.buf.partition(b"\\r\\n\\r\\n")
                self.t.write(RESPONSE)

    class Sink(asyncio.Protocol):
        def connection_made(self, transport):
            self.t = transport
            self.n = 0
        def data_received(self, data):
            self.n += len(data)
        def eof_received(self):
            self.t.write(str(self.n).encode())
            self.t.close()

    async def main():
        loop = asyncio.get_running_loop()
        http = await loop.create_server(Http, "127.0.0.1", 0)
        sink = await loop.create_server(Sink, "127.0.0.1", 0)
        print(http.sockets[0].getsockname()[1], sink.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)

PROXY = textwrap.dedent(
    """
    import sys, anyio
    from aspyre._orchestrator._proxy import EndpointProxy, bind_listener

    async def main():
        proxies = []
        for target in sys.argv[1:]:
            p = EndpointProxy(bind_listener("127.0.0.1", 0, "bench"), "bench")
            p.add_backend("127.0.0.1", int(target))
            proxies.append(p)
        print(*[p.port for p in proxies], flush=True)
        async with anyio.create_task_group() as tg:
            for p in proxies:
                tg.start_soon(p.serve)

    anyio.run(main)
    """
)

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n"


def _read_response(sock: socket.socket) -> None:
    data = b""
    while not data.endswith(b"ok"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk


def keep_alive(port: int, n: int) -> float:
    """Seconds per request over one connection."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(50):  # warm up
            sock.sendall(REQUEST)
            _read_response(sock)
        start = time.perf_counter()
        for _ in range(n):
            sock.sendall(REQUEST)
            _read_response(sock)
        return (time.perf_counter() - start) / n


def new_connections(port: int, n: int) -> float:
    """Seconds per request, each on a new connection."""
    start = time.perf_counter()
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(REQUEST)
            _read_response(sock)
    return (time.perf_counter() - start) / n


def bulk(port: int, megabytes: int) -> float:
    """Bytes per second through one connection (until the sink confirmed every byte)."""
    block = b"x" * (1 << 20)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.perf_counter()
        for _ in range(megabytes):
            sock.sendall(block)
        sock.shutdown(socket.SHUT_WR)
        received = int(sock.recv(64) or b"0")
        elapsed = time.perf_counter() - start
    if received != megabytes << 20:
        raise RuntimeError(f"the sink got {received} bytes, not {megabytes << 20}")
    return received / elapsed


def _start(command: list[str], *args: str) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, [int(p) for p in proc.stdout.readline().split()]


def _build_relay(directory: str) -> str | None:
    """The C relay built in ``directory``, or None without a compiler."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or not sys.platform.startswith("linux"):
        return None
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "relay.c")
    binary = os.path.join(directory, "relay")
    subprocess.run([cc, "-O2", "-pthread", "-o", binary, source], check=True)
    return binary


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--megabytes", type=int, default=512)
    parser.add_argument("--no-c", action="store_true", help="skip the C relay (the floor)")
    opts = parser.parse_args()
    print(_load(), flush=True)
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            server, (http_port, sink_port) = _start([sys.executable, "-c", SERVER])
            procs.append(server)
            routes = {"direct": (http_port, sink_port)}
            proxy, (http_proxy, sink_proxy) = _start([sys.executable, "-c", PROXY], str(http_port), str(sink_port))
            procs.append(proxy)
            routes["aspyre"] = (http_proxy, sink_proxy)
            relay = None if opts.no_c else _build_relay(tmp)
            if relay is not None:
                c_proxy, (http_c, sink_c) = _start([relay], str(http_port), str(sink_port))
                procs.append(c_proxy)
                routes["C relay"] = (http_c, sink_c)
            _measure(opts, routes)
        finally:
            for p in reversed(procs):
                p.terminate()
                p.wait()
    print(_load())


def _measure(opts: argparse.Namespace, routes: dict[str, tuple[int, int]]) -> None:
    results: dict[str, list[float]] = {}

    def run(name: str, fn: object, *args: object) -> None:
        results.setdefault(name, []).append(fn(*args))  # type: ignore[operator]

    for _ in range(opts.repeat):
        for route, (http, _) in routes.items():
            run(f"keep-alive {route}", keep_alive, http, opts.requests)
        for route, (http, _) in routes.items():
            run(f"new-connection {route}", new_connections, http, opts.connections)
        for route, (_, sink) in routes.items():
            run(f"bulk {route}", bulk, sink, opts.megabytes)
    med = {k: statistics.median(v) for k, v in results.items()}
    for kind in ("keep-alive", "new-connection"):
        direct = med[f"{kind} direct"]
        print(f"HTTP {kind:15s} direct {direct * 1e6:8.1f} us/request")
        for route in list(routes)[1:]:
            proxied = med[f"{kind} {route}"]
            goal = "   (goal < 100 us)" if route == "aspyre" else ""
            print(f"    {route:8s} {proxied * 1e6:8.1f} us/request   added {(proxied - direct) * 1e6:7.1f} us{goal}")
    direct = med["bulk direct"]
    print(f"bulk TCP ({opts.megabytes} MiB)   direct {direct / 2**20:8.0f} MiB/s")
    for route in list(routes)[1:]:
        proxied = med[f"bulk {route}"]
        goal = "   (goal >= 80 %)" if route == "aspyre" else ""
        print(f"    {route:8s} {proxied / 2**20:8.0f} MiB/s   ratio {proxied / direct:6.1%}{goal}")
    print(f"medians of {opts.repeat} rounds, interleaved")


if __name__ == "__main__":
    main()
