"""``aspyre run``: run an app host with a live table of its resources (or plain lines) and their logs."""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TextIO

import anyio

from aspyre._hosting._console import PlainConsole, public_urls
from aspyre._model._annotations import HealthStatus
from aspyre._model._graph import parents_of
from aspyre._model._snapshot import KnownResourceStates, ResourceSnapshot, StateStyle

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from aspyre._hosting._app import DistributedApplication
    from aspyre._model._resources import IResource
    from aspyre._orchestrator._logs import LogLine

__all__ = ["AspyreLogging", "LiveView", "console_log_handler", "resource_order", "run_app"]

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


class View(Protocol):
    def on_snapshot(self, resource: IResource, snapshot: ResourceSnapshot) -> None: ...

    def on_log(self, resource: IResource, line: LogLine) -> None: ...

    def on_announcement(self, text: str) -> None: ...

    def __enter__(self) -> View: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class LiveView:
    """A table of resources redrawn in place (rich Live), with log lines printed above it."""

    def __init__(self, app: DistributedApplication, console: Console) -> None:
        self.app = app
        self.console = console
        self._order = resource_order(app)
        self._colours = {r.name: PALETTE[i % len(PALETTE)] for i, (r, _) in enumerate(self._order)}
        self._width = max((len(r.name) for r in app.model), default=0)
        self._snapshots: dict[str, ResourceSnapshot] = {}
        self._announcements: list[str] = []
        self._live: Live | None = None
        self._stopped = False
        try:
            import os

            self._title = os.path.relpath(app.app_host_path)
        except ValueError:  # pragma: no cover - another drive on Windows
            self._title = str(app.app_host_path)

    def render(self) -> RenderableType:
        """The resources table as it is now."""
        from rich import box
        from rich.table import Table
        from rich.text import Text

        title = Text(f"aspyre · {self._title}", style="bold")
        for line in self._announcements:
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
        table.add_column("Health", no_wrap=True)
        table.add_column("Endpoints", overflow="fold")
        for r, depth in self._order:
            snap = self._snapshots.get(r.name)
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
            table.add_row(name, snap.resource_type, state_cell, health_cell, "\n".join(public_urls(snap)))
        return table

    def on_snapshot(self, resource: IResource, snapshot: ResourceSnapshot) -> None:
        self._snapshots[resource.name] = snapshot
        if self._live is not None:
            self._live.update(self.render())

    def on_log(self, resource: IResource, line: LogLine) -> None:
        from rich.text import Text

        label = Text(f"{resource.name:<{self._width}}", style=self._colours.get(resource.name, ""))
        content = Text.from_ansi(line.content)
        if line.is_error:
            content.stylize("red")
        self.console.print(label + Text(" │ ", style="dim") + content, soft_wrap=True)

    def on_announcement(self, text: str) -> None:
        from rich.text import Text

        self._announcements.append(text)
        self.console.print(Text(text), soft_wrap=True)  # once, above the table; the table keeps it
        if self._live is not None:
            self._live.update(self.render())

    def __enter__(self) -> LiveView:
        from rich.live import Live

        self._live = Live(
            self.render(),
            console=self.console,
            refresh_per_second=4,
            transient=False,
            redirect_stdout=True,
            redirect_stderr=True,
        )
        self._live.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopped = True
        if self._live is not None:
            self._live.update(self.render())
            self._live.stop()
            self._live = None


class _ConsoleLogHandler(logging.Handler):
    """aspyre's own log records (``aspyre.*`` loggers), as ``aspyre: message`` lines."""

    def __init__(self, console: Console | None, stream: TextIO | None) -> None:
        super().__init__(logging.INFO)
        self._console = console
        self._stream = stream
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
            if self._console is not None:
                from rich.text import Text

                style = (
                    "bold red"
                    if record.levelno >= logging.ERROR
                    else "yellow"
                    if record.levelno >= logging.WARNING
                    else "dim"
                )
                self._console.print(Text(f"aspyre: {level}{message}", style=style), soft_wrap=True)
            else:
                print(f"aspyre: {level}{message}", file=self._stream or sys.stderr, flush=True)
        except Exception:  # pragma: no cover - logging must not raise
            self.handleError(record)


def console_log_handler(console: Console | None = None, stream: TextIO | None = None) -> logging.Handler:
    """A handler printing aspyre's log records through a rich console, or as plain lines on ``stream``."""
    return _ConsoleLogHandler(console, stream)


class AspyreLogging:
    """Route the ``aspyre`` logger to the terminal for the duration of a command."""

    def __init__(self, handler: logging.Handler, level: int = logging.INFO) -> None:
        self._handler = handler
        self._logger = logging.getLogger("aspyre")
        self._saved_level = self._logger.level
        self._level = level

    def __enter__(self) -> None:
        self._handler.setLevel(self._level)
        self._logger.addHandler(self._handler)
        if self._logger.level == logging.NOTSET or self._logger.level > self._level:
            self._logger.setLevel(self._level)

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._saved_level)


async def _run_async(app: DistributedApplication, view: View, show_logs: bool) -> int:
    if show_logs:
        app.resource_loggers.add_listener(view.on_log)
    app.add_announcement_listener(view.on_announcement)
    watch_done = anyio.Event()

    async def watch() -> None:
        try:
            async for update in app.resource_notifications.watch():
                view.on_snapshot(update.resource, update.snapshot)
        finally:
            watch_done.set()

    code = 0
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        with view:
            try:
                code = await app._run_with_signals()
            finally:
                # The last states (Finished, Exited) arrive while the app stops; show them.
                with anyio.move_on_after(2, shield=True):
                    await watch_done.wait()
                tg.cancel_scope.cancel()
    return code


def run_app(
    app: DistributedApplication,
    *,
    console: Console,
    plain: bool,
    show_logs: bool = True,
) -> int:
    """Run ``app`` until Ctrl-C / SIGTERM, showing its resources; returns the exit code.

    ``plain`` prints state-change and log lines (for pipes and CI) instead of the live table.
    The exit code is 1 when a resource failed to start.
    """
    app.options.console_output = False  # this command shows the resources itself
    view: View = PlainConsole(app) if plain else LiveView(app, console)
    handler = console_log_handler(None if plain else console, sys.stderr if plain else None)
    with AspyreLogging(handler):
        code = anyio.run(_run_async, app, view, show_logs)
    failed = app.failed_resources
    if failed:
        message = f"resource(s) failed to start: {', '.join(failed)} (their logs above say why)"
        if plain:
            print(f"aspyre: error: {message}", file=sys.stderr, flush=True)
        else:
            console.print(f"[bold red]error:[/] {message}", highlight=False)
        code = code or 1
    return code
