"""The endpoint proxy on real loopback sockets: bytes arrive exact both ways (also under flow control), half-closes
pass through in both directions, a reset ends the connection, closing the proxy leaves no descriptor or selector
registration behind, backends are used round-robin, a refusing one is skipped and a connection waits for a backend.

Every test runs twice: on the asyncio fast path (selector callbacks) and on the task-per-direction path that other
event loops use."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import anyio.abc
import pytest

from aspyre._orchestrator import _relay
from aspyre._orchestrator._proxy import EndpointProxy, bind_listener

pytestmark = pytest.mark.anyio

Handler = Callable[[anyio.abc.SocketStream], Awaitable[None]]


@pytest.fixture(params=["callbacks", "tasks"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "tasks":
        monkeypatch.setattr(_relay, "_selector_loop", lambda: None)
    return str(request.param)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def registrations() -> int:
    """How many descriptors the running loop's selector watches."""
    selector = getattr(asyncio.get_running_loop(), "_selector", None)
    return len(selector.get_map()) if selector is not None else 0


class Backend:
    """A loopback TCP server calling ``handler`` per connection (in the test's own event loop)."""

    def __init__(self, tg: anyio.abc.TaskGroup, listener: anyio.abc.SocketListener, handler: Handler) -> None:
        self.port = int(listener.extra(anyio.abc.SocketAttribute.local_port))
        self.listener = listener
        tg.start_soon(listener.serve, handler)


async def start_backend(tg: anyio.abc.TaskGroup, handler: Handler) -> Backend:
    return Backend(tg, await anyio.create_tcp_listener(local_host="127.0.0.1"), handler)


@pytest.fixture
async def tg() -> AsyncIterator[anyio.abc.TaskGroup]:
    async with anyio.create_task_group() as group:
        yield group
        group.cancel_scope.cancel()


async def start_proxy(tg: anyio.abc.TaskGroup, *ports: int) -> EndpointProxy:
    proxy = EndpointProxy(bind_listener("127.0.0.1", 0, "test/http"), "test/http")
    for port in ports:
        proxy.add_backend("127.0.0.1", port)
    tg.start_soon(proxy.serve)
    return proxy


async def read_all(stream: anyio.abc.SocketStream) -> bytes:
    chunks = []
    try:
        while True:
            chunks.append(await stream.receive())
    except anyio.EndOfStream:
        return b"".join(chunks)


async def ends(stream: anyio.abc.SocketStream) -> bool:
    """Read until the connection ends (closed or reset); True then."""
    try:
        while True:
            await stream.receive()
    except (anyio.EndOfStream, anyio.BrokenResourceError):
        return True


async def write_until_broken(stream: anyio.abc.SocketStream) -> bool:
    """Write until the peer is gone; True then."""
    try:
        while True:
            await stream.send(b"x" * 65536)
    except anyio.BrokenResourceError:
        return True


