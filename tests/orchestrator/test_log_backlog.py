"""The log backlog is bounded by lines and by bytes: 64 KiB lines cannot grow the app host without end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import aspyre
from aspyre import KnownResourceStates as S
from aspyre._orchestrator._logs import LogLine, ResourceLoggerService

pytestmark = pytest.mark.anyio

MIB = 1024 * 1024


def _model(tmp_path: Path) -> aspyre.DistributedApplication:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    builder.add_executable("api", "true")
    return builder.build()


def _text_bytes(lines: list[LogLine]) -> int:
    return sum(len(line.content.encode()) for line in lines)


def test_the_backlog_keeps_the_newest_lines_within_its_byte_budget(tmp_path: Path) -> None:
    app = _model(tmp_path)
    service = ResourceLoggerService(app.model, backlog_size=10_000, backlog_bytes=1 * MIB)
    for i in range(100):  # 100 lines of 64 KiB: 6.4 MiB
        service.write("api", f"{i:04d}" + "x" * (64 * 1024 - 4))
    kept = service.backlog("api")
    assert 0 < _text_bytes(kept) <= 1 * MIB
    assert service.backlog_bytes("api") == _text_bytes(kept)
    assert len(kept) == 16  # 16 x 64 KiB = 1 MiB exactly
    assert [line.line_number for line in kept] == list(range(85, 101))  # the newest, numbers go on
    # Multi-byte text is counted in UTF-8 bytes, not characters.
    service.clear_backlog("api")
    assert service.backlog_bytes("api") == 0
    service.write("api", "é" * 1000)
    assert service.backlog_bytes("api") == 2000


def test_the_line_bound_still_holds(tmp_path: Path) -> None:
    app = _model(tmp_path)
    service = ResourceLoggerService(app.model, backlog_size=50, backlog_bytes=1 * MIB)
    for i in range(200):
        service.write("api", f"line {i}")
    assert [line.content for line in service.backlog("api")] == [f"line {i}" for i in range(150, 200)]


def test_a_line_bigger_than_the_budget_is_kept_alone(tmp_path: Path) -> None:
    app = _model(tmp_path)
    service = ResourceLoggerService(app.model, backlog_size=100, backlog_bytes=10)
    service.write("api", "short")
    service.write("api", "a line longer than ten bytes")
    assert [line.content for line in service.backlog("api")] == ["a line longer than ten bytes"]


def test_the_options_and_their_checks() -> None:
    options = aspyre.AppOptions()
    assert options.log_backlog_lines == 10_000
    assert options.log_backlog_bytes == 4 * MIB
    with pytest.raises(ValueError, match=r"app\.options\.log_backlog_bytes must be a positive number of bytes"):
        options.log_backlog_bytes = 0
    with pytest.raises(TypeError, match=r"app\.options\.log_backlog_lines must be a positive number of lines"):
        options.log_backlog_lines = 1.5  # type: ignore[assignment]


async def test_a_process_writing_64_kib_lines_keeps_a_bounded_backlog(tmp_path: Path) -> None:
    """The issue's case: 64 KiB lines used to be kept 10,000 at a time (640 MiB per resource)."""
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    code = "import sys\nline = 'y' * 65535 + '\\n'\nfor _ in range(600):\n    sys.stdout.write(line)\n"
    builder.add_executable("big", sys.executable, "-c", code)
    app = builder.build()
    async with app:
        await app.resource_notifications.wait_for_resource("big", S.FINISHED)
        kept = app.resource_loggers.backlog("big")
    # 600 lines of 64 KiB (37.5 MiB) were written; the default budget keeps 4 MiB of them.
    assert _text_bytes(kept) <= 4 * MIB, f"{_text_bytes(kept) / MIB:.1f} MiB kept"
    assert len(kept) >= 60  # the budget is used, not emptied
    assert kept[-1].line_number == 600
