"""A container's output across restarts by its restart policy and across engine reconnects: every line once, in order.

Real engine, real containers; the engine going away is a socket proxy the test cuts (the shared dockerd is never
touched), and clock skew between aspyre and the engine is aspyre's wall clock moved by the test.
"""

from __future__ import annotations

import re
import time
import types
import uuid
from pathlib import Path
from typing import Any

import anyio
import pytest

from aspyre._orchestrator._docker import ContainerRuntime, _monitor
from aspyre._orchestrator._specs import ContainerSpec

from .engine_proxy import EngineProxy

pytestmark = [pytest.mark.reliability, pytest.mark.anyio, pytest.mark.docker]

IMAGE = "docker.io/library/redis:7"
#: Each run numbers itself (a counter file in the container survives its restarts), writes three stdout lines
#: and one stderr line at once and fails: runs of a few milliseconds, far shorter than any poll.
SHORT_RUNS = (
    "n=$(cat /tmp/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/runs; "
    'echo "run $n line 1"; echo "run $n line 2"; echo "run $n err" >&2; echo "run $n line 3"; exit 3'
)
#: Numbered lines, one every 20 ms, until stopped.
COUNTER = 'i=0; while :; do i=$((i+1)); echo "n $i"; sleep 0.02; done'


class Lines:
    def __init__(self) -> None:
        self.items: list[tuple[str, bool]] = []

    def __call__(self, line: str, is_stderr: bool) -> None:
        self.items.append((line, is_stderr))

    def numbers(self) -> list[int]:
        return [int(m.group(1)) for line, _ in self.items if (m := re.fullmatch(r"n (\d+)", line))]

    async def wait_for_numbers(self, count: int) -> None:
        with anyio.fail_after(60):
            while len(self.numbers()) < count:
                await anyio.sleep(0.02)


def _runtime(app_host: Path, docker_host: str | None = None) -> ContainerRuntime:
    return ContainerRuntime(session_id=uuid.uuid4().hex, app_host_path=app_host, docker_host=docker_host)


async def test_each_line_once_in_order_across_restarts_shorter_than_a_poll(tmp_path: Path, app_host: Path) -> None:
    """Runs that start and end between two looks at the engine (a remote engine: each request takes a while)."""
    retries = 5
    proxy = EngineProxy(tmp_path / "engine.sock", latency=0.3)
    proxy.restore()
    runtime = _runtime(app_host, proxy.docker_host)
    lines = Lines()
    spec = ContainerSpec(
        "flaky",
        IMAGE,
        entrypoint="/bin/sh",
        args=("-c", SHORT_RUNS),
        runtime_args=("--restart", f"on-failure:{retries}"),
    )
    handle = await runtime.start_container(spec, lines)
    try:
        with anyio.fail_after(90):
            assert await runtime.wait(handle) == 3  # the exit of the last run, once the policy gave up
        expected: list[tuple[str, bool]] = []
        for run in range(1, retries + 2):
            expected += [(f"run {run} line 1", False), (f"run {run} line 2", False), (f"run {run} err", True)]
            expected += [(f"run {run} line 3", False)]
        # stdout and stderr are two streams: their relative order is the engine's, each one's own order is kept
        assert [x for x in lines.items if not x[1]] == [x for x in expected if not x[1]]
        assert [x for x in lines.items if x[1]] == [x for x in expected if x[1]]
        assert sorted(lines.items) == sorted(expected)
    finally:
        await runtime.stop(handle, grace=1)
        await runtime.close()
        proxy.lose()


