"""The app as plugins see it: one typed protocol for every ``app`` an event, a hook or a command carries.

:class:`~aspyre.DistributedApplication` satisfies :class:`App` structurally (the typed tests in
``tests/typing`` check it with mypy and pyright). The protocols live here, below the orchestrator and
the hosting layer, so that events can be typed without importing either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from .._public import present as _present

if TYPE_CHECKING:
    import logging

    import pluggy

    from .._model._dependencies import WaitBehavior
    from .._model._execution import ExecutionContext
    from .._model._graph import DistributedApplicationModel
    from .._model._resources import IResource
    from .._model._snapshot import LogLine, ResourceSnapshot, ResourceSnapshotUpdate
    from ._bus import DistributedApplicationEventing
    from ._services import ServiceRegistry

__all__ = ["App", "ExecuteCommandContext", "ResourceLoggers", "ResourceNotifications"]


class ResourceNotifications(Protocol):
    """The live snapshots of the app's resources (Aspire's ``ResourceNotificationService``): ``app.resource_notifications``."""

    def get_snapshot(self, resource: IResource | str) -> ResourceSnapshot | None:
        """The current snapshot of a resource (``None`` before its first one)."""
        ...

    def snapshots(self) -> dict[str, ResourceSnapshot]:
        """The current snapshot of every resource that has one, by resource name."""
        ...

    def publish_update(
        self,
        resource: IResource | str,
        update: Callable[[ResourceSnapshot], ResourceSnapshot] | ResourceSnapshot,
    ) -> ResourceSnapshot:
        """Replace the resource's snapshot with ``update(current)`` (or ``update``); returns the new one."""
        ...

    def watch(self) -> AsyncIterator[ResourceSnapshotUpdate]:
        """The current snapshot of every resource, then every change, until the app stops."""
        ...

    async def wait_for_resource(
        self, resource: IResource | str, target: str | Iterable[str] | Callable[[ResourceSnapshot], bool] = ...
    ) -> ResourceSnapshot:
        """Wait until the resource's snapshot matches a state name, one of several, or a predicate."""
        ...

    async def wait_for_resource_healthy(
        self, resource: IResource | str, behavior: WaitBehavior | None = None
    ) -> ResourceSnapshot:
        """Wait until the resource is Running, healthy and its resource-ready handlers finished."""
        ...

    async def wait_for_resource_started(
        self, resource: IResource | str, behavior: WaitBehavior | None = None
    ) -> ResourceSnapshot:
        """Wait until the resource is Running."""
        ...

    async def wait_for_resource_completion(self, resource: IResource | str, exit_code: int = 0) -> ResourceSnapshot:
        """Wait until the resource finished with ``exit_code``."""
        ...


class ResourceLoggers(Protocol):
    """The logs of the app's resources (Aspire's ``ResourceLoggerService``): ``app.resource_loggers``."""

    def get_logger(self, resource: IResource | str) -> logging.Logger:
        """The logger of a resource: what it logs becomes lines of the resource's log."""
        ...

    def write(
        self, resource: IResource | str, content: str, is_error: bool = False, *, replica: str | None = None
    ) -> None:
        """Append a line to the resource's log (thread-safe); ``replica``: the replica that wrote it."""
        ...

    def backlog(self, resource: IResource | str, *, replica: str | None = None) -> list[LogLine]:
        """The lines kept for the resource (of one replica, by its ``instance_id``, when ``replica`` is given)."""
        ...

    def watch(
        self, resource: IResource | str, *, backlog: bool = True, replica: str | None = None
    ) -> AsyncIterator[LogLine]:
        """The backlog (unless ``backlog=False``), then every new line, until the app stops (of one replica, by its
        ``instance_id``, when ``replica`` is given: one stream per replica)."""
        ...

    def add_listener(self, listener: Callable[[IResource, LogLine], None]) -> None:
        """Call ``listener(resource, line)`` for every line of every resource (on the event loop; keep it cheap)."""
        ...


