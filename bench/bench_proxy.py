"""The endpoint proxy's cost: added latency per small HTTP request and bulk TCP throughput, vs direct.

Three processes, as in an app: a server (a small keep-alive HTTP responder and a TCP sink), the proxy (aspyre's
``EndpointProxy`` on its own event loop, as the app host runs it) and the client (this process). Each
measurement runs direct (client -> server) and proxied (client -> proxy -> server) in the same run,
alternating, and reports medians over ``--repeat`` rounds:

* HTTP: sequential ``GET /`` on one keep-alive connection (``--requests`` each round); and one request per new
  connection. Added latency = proxied - direct, per request.
* bulk: ``--megabytes`` sent through one connection; throughput proxied / direct.

Goals (issue 16): under 100 us added per request, at least 80 % of direct throughput.

    .venv/bin/python bench/bench_proxy.py [--repeat 5] [--requests 2000] [--megabytes 512]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
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


def _start(script: str, *args: str) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, [int(p) for p in proc.stdout.readline().split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--megabytes", type=int, default=512)
    opts = parser.parse_args()
    server, (http_port, sink_port) = _start(SERVER)
    proxy, (http_proxy, sink_proxy) = _start(PROXY, str(http_port), str(sink_port))
    try:
        results: dict[str, list[float]] = {}

        def run(name: str, fn: object, *args: object) -> None:
            results.setdefault(name, []).append(fn(*args))  # type: ignore[operator]

        for _ in range(opts.repeat):
            run("keep-alive direct", keep_alive, http_port, opts.requests)
            run("keep-alive proxied", keep_alive, http_proxy, opts.requests)
            run("new-connection direct", new_connections, http_port, opts.connections)
            run("new-connection proxied", new_connections, http_proxy, opts.connections)
            run("bulk direct", bulk, sink_port, opts.megabytes)
            run("bulk proxied", bulk, sink_proxy, opts.megabytes)
        med = {k: statistics.median(v) for k, v in results.items()}
        for kind in ("keep-alive", "new-connection"):
            direct, proxied = med[f"{kind} direct"], med[f"{kind} proxied"]
            print(
                f"HTTP {kind:15s} direct {direct * 1e6:8.1f} us/request   proxied {proxied * 1e6:8.1f} us/request   "
                f"added {(proxied - direct) * 1e6:7.1f} us   (goal < 100 us)"
            )
        direct, proxied = med["bulk direct"], med["bulk proxied"]
        print(
            f"bulk TCP ({opts.megabytes} MiB)   direct {direct / 2**20:8.0f} MiB/s   proxied {proxied / 2**20:8.0f} MiB/s   "
            f"ratio {proxied / direct:6.1%}   (goal >= 80 %)"
        )
        print(f"medians of {opts.repeat} rounds")
    finally:
        for p in (proxy, server):
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