async def test_long_lines_and_unterminated_last_lines_across_restarts(tmp_path: Path, app_host: Path) -> None:
    """A line longer than the engine's 16 KiB log pieces stays whole; a run's last line without a newline stays apart."""
    script = (
        "n=$(cat /tmp/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/runs; "
        "printf 'run %s ' $n; head -c 40000 /dev/zero | tr '\\0' x; echo; printf 'run %s tail' $n; exit 3"
    )
    proxy = EngineProxy(tmp_path / "engine.sock", latency=0.3)
    proxy.restore()
    runtime = _runtime(app_host, proxy.docker_host)
    lines = Lines()
    spec = ContainerSpec(
        "long", IMAGE, entrypoint="/bin/sh", args=("-c", script), runtime_args=("--restart", "on-failure:3")
    )
    handle = await runtime.start_container(spec, lines)
    try:
        with anyio.fail_after(90):
            assert await runtime.wait(handle) == 3
        expected = [x for n in range(1, 5) for x in ((f"run {n} " + "x" * 40000, False), (f"run {n} tail", False))]
        assert [(line[:20], len(line)) for line, _ in lines.items] == [(line[:20], len(line)) for line, _ in expected]
        assert lines.items == expected
    finally:
        await runtime.stop(handle, grace=1)
        await runtime.close()
        proxy.lose()


async def test_the_output_of_a_run_that_outlives_the_first_is_read_while_it_runs(app_host: Path) -> None:
    """After a restart the new run is followed live (not only once it ended), from its first line."""
    runtime = _runtime(app_host)
    lines = Lines()
    script = "if [ -e /tmp/ran ]; then " + COUNTER + '; else touch /tmp/ran; echo "n 0"; exit 1; fi'
    spec = ContainerSpec(
        "again", IMAGE, entrypoint="/bin/sh", args=("-c", script), runtime_args=("--restart", "on-failure")
    )
    handle = await runtime.start_container(spec, lines)
    try:
        await lines.wait_for_numbers(40)
        numbers = lines.numbers()
        assert numbers == list(range(len(numbers))), numbers
    finally:
        await runtime.stop(handle, grace=1)
        await runtime.close()


class _SkewedTime(types.SimpleNamespace):
    """The ``time`` module as the monitor sees it, with aspyre's wall clock *offset* seconds off the engine's."""

    def __init__(self, offset: float) -> None:
        super().__init__(**{name: getattr(time, name) for name in dir(time) if not name.startswith("__")})
        self.time = lambda: time.time() + offset


@pytest.mark.parametrize("skew", [-4.0, 4.0], ids=["aspyre-behind", "aspyre-ahead"])
async def test_each_line_once_in_order_across_an_engine_reconnect_with_clock_skew(
    tmp_path: Path, app_host: Path, monkeypatch: pytest.MonkeyPatch, skew: float
) -> None:
    monkeypatch.setattr(_monitor, "time", _SkewedTime(skew))
    with EngineProxy(tmp_path / "engine.sock") as proxy:
        runtime = _runtime(app_host, proxy.docker_host)
        lines = Lines()
        engine_events: list[bool] = []
        spec = ContainerSpec("counter", IMAGE, entrypoint="/bin/sh", args=("-c", COUNTER))
        handle = await runtime.start_container(spec, lines, on_engine=lambda lost, problem: engine_events.append(lost))
        try:
            await lines.wait_for_numbers(10)
            proxy.lose()
            with anyio.fail_after(30):
                while engine_events != [True]:
                    await anyio.sleep(0.02)
            await anyio.sleep(1.0)  # the container writes on meanwhile
            before = len(lines.numbers())
            proxy.restore()
            with anyio.fail_after(30):
                while engine_events != [True, False]:
                    await anyio.sleep(0.02)
            await lines.wait_for_numbers(before + 150)  # well past what it wrote while the engine was away
            numbers = lines.numbers()
            assert numbers == list(range(1, len(numbers) + 1)), _gaps(numbers)
        finally:
            await runtime.stop(handle, grace=1)
            await runtime.close()


def _gaps(numbers: list[int]) -> str:
    """Where *numbers* is not 1, 2, 3, ...: the first few places, as a readable message."""
    wrong = [(i, n) for i, n in enumerate(numbers, 1) if n != i][:5]
    return f"{len(numbers)} lines; first mismatches (position, number): {wrong}"


