"""The live table of ``aspyre run`` on a terminal: the resources redrawn in place, their log lines above.

Everything that touches the terminal happens in one thread of the view's own, never on the event loop: the
loop only records snapshots and queues lines (:meth:`LiveView.on_snapshot`, :meth:`LiveView.on_log`,
:meth:`LiveView.on_message`). The thread draws a frame every :data:`FRAME_SECONDS`: the table if it changed
and the lines queued since the last frame, at most :data:`LINES_PER_FRAME` log lines (the newest; the others
are counted in a ``… N log lines not shown`` line). So a flood of output costs the app a queue append per
line, the terminal gets what a person can read, and Ctrl-C is answered at once. A terminal that stops
taking output (scroll lock, a stopped ``tmux`` pane) blocks only that thread: lines are dropped and
counted meanwhile.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import traceback
from types import TracebackType
from typing import IO, TYPE_CHECKING, TextIO, cast

import attrs

from aspyre._hosting._console import CLOSE_SECONDS, public_urls
from aspyre._hosting._writer import OutputQueue, fd_file, skipped_note
from aspyre._model._callback_contexts import HealthStatus
from aspyre._model._graph import parents_of
from aspyre._model._snapshot import KnownResourceStates, ResourceSnapshot, StateStyle, health_failure

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.text import Text

    from aspyre._hosting._app import DistributedApplication
    from aspyre._model._resources import IResource
    from aspyre._orchestrator._logs import LogLine

__all__ = ["FRAME_SECONDS", "LINES_PER_FRAME", "PALETTE", "LiveView", "resource_order"]

#: Colours given to resources in model order (stable from one run to the next).
PALETTE = (
    "cyan",
    "magenta",
    "green",
    "yellow",
    "blue",
    "bright_red",
    "bright_cyan",
    "bright_magenta",
    "bright_green",
    "bright_yellow",
    "bright_blue",
    "red",
)

#: How often the view draws (seconds between frames).
FRAME_SECONDS = 0.1
#: The most log lines one frame shows (so at most 1,000 a second): the newest; the others are counted.
LINES_PER_FRAME = 100
#: What the view queues between two frames, at most (beyond it, while the terminal is stalled, log lines drop).
QUEUE_LINES = 5_000
QUEUE_CHARS = 2 * 1024 * 1024

_STYLE_COLOURS = {
    StateStyle.SUCCESS: "green",
    StateStyle.ERROR: "bold red",
    StateStyle.WARNING: "yellow",
    StateStyle.INFO: "cyan",
}

_HEALTH_COLOURS = {
    HealthStatus.HEALTHY: "green",
    HealthStatus.DEGRADED: "yellow",
    HealthStatus.UNHEALTHY: "red",
}


def resource_order(app: DistributedApplication) -> list[tuple[IResource, int]]:
    """The resources in model order, each child right after its parent, with its depth."""
    resources = list(app.model)
    children: dict[int, list[IResource]] = {}
    roots: list[IResource] = []
    for r in resources:
        parents = [p for p in parents_of(r) if any(p is x for x in resources)]
        if parents:
            children.setdefault(id(parents[0]), []).append(r)
        else:
            roots.append(r)
    out: list[tuple[IResource, int]] = []
    seen: set[int] = set()

    def visit(r: IResource, depth: int) -> None:
        if id(r) in seen:
            return
        seen.add(id(r))
        out.append((r, depth))
        for c in children.get(id(r), []):
            visit(c, depth + 1)

    for r in roots:
        visit(r, 0)
    for r in resources:  # a parent cycle would leave some out; validate_model forbids it, but be safe
        visit(r, 0)
    return out


@attrs.frozen
class _Log:
    resource: str
    line: LogLine


@attrs.frozen
class _Message:
    text: str
    style: str


class _QueueStream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` while the table is shown: what is printed becomes lines above it."""

    def __init__(self, view: LiveView, encoding: str) -> None:
        super().__init__()
        self._view = view
        self._encoding = encoding
        self._pending = ""
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            self._view.print_line(line)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            rest, self._pending = self._pending, ""
        if rest:
            self._view.print_line(rest)


