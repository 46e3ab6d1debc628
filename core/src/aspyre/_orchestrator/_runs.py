"""The live part of one resource while the app runs."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import anyio
import attrs

from .._model._resources import IResource

if TYPE_CHECKING:
    from ._docker import ContainerHandle

__all__ = ["ResourceRun", "StopReason"]


class StopReason(enum.Enum):
    """Why a run is being stopped: it decides what happens to a persistent container."""

    #: The Stop (or Restart) command: the container is really stopped, and kept.
    COMMAND = "command"
    #: The app shuts down: a persistent container is left running (detached), even on a forced stop.
    SHUTDOWN = "shutdown"


@attrs.define(eq=False)
class ResourceRun:
    """What the orchestrator knows about one resource's current run (one per resource, reused across runs)."""

    resource: IResource
    #: Cancelled to stop the run; ``None`` when the resource does not run.
    scope: anyio.CancelScope | None = None
    #: Set when the current run ended (its final state is published).
    done: anyio.Event = attrs.field(factory=anyio.Event)
    #: Set to start a Waiting resource without waiting further.
    force_start: anyio.Event = attrs.field(factory=anyio.Event)
    container: ContainerHandle | None = None
    pid: int | None = None
    exit_code: int | None = None
    #: Why the run is being stopped (the first reason wins); ``None`` while nobody stops it.
    stop_reason: StopReason | None = None
    #: Held by a start, stop or restart command from its decision to its end: commands on one
    #: resource run one after the other (commands on different resources run in parallel).
    lock: anyio.Lock = attrs.field(factory=anyio.Lock)

    @property
    def running(self) -> bool:
        """Whether a run is under way (started and not yet ended)."""
        return self.scope is not None and not self.done.is_set()

    def begin(self) -> anyio.CancelScope:
        """Reset for a new run; the scope to run it in.

        Called on the event loop when the run is decided, before its task runs, so that a stop (or the
        app's shutdown) that comes in between finds the run and cancels it.
        """
        self.done = anyio.Event()
        self.force_start = anyio.Event()
        self.exit_code = None
        self.container = None
        self.pid = None
        self.stop_reason = None
        self.scope = anyio.CancelScope()
        return self.scope

    def leaves_running(self, handle: ContainerHandle) -> bool:
        """Whether *handle* stays running when this run ends: a persistent container, unless the Stop command stops it."""
        return handle.persistent and self.stop_reason is not StopReason.COMMAND