async def test_lines_written_while_the_engine_was_away_by_a_container_that_ended_meanwhile(
    tmp_path: Path, app_host: Path, docker_client: Any
) -> None:
    script = 'i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo "n $i"; sleep 0.02; done; exit 7'
    with EngineProxy(tmp_path / "engine.sock") as proxy:
        runtime = _runtime(app_host, proxy.docker_host)
        lines = Lines()
        engine_events: list[bool] = []
        spec = ContainerSpec("ends", IMAGE, entrypoint="/bin/sh", args=("-c", script))
        handle = await runtime.start_container(spec, lines, on_engine=lambda lost, problem: engine_events.append(lost))
        try:
            await lines.wait_for_numbers(5)
            proxy.lose()
            with anyio.fail_after(60):
                while docker_client.api.inspect_container(handle.id)["State"]["Running"]:
                    await anyio.sleep(0.1)
            assert len(lines.numbers()) < 100
            proxy.restore()
            with anyio.fail_after(60):
                assert await runtime.wait(handle) == 7
            assert engine_events == [True, False]
            numbers = lines.numbers()
            assert numbers == list(range(1, 101)), _gaps(numbers)
        finally:
            await runtime.stop(handle, grace=1)
            await runtime.close()


async def test_the_normal_path_reads_no_log_and_asks_the_engine_nothing_more(tmp_path: Path, app_host: Path) -> None:
    """A container that runs once and exits: its live output only (no log read back, no engine clock asked)."""
    with EngineProxy(tmp_path / "engine.sock") as proxy:
        runtime = _runtime(app_host, proxy.docker_host)
        lines = Lines()
        spec = ContainerSpec("once", IMAGE, entrypoint="/bin/sh", args=("-c", 'echo "n 1"; echo "n 2"; exit 4'))
        handle = await runtime.start_container(spec, lines)
        try:
            with anyio.fail_after(60):
                assert await runtime.wait(handle) == 4
            assert lines.numbers() == [1, 2]
            requests = list(proxy.requests)
            assert any("/start" in r for r in requests), requests
            assert not [r for r in requests if "/logs" in r or "/info" in r], requests
        finally:
            await runtime.stop(handle, grace=1)
            await runtime.close()