class LiveView:
    """A table of resources redrawn in place (rich Live) by a thread, with log lines printed above it."""

    def __init__(self, app: DistributedApplication, console: Console) -> None:
        self.app = app
        self.console = console
        self._order = resource_order(app)
        self._colours = {r.name: PALETTE[i % len(PALETTE)] for i, (r, _) in enumerate(self._order)}
        self._width = max((len(r.name) for r in app.model), default=0)
        self._snapshots: dict[str, ResourceSnapshot] = {}
        self._announcements: list[str] = []
        self._snapshots_lock = threading.Lock()
        self._changed = False
        self._queue: OutputQueue[_Log | _Message] = OutputQueue(QUEUE_LINES, QUEUE_CHARS)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._saved: tuple[IO[str], TextIO, TextIO] | None = None
        self._error: str | None = None
        try:
            self._title = os.path.relpath(app.app_host_path)
        except ValueError:  # pragma: no cover - another drive on Windows
            self._title = str(app.app_host_path)

    # -- from the event loop (or any thread): record and queue, never block -------------------------------------
    def on_snapshot(self, resource: IResource, snapshot: ResourceSnapshot) -> None:
        with self._snapshots_lock:
            self._snapshots[resource.name] = snapshot
            self._changed = True

    def on_log(self, resource: IResource, line: LogLine) -> None:
        self._queue.put(_Log(resource.name, line), len(line.content))

    def on_message(self, text: str, style: str = "") -> bool:
        """Show one of aspyre's messages above the table; False when the view is not showing."""
        if self._thread is None:
            return False
        self._queue.put(_Message(text, style), len(text), droppable=False)
        return True

    def on_announcement(self, text: str) -> None:
        """A line a plugin shows (``app.announce``): printed once above the table, and kept in its heading."""
        with self._snapshots_lock:
            self._announcements.append(text)
            self._changed = True
        self._queue.put(_Message(text, ""), len(text), droppable=False)

    def print_line(self, text: str) -> None:
        """A line printed to stdout/stderr while the table is shown."""
        self._queue.put(_Message(text, ""), len(text))

    # -- the table -------------------------------------------------------------------------------------------------
    def render(self) -> RenderableType:
        """The resources table as it is now."""
        from rich import box
        from rich.table import Table
        from rich.text import Text

        with self._snapshots_lock:
            snapshots = dict(self._snapshots)
            announcements = list(self._announcements)
            self._changed = False
        title = Text(f"aspyre · {self._title}", style="bold")
        for line in announcements:
            title.append("\n")
            title.append(line, style="not bold")
        table = Table(
            box=box.SIMPLE_HEAD,
            title=title,
            caption="stopped" if self._stopped else "Ctrl-C stops the app (twice: force)",
            caption_style="dim",
            title_justify="left",
        )
        table.add_column("Resource", no_wrap=True)
        table.add_column("Type", style="dim", no_wrap=True)
        table.add_column("State", no_wrap=True)
        table.add_column("Health", overflow="fold")
        table.add_column("Endpoints", overflow="fold")
        for r, depth in self._order:
            snap = snapshots.get(r.name)
            if snap is not None and not snap.is_visible:  # is_hidden, or the Hidden state
                continue
            prefix = "  " * (depth - 1) + "└ " if depth else ""
            name = Text(prefix) + Text(r.name, style=self._colours[r.name])
            if snap is None:
                table.add_row(name, "", Text("…", style="dim"), "", "")
                continue
            state = snap.display_state  # Unknown until the resource publishes a state
            colour = _STYLE_COLOURS.get(snap.state.style or "", "") if snap.state is not None else ""
            if snap.exit_code is not None and snap.exit_code > 0:
                colour = "bold red"
            elif snap.exit_code is not None and snap.exit_code < 0:  # stopped by a signal (Ctrl-C: ours)
                colour = "yellow"
            if state in (KnownResourceStates.FINISHED, KnownResourceStates.EXITED) and not colour:
                colour = "dim"
            state_cell = Text(state, style=colour)
            if snap.exit_code is not None:
                state_cell.append(f" (exit code {snap.exit_code})", style=colour or "dim")
            health = snap.health_status
            health_cell = Text(health.value, style=_HEALTH_COLOURS[health]) if health is not None else Text("")
            failure = health_failure(snap) if health is not None and health is not HealthStatus.HEALTHY else None
            if failure:
                health_cell.append(f" ({failure})", style="dim")
            table.add_row(name, snap.resource_type, state_cell, health_cell, "\n".join(public_urls(snap)))
        return table

    def _log_text(self, item: _Log) -> Text:
        from rich.text import Text

        label = Text(f"{item.resource:<{self._width}}", style=self._colours.get(item.resource, ""))
        content = Text.from_ansi(item.line.content)
        if item.line.is_error:
            content.stylize("red")
        return label + Text(" │ ", style="dim") + content

    def _lines(self, items: list[_Log | _Message], dropped: int) -> list[Text]:
        """What a frame prints: the messages, and the newest log lines (the others counted where they were)."""
        from rich.text import Text

        skip = max(0, sum(isinstance(i, _Log) for i in items) - LINES_PER_FRAME)
        out: list[Text] = []
        skipped = 0
        for item in items:
            if isinstance(item, _Log):
                if skip:
                    skip -= 1
                    skipped += 1
                    continue
                if skipped:
                    out.append(Text(f"… {skipped_note(skipped)}", style="dim"))
                    skipped = 0
                out.append(self._log_text(item))
            else:
                out.append(Text.from_ansi(item.text, style=item.style))
        skipped += dropped
        if skipped:
            out.append(Text(f"… {skipped_note(skipped)}", style="dim"))
        return out

    # -- the thread ------------------------------------------------------------------------------------------------
    def _frame(self, live: Live) -> None:
        from rich.text import Text

        items, dropped = self._queue.take(timeout=0)
        lines = self._lines(items, dropped)
        if lines:
            self.console.print(Text("\n").join(lines), soft_wrap=True)  # draws the table again below them
        with self._snapshots_lock:
            changed = self._changed
        if changed:
            live.update(self.render(), refresh=True)

    def _run(self) -> None:
        from rich.live import Live

        live = Live(self.render(), console=self.console, auto_refresh=False, transient=False)
        try:
            live.start(refresh=True)
            while True:
                stopping = self._stop.wait(FRAME_SECONDS)
                self._frame(live)
                if stopping:
                    break
            self._stopped = True
            live.update(self.render(), refresh=True)
        except Exception:  # pragma: no cover - a drawing bug must not take the app down; shown at the end
            self._error = traceback.format_exc()
        finally:
            live.stop()

    def __enter__(self) -> LiveView:
        out, err = sys.stdout, sys.stderr
        self._saved = (self.console.file, out, err)
        # The thread writes to the descriptor: no lock is held while the terminal is stalled. Either way
        # the console keeps its file while sys.stdout is redirected below.
        self.console.file = fd_file(self.console.file) or self.console.file
        sys.stdout = cast(TextIO, _QueueStream(self, getattr(out, "encoding", "utf-8") or "utf-8"))
        sys.stderr = cast(TextIO, _QueueStream(self, getattr(err, "encoding", "utf-8") or "utf-8"))
        self._thread = threading.Thread(target=self._run, name="aspyre-live-table", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join(CLOSE_SECONDS)  # a stalled terminal: give up on the last frame
        if self._saved is not None:
            file, sys.stdout, sys.stderr = self._saved
            if thread is None or not thread.is_alive():
                self.console.file = file
            self._saved = None
        if self._error is not None:
            print(f"aspyre: the live table failed:\n{self._error}", file=sys.stderr)
