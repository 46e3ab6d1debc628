"""The live table's frames: at most LINES_PER_FRAME log lines each (the newest), the rest counted, messages kept."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

import aspyre
from aspyre._cli._live import LINES_PER_FRAME, LiveView, _Message
from aspyre._orchestrator._logs import LogLine

NOTE = re.compile(r"… ([\d,]+) log lines? not shown")


def _view(tmp_path: Path) -> tuple[LiveView, io.StringIO, aspyre.DistributedApplication]:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    builder.add_executable("api", "true")
    app = builder.build()
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    return LiveView(app, console), out, app


def test_a_frame_shows_the_newest_lines_and_counts_the_others(tmp_path: Path) -> None:
    view, _, app = _view(tmp_path)
    api = app.get_resource("api")
    for i in range(1, 251):
        view.on_log(api, LogLine(i, f"line {i}"))
        if i == 10:
            message = "aspyre: SIGINT received: stopping"  # what on_message queues while the view runs
            view._queue.put(_Message(message, "dim"), len(message), droppable=False)
    items, dropped = view._queue.take(timeout=0)
    assert dropped == 0
    shown = [t.plain for t in view._lines(items, dropped=7)]
    assert shown[0] == "aspyre: SIGINT received: stopping"  # messages are never skipped
    assert shown[1] == "… 150 log lines not shown: more than the console could take"
    assert shown[2:-1] == [f"api │ line {i}" for i in range(151, 251)]
    assert len(shown[2:-1]) == LINES_PER_FRAME
    assert shown[-1] == "… 7 log lines not shown: more than the console could take"  # dropped from the queue


def test_the_thread_draws_every_line_or_counts_it(tmp_path: Path) -> None:
    view, out, app = _view(tmp_path)
    api = app.get_resource("api")
    with view:
        for i in range(1, 2001):
            view.on_log(api, LogLine(i, f"line {i}"))
        view.on_snapshot(api, aspyre.ResourceSnapshot("Executable").with_state("Running"))
    text = out.getvalue()
    shown = re.findall(r"api │ line (\d+)", text)
    counted = sum(int(n.replace(",", "")) for n in NOTE.findall(text))
    assert len(shown) + counted == 2000
    assert [int(n) for n in shown] == sorted(int(n) for n in shown)
    assert "2000" in shown  # the newest line is always shown
    assert "Running" in text and "stopped" in text  # the table's last frame
