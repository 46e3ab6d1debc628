"""Plain console output: one line per state change and one per resource log line.

``python apphost.py`` (``app.run()``) and ``aspyre run --plain`` (pipes, CI) print the same lines,
through :class:`PlainConsole`::

    api     : Running (Healthy)  http://127.0.0.1:40211, https://127.0.0.1:40212
    api     | Serving HTTP on 127.0.0.1 port 40211 ...

While the console is entered (``with console:``) a :class:`~._writer.LineWriter` thread writes the lines:
a stalled stdout drops log lines (and says how many) instead of freezing the app.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from .._model._callback_contexts import HealthStatus
from .._model._snapshot import KnownResourceStates, health_failure
from ._writer import LineWriter

if TYPE_CHECKING:
    from .._model._resources import IResource
    from .._model._snapshot import ResourceSnapshot
    from .._orchestrator._logs import LogLine
    from ._app import DistributedApplication

__all__ = ["CLOSE_SECONDS", "PlainConsole", "public_urls", "published_message", "state_text"]

#: How long the last lines may take to be written when the app stopped (a stalled stdout gives up then).
CLOSE_SECONDS = 2.0


def published_message(publisher: str, path: object) -> str:
    """The line both ``python apphost.py --publisher NAME`` and ``aspyre publish`` print when done."""
    return f"Published ({publisher}) to {path}"


def state_text(snapshot: ResourceSnapshot) -> str:
    """``Running (Healthy)``, ``Finished (exit code 0)``, ``Starting``: the state, its health, its exit code.

    An unhealthy resource says why: ``Running (Unhealthy: ready: timed out after 10 s)`` (the first failing
    check that gave a reason).
    """
    text = snapshot.display_state
    health = snapshot.health_status  # None unless Running
    if health is not None:
        failure = health_failure(snapshot) if health is not HealthStatus.HEALTHY else None
        text += f" ({health.value}: {failure})" if failure else f" ({health.value})"
    if snapshot.exit_code is not None:
        text += f" (exit code {snapshot.exit_code})"
    return text


def public_urls(snapshot: ResourceSnapshot) -> list[str]:
    """The URLs of the snapshot a person may open (internal ones left out), in order."""
    return [u.url for u in snapshot.urls if not u.is_internal]


class PlainConsole:
    """Prints ``name : State`` when a resource's shown state changes and ``name | line`` per log line.

    The URLs follow the state of a Running resource, after two spaces, separated by ``, ``. Hidden
    resources (``is_hidden`` or the ``Hidden`` state) and resources without a state yet print nothing.
    ``stream`` defaults to the ``sys.stdout`` of the moment each line is printed (of the moment it is
    entered, inside ``with``). Inside ``with console:`` a writer thread prints; log lines are dropped and
    counted if the stream does not keep up, state lines are kept.
    """

    def __init__(self, app: DistributedApplication, stream: TextIO | None = None) -> None:
        self._app = app
        self._stream = stream
        self._width = max((len(r.name) for r in app.model), default=0)
        self._last: dict[str, str] = {}
        self._writer: LineWriter | None = None

    def _print(self, text: str, *, droppable: bool = False) -> None:
        if self._writer is not None:
            self._writer.write_line(text, droppable=droppable)
        else:
            print(text, file=self._stream or sys.stdout, flush=True)

    def on_snapshot(self, resource: IResource, snapshot: ResourceSnapshot) -> None:
        """Print the resource's state line if it differs from the last one printed."""
        if not snapshot.is_visible or snapshot.state is None:
            return
        text = state_text(snapshot)
        urls = public_urls(snapshot)
        if urls and snapshot.state_text == KnownResourceStates.RUNNING:
            text += "  " + ", ".join(urls)
        if self._last.get(resource.name) == text:
            return
        self._last[resource.name] = text
        self._print(f"{resource.name:<{self._width}} : {text}")

    def on_log(self, resource: IResource, line: LogLine) -> None:
        """Print one log line of a resource."""
        self._print(f"{resource.name:<{self._width}} | {line.content}", droppable=True)

    def on_announcement(self, text: str) -> None:
        self._print(text)

    async def watch_states(self) -> None:
        """Print state lines until the app stops (its snapshots stream ends)."""
        async for update in self._app.resource_notifications.watch():
            self.on_snapshot(update.resource, update.snapshot)

    def __enter__(self) -> PlainConsole:
        self._writer = LineWriter(self._stream)
        self._writer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close(timeout=CLOSE_SECONDS)
