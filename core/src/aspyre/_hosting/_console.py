"""Plain console output for ``python apphost.py``: state changes and resource log lines."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .._model._resources import IResource
    from .._orchestrator._logs import LogLine
    from ._app import DistributedApplication

__all__ = ["ConsoleReporter"]


def describe_state(snapshot: object) -> str:
    state = getattr(snapshot, "state_text", None) or "?"
    health = getattr(snapshot, "health_status", None)
    exit_code = getattr(snapshot, "exit_code", None)
    text = state
    if health is not None and state == "Running":
        text += f" ({health.value})"
    if exit_code is not None:
        text += f" (exit code {exit_code})"
    return text


class ConsoleReporter:
    """Prints ``name: State`` when a resource's state or health changes and ``name | line`` per log line."""

    def __init__(self, app: DistributedApplication, stream: TextIO | None = None) -> None:
        self.app = app
        self.stream = stream or sys.stdout
        self._last: dict[str, str] = {}
        self._width = max((len(r.name) for r in app.model), default=0)

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def on_log(self, resource: IResource, line: LogLine) -> None:
        self._print(f"{resource.name:<{self._width}} | {line.content}")

    def on_announcement(self, text: str) -> None:
        self._print(text)

    async def watch_states(self) -> None:
        async for update in self.app.resource_notifications.watch():
            text = describe_state(update.snapshot)
            if self._last.get(update.resource.name) != text:
                self._last[update.resource.name] = text
                urls = ", ".join(u.url for u in update.snapshot.urls if not u.is_internal)
                suffix = f"  {urls}" if urls and update.snapshot.state_text == "Running" else ""
                self._print(f"{update.resource.name:<{self._width}} : {text}{suffix}")