async def test_a_log_the_engine_cannot_give_back_falls_back_to_attaching_to_each_run(
    tmp_path: Path, app_host: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An engine whose logging driver keeps no log (dual logging off) answers 501 to a log read."""
    message = b'{"message":"configured logging driver does not support reading"}'
    refusal = b"HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(message),
        message,
    )
    script = 'n=$(cat /tmp/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/runs; sleep 1; echo "n $n"; exit 5'
    with EngineProxy(tmp_path / "engine.sock") as proxy:
        proxy.answer = lambda data: refusal if re.match(rb"GET /v[\d.]+/containers/[^/ ]+/logs", data) else None
        runtime = _runtime(app_host, proxy.docker_host)
        lines = Lines()
        spec = ContainerSpec(
            "nolog", IMAGE, entrypoint="/bin/sh", args=("-c", script), runtime_args=("--restart", "on-failure:2")
        )
        handle = await runtime.start_container(spec, lines)
        try:
            with anyio.fail_after(90):
                assert await runtime.wait(handle) == 5
            assert lines.numbers() == [1, 2, 3]
            warnings = [r.getMessage() for r in caplog.records if "cannot read the log" in r.getMessage()]
            assert len(warnings) == 1 and "nolog" in warnings[0] and "does not support reading" in warnings[0], warnings
        finally:
            await runtime.stop(handle, grace=1)
            await runtime.close()


async def test_a_persistent_container_started_again_shows_only_its_new_runs_each_line_once(
    tmp_path: Path, app_host: Path
) -> None:
    """Its log holds the earlier runs too: what is read back starts where this start's output starts."""
    from aspyre import ContainerLifetime

    spec = ContainerSpec(
        "again",
        IMAGE,
        entrypoint="/bin/sh",
        args=("-c", SHORT_RUNS),
        runtime_args=("--restart", "on-failure:2"),
        lifetime=ContainerLifetime.PERSISTENT,
    )
    first = _runtime(app_host)
    lines = Lines()
    handle = await first.start_container(spec, lines)
    with anyio.fail_after(90):
        assert await first.wait(handle) == 3
    assert [line for line, _ in lines.items if line.endswith("line 1")] == [
        "run 1 line 1",
        "run 2 line 1",
        "run 3 line 1",
    ]
    await first.close()

    proxy = EngineProxy(tmp_path / "engine.sock", latency=0.3)
    proxy.restore()
    second = _runtime(app_host, proxy.docker_host)
    again = Lines()
    handle = await second.start_container(spec, again)
    try:
        assert handle.reused
        with anyio.fail_after(90):
            assert await second.wait(handle) == 3
        expected = [
            x
            for run in (4, 5, 6)
            for x in ((f"run {run} line 1", False), (f"run {run} line 2", False), (f"run {run} line 3", False))
        ]
        assert [x for x in again.items if not x[1]] == expected
        assert [x for x in again.items if x[1]] == [(f"run {run} err", True) for run in (4, 5, 6)]
    finally:
        await second.stop(handle, grace=1)
        await second.close()
        proxy.lose()


@pytest.mark.parametrize("skew", [-4.0, 4.0], ids=["aspyre-behind", "aspyre-ahead"])
async def test_a_reused_container_across_an_engine_reconnect_with_clock_skew(
    tmp_path: Path, app_host: Path, monkeypatch: pytest.MonkeyPatch, skew: float
) -> None:
    """Attached in the middle of a run, aspyre knows where its output stands in the log only by the clock: the
    engine's (its /info time against this machine's), so a skew neither loses nor repeats seconds of lines. The
    clocks compare to within a round trip: the one line written as the engine went may be lost or shown twice."""
    from aspyre import ContainerLifetime

    slow = 'i=0; while :; do i=$((i+1)); echo "n $i"; sleep 0.1; done'
    spec = ContainerSpec("kept", IMAGE, entrypoint="/bin/sh", args=("-c", slow), lifetime=ContainerLifetime.PERSISTENT)
    first = _runtime(app_host)
    handle = await first.start_container(spec, Lines())
    await first.detach(handle)  # left running
    await first.close()

    monkeypatch.setattr(_monitor, "time", _SkewedTime(skew))
    with EngineProxy(tmp_path / "engine.sock") as proxy:
        second = _runtime(app_host, proxy.docker_host)
        lines = Lines()
        engine_events: list[bool] = []
        handle = await second.start_container(spec, lines, on_engine=lambda lost, problem: engine_events.append(lost))
        try:
            assert handle.reused
            await lines.wait_for_numbers(5)
            proxy.lose()
            with anyio.fail_after(30):
                while engine_events != [True]:
                    await anyio.sleep(0.02)
            await anyio.sleep(1.5)  # the container writes on meanwhile
            proxy.restore()
            with anyio.fail_after(30):
                while engine_events != [True, False]:
                    await anyio.sleep(0.02)
            before = len(lines.numbers())
            await lines.wait_for_numbers(before + 10)
            numbers = lines.numbers()
            twice = len(numbers) - len(set(numbers))
            lost = numbers[-1] - numbers[0] + 1 - len(set(numbers))
            assert twice + lost <= 1, numbers  # a skew of seconds would lose or repeat dozens
            assert sorted(set(numbers)) == list(dict.fromkeys(numbers)), numbers  # in order
        finally:
            await second.stop(handle, grace=1)
            await second.close()
