"""Plain console output: the one formatter behind ``python apphost.py`` and ``aspyre run --plain``, and the
writer thread that prints it without ever blocking the app."""

from __future__ import annotations

import io
import os
import re
import threading
from pathlib import Path

import aspyre
from aspyre._hosting._console import PlainConsole
from aspyre._hosting._writer import LineWriter, OutputQueue
from aspyre._orchestrator._logs import LogLine

NOTE = re.compile(r"^aspyre: ([\d,]+) log lines? not shown: more than the console could take$")


def make_console(tmp_path: Path) -> tuple[PlainConsole, io.StringIO, aspyre.DistributedApplication]:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    builder.add_executable("api", "true")
    builder.add_executable("migrate", "true")
    app = builder.build()
    out = io.StringIO()
    return PlainConsole(app, out), out, app


def snapshot(state: str | None, **changes: object) -> aspyre.ResourceSnapshot:
    snap = aspyre.ResourceSnapshot("Executable", **changes)  # type: ignore[arg-type]
    return snap if state is None else snap.with_state(state)


def test_state_lines_health_exit_codes_and_urls(tmp_path: Path) -> None:
    console, out, app = make_console(tmp_path)
    api, migrate = app.get_resource("api"), app.get_resource("migrate")
    urls = (
        aspyre.model.UrlSnapshot("http", "http://127.0.0.1:5000"),
        aspyre.model.UrlSnapshot("internal", "http://api:8000", is_internal=True),
        aspyre.model.UrlSnapshot("https", "https://127.0.0.1:5001"),
    )
    console.on_snapshot(api, snapshot("Starting", urls=urls))  # URLs only once Running
    console.on_snapshot(api, snapshot("Running", urls=urls))
    console.on_snapshot(api, snapshot("Running", urls=urls, version=7))  # nothing shown changed: no line
    unhealthy = aspyre.model.HealthReportSnapshot("ready", aspyre.HealthStatus.UNHEALTHY)
    console.on_snapshot(api, snapshot("Running", urls=urls, health_reports=(unhealthy,)))
    console.on_snapshot(migrate, snapshot("Finished", exit_code=0))
    console.on_log(migrate, LogLine(1, "migrated"))
    assert out.getvalue().splitlines() == [
        "api     : Starting",
        "api     : Running (Healthy)  http://127.0.0.1:5000, https://127.0.0.1:5001",
        "api     : Running (Unhealthy)  http://127.0.0.1:5000, https://127.0.0.1:5001",
        "migrate : Finished (exit code 0)",
        "migrate | migrated",
    ]


def test_hidden_resources_and_resources_without_a_state_print_nothing(tmp_path: Path) -> None:
    console, out, app = make_console(tmp_path)
    console.on_snapshot(app.get_resource("api"), snapshot(None))
    console.on_snapshot(app.get_resource("api"), snapshot("Running", is_hidden=True))
    assert out.getvalue() == ""


def test_an_unhealthy_resource_says_why(tmp_path: Path) -> None:
    console, out, app = make_console(tmp_path)
    api = app.get_resource("api")
    pending = aspyre.model.HealthReportSnapshot("ready", None)
    failing = aspyre.model.HealthReportSnapshot("ready", aspyre.HealthStatus.UNHEALTHY, "timed out after 10 s")
    passing = aspyre.model.HealthReportSnapshot("db", aspyre.HealthStatus.HEALTHY, "connected")
    console.on_snapshot(api, snapshot("Running", health_reports=(pending,)))
    console.on_snapshot(api, snapshot("Running", health_reports=(passing, failing)))
    console.on_snapshot(api, snapshot("Running", health_reports=(passing,)))
    assert out.getvalue().splitlines() == [
        "api     : Running (Unhealthy)",  # not checked yet: no reason
        "api     : Running (Unhealthy: ready: timed out after 10 s)",
        "api     : Running (Healthy)",
    ]


def test_inside_with_a_writer_thread_prints_the_same_lines(tmp_path: Path) -> None:
    console, out, app = make_console(tmp_path)
    with console:
        console.on_snapshot(app.get_resource("api"), snapshot("Running"))
        console.on_log(app.get_resource("api"), LogLine(1, "hello"))
    assert out.getvalue().splitlines() == ["api     : Running (Healthy)", "api     | hello"]


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_a_stalled_stream_drops_log_lines_and_counts_them_without_blocking() -> None:
    """Nothing reads the pipe while 50,000 lines are written: the writer queues what it may, drops the rest
    (counted where they were dropped) and never blocks the caller. Every line is either shown or counted."""
    read_end, write_end = os.pipe()
    writer = LineWriter(os.fdopen(write_end, "w"), max_lines=1_000, max_chars=1 << 20)
    writer.start()
    kept = sum(writer.write_line(f"line {i}") for i in range(50_000))  # the pipe holds ~64 KiB: most drop
    assert writer.write_line("state: Stopping", droppable=False)  # kept while it fits the larger bound
    assert kept < 50_000
    reader = threading.Thread(target=lambda: shown.append(_read_all(read_end)))
    shown: list[str] = []
    reader.start()
    assert writer.close(timeout=30)
    os.close(write_end)
    reader.join(30)
    os.close(read_end)
    lines = shown[0].splitlines()
    notes = [int(m.group(1).replace(",", "")) for line in lines if (m := NOTE.match(line))]
    log_lines = [line for line in lines if line.startswith("line ")]
    assert notes, "the dropped lines were not counted"
    assert len(log_lines) + sum(notes) == 50_000
    assert log_lines == sorted(log_lines, key=lambda line: int(line.split()[1]))  # in order
    assert "state: Stopping" in lines


def test_a_closed_stream_is_given_up_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # `aspyre run | head` after head exited
    writer = LineWriter(os.fdopen(write_end, "w"))
    writer.start()
    writer.write_line("nobody reads this")
    assert writer.close(timeout=10)


def test_the_queue_bounds_items_and_characters() -> None:
    queue: OutputQueue[str] = OutputQueue(max_items=3, max_chars=10)
    assert [queue.put("abcd", 4) for _ in range(3)] == [True, True, False]  # 12 characters > 10
    assert queue.put("zz", 2)
    assert not queue.put("y", 1)  # 3 items
    assert queue.put("kept", 4, droppable=False)  # twice the bounds for what must not be lost
    assert queue.take(timeout=0) == (["abcd", "abcd", "zz", "kept"], 2)
    assert queue.take(timeout=0) == ([], 0)
