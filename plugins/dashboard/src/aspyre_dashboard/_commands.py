"""Commands from the pages: one at a time per resource, never cancelled by a closed tab.

A command runs in the dashboard's own task group (a browser that goes away does not cancel a
stop half-way); the request waits for its outcome. While one command of a resource runs, another
one for the same resource is refused (409) instead of racing it. Start and restart return once
the resource left its stopped state, so that a second click sees the new state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

import aspyre

from ._views import STOPPED_STATES

if TYPE_CHECKING:
    from ._views import ResourceViews

__all__ = ["CommandError", "CommandRunner"]

#: Seconds start/restart wait for the resource to leave its stopped state before answering.
SETTLE_TIMEOUT = 10.0


class CommandError(Exception):
    """A command that cannot run now; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class CommandRunner:
    """Runs the commands asked for through the dashboard."""

    def __init__(self, app: aspyre.events.App, views: ResourceViews) -> None:
        self.app = app
        self.views = views
        self.task_group: anyio.abc.TaskGroup | None = None
        self._busy: dict[str, str] = {}

    def busy(self, name: str) -> str | None:
        """The command running on resource ``name``, if one is."""
        return self._busy.get(name)

    async def run(self, resource_name: str, command: str) -> dict[str, Any]:
        """Run ``command`` on the resource; returns ``{"ok": true}`` or ``{"ok": false, "error": ...}``."""
        resource = self.app.model.get(resource_name)
        if resource is None:
            raise CommandError(404, f"There is no resource {resource_name!r}.")
        name = resource.name
        state = self.views.command_state(resource, command)
        if state is None:
            raise CommandError(404, f"{name!r} has no command {command!r}.")
        if state != "enabled":
            raise CommandError(409, f"{command!r} is not available for {name!r} in its current state.")
        running = self._busy.get(name)
        if running is not None:
            raise CommandError(409, f"{name!r} is still busy with {running!r}: try again when it finished.")
        if self.task_group is None:
            raise CommandError(503, "The dashboard is stopping.")
        self._busy[name] = command
        done = anyio.Event()
        outcome: dict[str, Any] = {}
        self.task_group.start_soon(self._execute, resource, command, done, outcome)
        await done.wait()
        return outcome

    async def _execute(
        self, resource: aspyre.IResource, command: str, done: anyio.Event, outcome: dict[str, Any]
    ) -> None:
        notifications = self.app.resource_notifications
        try:
            before = notifications.get_snapshot(resource)
            result = await self.app.execute_command(resource.name, command)
            if command in ("start", "restart"):
                await self._settle(resource, before)
            outcome["ok"] = True
            if result is not None and isinstance(result, str | int | float | bool):
                outcome["result"] = result
        except Exception as exc:
            outcome.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        finally:
            self._busy.pop(resource.name, None)
            done.set()

    async def _settle(self, resource: aspyre.IResource, before: aspyre.ResourceSnapshot | None) -> None:
        version = before.version if before is not None else 0

        def moved_on(snapshot: aspyre.ResourceSnapshot) -> bool:
            return snapshot.version > version and snapshot.state_text not in STOPPED_STATES

        with anyio.move_on_after(SETTLE_TIMEOUT):
            current = self.app.resource_notifications.get_snapshot(resource)
            if current is not None and current.version > version and current.state_text not in STOPPED_STATES:
                return
            await self.app.resource_notifications.wait_for_resource(resource, moved_on)