def payload(size: int, seed: int) -> bytes:
    """``size`` bytes that differ everywhere (a lost, repeated or reordered chunk shows)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(struct.pack("!QQ", seed, counter)).digest()
        counter += 1
    return bytes(out[:size])


async def test_large_transfers_both_ways_at_once_arrive_byte_exact(path: str, tg: anyio.abc.TaskGroup) -> None:
    """16 MiB each way at the same time, the backend reading in small slow pieces: the proxy's flow control holds
    bytes back without losing, repeating or reordering any."""
    up, down = payload(16 << 20, 1), payload(16 << 20, 2)
    received: list[bytes] = []

    async def handler(stream: anyio.abc.SocketStream) -> None:
        async with stream, anyio.create_task_group() as inner:

            async def send_down() -> None:
                await stream.send(down)
                await stream.send_eof()

            inner.start_soon(send_down)
            chunks = []
            try:
                while True:
                    chunks.append(await stream.receive(4096))
                    if len(chunks) % 512 == 0:
                        await anyio.sleep(0.001)  # a slow reader: the sink fills up
            except anyio.EndOfStream:
                received.append(b"".join(chunks))

    backend = await start_backend(tg, handler)
    proxy = await start_proxy(tg, backend.port)
    with anyio.fail_after(60):
        async with await anyio.connect_tcp("127.0.0.1", proxy.port) as client, anyio.create_task_group() as inner:

            async def send_up() -> None:
                await client.send(up)
                await client.send_eof()

            inner.start_soon(send_up)
            got = await read_all(client)
        while not received:
            await anyio.sleep(0.01)
    assert got == down
    assert received == [up]


async def test_half_close_from_the_client(path: str, tg: anyio.abc.TaskGroup) -> None:
    """The client's end of stream reaches the backend, which answers after it: the answer still arrives."""

    async def handler(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            request = await read_all(stream)  # only ends if the proxy passed the half-close on
            await stream.send(b"got " + request)

    backend = await start_backend(tg, handler)
    proxy = await start_proxy(tg, backend.port)
    with anyio.fail_after(10):
        async with await anyio.connect_tcp("127.0.0.1", proxy.port) as client:
            await client.send(b"question")
            await client.send_eof()
            assert await read_all(client) == b"got question"


async def test_half_close_from_the_backend(path: str, tg: anyio.abc.TaskGroup) -> None:
    """The backend's end of stream reaches the client while the client can still send."""
    late: list[bytes] = []

    async def handler(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.send(b"banner")
            await stream.send_eof()
            late.append(await read_all(stream))

    backend = await start_backend(tg, handler)
    proxy = await start_proxy(tg, backend.port)
    with anyio.fail_after(10):
        async with await anyio.connect_tcp("127.0.0.1", proxy.port) as client:
            assert await read_all(client) == b"banner"
            await client.send(b"after your end")
            await client.send_eof()
            while not late:
                await anyio.sleep(0.01)
    assert late == [b"after your end"]


async def test_a_backend_reset_ends_the_connection_and_leaves_nothing(path: str, tg: anyio.abc.TaskGroup) -> None:
    """A backend that resets its connection (linger 0) ends the client's too, and the proxy keeps no descriptor
    or selector registration for it."""

    async def handler(stream: anyio.abc.SocketStream) -> None:
        await stream.receive()
        sock = stream.extra(anyio.abc.SocketAttribute.raw_socket)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await stream.aclose()  # RST

    backend = await start_backend(tg, handler)
    proxy = await start_proxy(tg, backend.port)
    await anyio.sleep(0.05)
    fds, watched = open_fds(), registrations()
    with anyio.fail_after(10):
        async with await anyio.connect_tcp("127.0.0.1", proxy.port) as client:
            await client.send(b"hello")
            assert await ends(client)
        while open_fds() > fds or registrations() > watched:
            await anyio.sleep(0.01)
    assert open_fds() <= fds and registrations() <= watched


async def test_closing_the_proxy_drops_live_connections_and_leaks_nothing(path: str, tg: anyio.abc.TaskGroup) -> None:
    """Connections in the middle of a transfer end when the proxy closes; descriptors and registrations are back
    where they were."""
    ended: list[bool] = []

    async def handler(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            ended.append(await write_until_broken(stream))  # the client reads nothing: everything fills up

    backend = await start_backend(tg, handler)
    await anyio.sleep(0.05)  # the backend listens (its listener is registered)
    fds, watched = open_fds(), registrations()
    proxy = EndpointProxy(bind_listener("127.0.0.1", 0, "test/http"), "test/http")
    proxy.add_backend("127.0.0.1", backend.port)
    with anyio.fail_after(20):
        async with anyio.create_task_group() as inner:
            inner.start_soon(proxy.serve)
            clients = [await anyio.connect_tcp("127.0.0.1", proxy.port) for _ in range(3)]
            await anyio.sleep(0.3)  # the backends write, the proxy holds what the clients do not take
            proxy.close()
        for client in clients:
            assert await ends(client)
            await client.aclose()
        while len(ended) < 3 or open_fds() > fds or registrations() > watched:  # the backend saw each end too
            await anyio.sleep(0.01)
    assert open_fds() <= fds and registrations() <= watched


async def test_round_robin_skips_a_refusing_backend_and_waits_for_one(path: str, tg: anyio.abc.TaskGroup) -> None:
    def answer(name: bytes) -> Handler:
        async def handler(stream: anyio.abc.SocketStream) -> None:
            async with stream:
                await stream.send(name)

        return handler

    a, b = await start_backend(tg, answer(b"a")), await start_backend(tg, answer(b"b"))
    with socket.socket() as refusing:  # bound, not listening: refuses
        refusing.bind(("127.0.0.1", 0))
        dead = refusing.getsockname()[1]
        proxy = await start_proxy(tg, a.port, dead, b.port)

        async def ask() -> bytes:
            async with await anyio.connect_tcp("127.0.0.1", proxy.port) as client:
                return await read_all(client)

        with anyio.fail_after(10):
            assert [await ask() for _ in range(4)] == [b"a", b"b", b"a", b"b"]
            for port in (a.port, dead, b.port):
                proxy.remove_backend("127.0.0.1", port)
            waiting: list[bytes] = []

            async def ask_early() -> None:
                waiting.append(await ask())

            tg.start_soon(ask_early)
            await anyio.sleep(0.3)
            assert waiting == []  # nothing runs: the connection waits
            proxy.add_backend("127.0.0.1", b.port)
            while not waiting:
                await anyio.sleep(0.01)
    assert waiting == [b"b"]