class App(Protocol):
    """The app as plugins see it: ``event.app``, the hooks' events, command and health-check contexts.

    Its model, eventing bus, execution context and services, the live snapshots
    (:attr:`resource_notifications`) and logs (:attr:`resource_loggers`) in run mode, and the calls a
    plugin makes on a running app. :class:`~aspyre.DistributedApplication` is one.
    """

    @property
    def model(self) -> DistributedApplicationModel:
        """The validated model."""
        ...

    @property
    def eventing(self) -> DistributedApplicationEventing:
        """The eventing bus (publish events, subscribe to them)."""
        ...

    @property
    def execution_context(self) -> ExecutionContext:
        """Run mode or publish mode, and the publish options."""
        ...

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The pluggy plugin manager the hooks are called through."""
        ...

    @property
    def app_host_path(self) -> Path:
        """The app host file (relative paths, persistent names and the secrets store are keyed on it)."""
        ...

    @property
    def services(self) -> ServiceRegistry:
        """Shared objects by class (see :class:`~aspyre.events.ServiceRegistry`)."""
        ...

    @property
    def resource_notifications(self) -> ResourceNotifications:
        """The live snapshots (run mode; publish mode raises ``RuntimeError``)."""
        ...

    @property
    def resource_loggers(self) -> ResourceLoggers:
        """The resources' logs (run mode; publish mode raises ``RuntimeError``)."""
        ...

    @property
    def failed_resources(self) -> list[str]:
        """Names of the resources that failed to start (run mode)."""
        ...

    def get_resource(self, name: str, /) -> IResource:
        """The resource called ``name`` (case-insensitive)."""
        ...

    async def start(self) -> None:
        """Start the app (run mode)."""
        ...

    async def stop(self) -> None:
        """Stop every resource and release what the app created."""
        ...

    async def start_resource(self, resource: IResource | str, /) -> None:
        """Start a resource that is NotStarted (explicit start) or stopped."""
        ...

    async def stop_resource(self, resource: IResource | str, /) -> None:
        """Stop a resource (the Stop command)."""
        ...

    async def execute_command(self, resource: IResource | str, command: str, /) -> Any:
        """Run a resource's command (``start``, ``stop``, ``restart`` or one added with ``with_command``)."""
        ...

    async def get_connection_string(self, resource: IResource | str, /) -> str | None:
        """The live connection string of a resource, as the app host sees it."""
        ...

    def get_endpoint(self, resource: IResource | str, endpoint_name: str | None = None, /) -> str:
        """The URL of a resource's endpoint (default: ``http``, then ``https``, then the first)."""
        ...

    def disable_plugin(self, name: str, /) -> bool:
        """Switch off the hook plugin ``name`` for this app (before it starts)."""
        ...

    def announce(self, text: str, /) -> None:
        """Show one line to whoever runs the app (``Dashboard: http://...``): printed once, kept by the live table."""
        ...

    @property
    def announcements(self) -> tuple[str, ...]:
        """Every line given to :meth:`announce`, in order."""
        ...

    def add_announcement_listener(self, listener: Callable[[str], None], /) -> None:
        """Call ``listener(text)`` for every announcement, past ones first."""
        ...

    def start_background_task(
        self, func: Callable[..., Awaitable[object]], /, *args: object, name: str | None = None
    ) -> None:
        """Run ``await func(*args)`` next to the resources while the app runs (run mode); cancelled at stop."""
        ...

    async def container_host_address(self) -> str | None:
        """The IP address containers reach this machine at (``host.docker.internal`` in them), or ``None``."""
        ...


@attrs.frozen
class ExecuteCommandContext:
    """What a resource command (``with_command(name, display_name, execute)``) receives: ``execute(context)``."""

    app: App
    resource: IResource

    @property
    def resource_name(self) -> str:
        """The name of the resource the command runs against."""
        return self.resource.name

    @property
    def services(self) -> ServiceRegistry:
        """The app's services."""
        return self.app.services

    @property
    def logger(self) -> logging.Logger:
        """The resource's logger."""
        return self.app.resource_loggers.get_logger(self.resource)


# aspyre.events imports this module on first use only: its names report that public module however they are
# reached (publishing imports them here directly).
_present(globals(), "aspyre.events")
