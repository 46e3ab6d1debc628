"""Readiness: health checks run while a resource is Running; the first healthy result raises resource-ready."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc
import anyio.lowlevel
import attrs

from .._eventing._app import App
from .._eventing._events import ResourceReadyEvent
from .._model._resources import IResource
from .._model._snapshot import KnownResourceStates, ResourceSnapshot
from ._health import HealthRound, HealthSettings, collect_health_checks, monitor_health
from ._logs import ResourceLoggerService
from ._notifications import ResourceNotificationService

__all__ = ["Readiness"]

S = KnownResourceStates


class Readiness:
    """Follows the Running state of every resource: checks health, then publishes ``ResourceReadyEvent``.

    Active between :meth:`attach` (a task group to run in) and :meth:`detach` (the app stops: nothing
    new starts, running checks are cancelled).
    """

    def __init__(
        self,
        *,
        app: App,
        notifications: ResourceNotificationService,
        loggers: ResourceLoggerService,
        publish: Callable[[ResourceReadyEvent], Awaitable[None]],
        check_timeout: Callable[[], float] | None = None,
    ) -> None:
        self._app = app
        self._notifications = notifications
        self._loggers = loggers
        self._publish = publish
        self.settings = HealthSettings()
        self._check_timeout = check_timeout
        self._tg: anyio.abc.TaskGroup | None = None
        self._checks: dict[int, anyio.CancelScope] = {}
        #: Each monitored resource's latest round of checks (children take their parent's reports from it).
        self._rounds: dict[int, HealthRound] = {}

    def attach(self, tg: anyio.abc.TaskGroup) -> None:
        self._tg = tg

    def detach(self) -> None:
        """Stop following: no more checks or ready events; the running checks are cancelled."""
        self._tg = None
        for scope in self._checks.values():
            scope.cancel()
        self._checks.clear()

    def on_state(self, r: IResource, state: str | None, was: str | None) -> None:
        """Call on every snapshot change: entering Running starts the checks, leaving it ends them."""
        if self._tg is None:
            return
        if state == S.RUNNING and was != S.RUNNING:
            # Back from RuntimeUnhealthy (the engine was away, the container ran on): checked again, not
            # made ready again (its resource-ready handlers ran already).
            resumed = was == S.RUNTIME_UNHEALTHY and self._notifications.is_ready(r)
            if not resumed:
                self._notifications.reset_ready(r)
            if not collect_health_checks(r):
                # No checks: ready on Running, even if a custom state follows at once.
                if not resumed:
                    self._tg.start_soon(self._fire_ready, r)
            else:
                scope = self._checks[id(r)] = anyio.CancelScope()
                self._tg.start_soon(self._check, r, scope, resumed)
        elif state != S.RUNNING and was == S.RUNNING:
            running = self._checks.pop(id(r), None)
            if running is not None:
                running.cancel()

    async def _check(self, r: IResource, scope: anyio.CancelScope, resumed: bool = False) -> None:
        with scope:
            await anyio.lowlevel.checkpoint()  # the resource may have left Running already
            await monitor_health(
                r,
                app=self._app,
                publish_update=self._notifications.publish_update,
                get_snapshot=self._notifications.get_snapshot,
                fire_ready=_ready_already if resumed else self._fire_ready,
                state_changed=functools.partial(self._left_running, r),
                settings=self._settings(),
                rounds=self._rounds,
            )

    def _settings(self) -> HealthSettings:
        if self._check_timeout is None:
            return self.settings
        return attrs.evolve(self.settings, check_timeout=self._check_timeout())

    async def _left_running(self, r: IResource) -> None:
        await self._notifications.wait_for_resource(r, _not_running)

    async def _fire_ready(self, r: IResource) -> None:
        if self._tg is None:  # a check that first ran after the stop began
            return
        self._tg.start_soon(self._ready, r)

    async def _ready(self, r: IResource) -> None:
        try:
            await self._publish(ResourceReadyEvent(r, app=self._app))
        except Exception as exc:
            logger: logging.Logger = self._loggers.get_logger(r)
            logger.error("A resource-ready handler failed: %s: %s", type(exc).__name__, exc)
            self._notifications.set_ready(r, exc)
        else:
            self._notifications.set_ready(r)


async def _ready_already(r: IResource) -> None:
    """Resource-ready for a resource whose handlers ran already: nothing to do."""


def _not_running(s: ResourceSnapshot) -> bool:
    return s.state_text != S.RUNNING
