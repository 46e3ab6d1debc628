"""The talking clock: a custom aspyre resource with its own lifecycle.

``builder.add_talking_clock("clock")`` adds a :class:`TalkingClockResource` (neither a container
nor a process) and two :class:`ClockHandResource` children, ``clock-tick-hand`` and
``clock-tock-hand``, shown under the clock (a parent *relationship*: visual only, the hands have
no lifecycle coupling with the clock).

In run mode the clock runs its own lifecycle from its :class:`aspyre.events.InitializeResourceEvent`
handler, as Aspire's "talking clock" custom-resource example does:

1. it publishes :class:`aspyre.events.BeforeResourceStartedEvent` for itself and both hands;
2. it logs ``Starting Talking Clock...``, becomes ``Running`` and shows the hands as
   ``Waiting on clock tick`` / ``Waiting on clock tock``;
3. then, until it is stopped, every ``interval`` seconds (default 1) it alternates the custom
   states ``Tick`` / ``Tock`` (style success) while the hands alternate ``On`` (success) /
   ``Off`` (info); before each ``Tick`` it logs ``The time is ...`` to its resource log.

When the app stops (or on the clock's ``stop`` command) the loop is cancelled and the clock and
its hands become ``Finished``, after which :class:`aspyre.events.ResourceStoppedEvent` is published
for each of them. With ``with_explicit_start()`` the clock stays ``NotStarted`` until its
``start`` command runs: ``await app.execute_command("clock", "start")``.

This module is the reference for writing a resource that is neither a container nor a process;
``docs/writing-an-integration.md`` walks through it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import weakref
from typing import ClassVar

import anyio
import anyio.lowlevel
import attrs

import aspyre

__all__ = [
    "DEFAULT_INTERVAL",
    "SOURCE",
    "SOURCE_PROPERTY",
    "URL",
    "URL_DISPLAY_TEXT",
    "ClockHandResource",
    "TalkingClockResource",
    "add_talking_clock",
]

#: Seconds between two state changes (``Tick`` -> ``Tock`` -> ``Tick``...).
DEFAULT_INTERVAL = 1.0
#: The property that says where a custom resource comes from (Aspire's ``CustomResourceKnownProperties.Source``).
SOURCE_PROPERTY = aspyre.model.CustomResourceKnownProperties.SOURCE
#: The value of :data:`SOURCE_PROPERTY` on the clock and its hands.
SOURCE = "Talking Clock"
#: The URL shown for the clock, and its display text.
URL = "https://www.speaking-clock.com/"
URL_DISPLAY_TEXT = "Speaking Clock"

S = aspyre.KnownResourceStates


def _validate_interval(_: object, __: object, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"the talking clock's interval must be a positive number of seconds, got {value!r}")


@attrs.define(eq=False, repr=False)
class ClockHandResource(aspyre.Resource):
    """One hand of a talking clock. It has no lifecycle of its own: the clock sets its state."""

    resource_type: ClassVar[str] = "ClockHand"


@attrs.define(eq=False, repr=False)
class TalkingClockResource(aspyre.Resource):
    """A clock that ticks in its resource state and tells the time in its log.

    Neither a container nor a process: nothing is launched for it. Its behaviour lives in the
    handler that :func:`add_talking_clock` subscribes to its :class:`aspyre.events.InitializeResourceEvent`.
    """

    resource_type: ClassVar[str] = "TalkingClock"

    #: The hand that is ``On`` while the clock shows ``Tick``.
    tick_hand: ClockHandResource = attrs.field(kw_only=True)
    #: The hand that is ``On`` while the clock shows ``Tock``.
    tock_hand: ClockHandResource = attrs.field(kw_only=True)
    #: Seconds between two state changes.
    interval: float = attrs.field(default=DEFAULT_INTERVAL, kw_only=True, validator=_validate_interval)

    @property
    def hands(self) -> tuple[ClockHandResource, ClockHandResource]:
        """The tick hand and the tock hand."""
        return (self.tick_hand, self.tock_hand)


def add_talking_clock(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    *,
    interval: float = DEFAULT_INTERVAL,
) -> aspyre.ResourceBuilder[TalkingClockResource]:
    """Add a talking clock ``name`` and its hands ``{name}-tick-hand`` and ``{name}-tock-hand``.

    ``interval`` is the number of seconds between ``Tick`` and ``Tock`` (default 1). The clock is
    left out of published manifests, and so are its hands. It has two commands, ``start`` and
    ``stop`` (``await app.execute_command(name, "start")``); ``start`` is how a clock added with
    ``.with_explicit_start()`` gets going. Returns the clock's resource builder.
    """
    aspyre.model.validate_name("Resource", name)
    tick_hand = ClockHandResource(f"{name}-tick-hand")
    tock_hand = ClockHandResource(f"{name}-tock-hand")
    clock = TalkingClockResource(name, tick_hand=tick_hand, tock_hand=tock_hand, interval=interval)

    clock_builder = (
        builder.add_resource(clock)
        .exclude_from_manifest()
        .with_url(URL, URL_DISPLAY_TEXT)
        .with_initial_state(
            aspyre.ResourceSnapshot(
                "TalkingClock",
                state=aspyre.model.ResourceStateSnapshot(S.NOT_STARTED),
                creation_time_stamp=_utcnow(),
                properties=(aspyre.model.ResourcePropertySnapshot(SOURCE_PROPERTY, SOURCE),),
            )
        )
        .with_command(
            "start",
            "Start",
            _start_command,
            description="Start the clock",
            update_state=_start_command_state,
        )
        .with_command(
            "stop",
            "Stop",
            _stop_command,
            description="Stop the clock",
            update_state=_stop_command_state,
        )
    )
    builder.eventing.subscribe(aspyre.events.InitializeResourceEvent, _run_clock, resource=clock)

    for hand in clock.hands:
        # Aspire's example leaves the hands in the manifest, where an unknown resource type is
        # written as an error entry; a hand means nothing without its clock, so leave it out too.
        (
            builder.add_resource(hand)
            .with_parent_relationship(clock_builder)
            .exclude_from_manifest()
            .with_initial_state(
                aspyre.ResourceSnapshot(
                    "ClockHand",
                    state=aspyre.model.ResourceStateSnapshot(S.NOT_STARTED),
                    creation_time_stamp=_utcnow(),
                    properties=(aspyre.model.ResourcePropertySnapshot(SOURCE_PROPERTY, SOURCE),),
                )
            )
        )
    return clock_builder


# ------------------------------------------------------------------------------------------ lifecycle


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _ClockControl:
    """The live part of one clock in one running app: what its commands talk to."""

    def __init__(self) -> None:
        #: Set to ask the clock to start; the clock replaces it once it took the request.
        self.start_requested = anyio.Event()
        #: Set once the clock is Running (replaced at each start).
        self.started = anyio.Event()
        #: Cancels the tick-tock loop (``stop`` command); ``None`` while not running.
        self.loop_scope: anyio.CancelScope | None = None
        #: Set when the loop finished and the final state was published (replaced at each start).
        self.stopped = anyio.Event()
        self.stopped.set()
        #: Why the last start failed (``None``: it did not).
        self.error: Exception | None = None
        #: The app stopped: nothing will start any more.
        self.closed = False


#: app -> clock resource id -> control. Weak on the app: a finished app takes its clocks along.
_controls: weakref.WeakKeyDictionary[aspyre.events.App, dict[int, _ClockControl]] = weakref.WeakKeyDictionary()


def _control(app: aspyre.events.App, clock: aspyre.IResource, *, create: bool = False) -> _ClockControl | None:
    per_app = _controls.get(app)
    if per_app is None:
        if not create:
            return None
        per_app = _controls[app] = {}
    control = per_app.get(id(clock))
    if control is None and create:
        control = per_app[id(clock)] = _ClockControl()
    return control


async def _run_clock(event: aspyre.events.InitializeResourceEvent) -> None:
    """The clock's whole life: wait for a start, tick until stopped, repeat until the app stops.

    Runs as a background task of the app (initialize-resource handlers are non-blocking), so it
    is cancelled when the app stops; the final state is then published from a shielded scope.
    """
    clock = event.resource
    if not isinstance(clock, TalkingClockResource):  # pragma: no cover - subscribed for the clock only
        raise TypeError(f"the talking clock's lifecycle got {clock!r}, not a TalkingClockResource")
    app = event.app
    logger = event.logger
    control = _control(app, clock, create=True)
    assert control is not None
    if not clock.annotations.has(aspyre.annotations.ExplicitStartAnnotation):
        control.start_requested.set()
    try:
        while True:
            await control.start_requested.wait()
            control.start_requested = anyio.Event()
            control.stopped = anyio.Event()
            control.error = None
            try:
                with anyio.CancelScope() as scope:
                    control.loop_scope = scope
                    await _tick_tock(app, clock, logger, control)
            except Exception as exc:
                # A before-resource-started subscriber (or hook) refused the start.
                control.loop_scope = None
                control.error = exc
                logger.error("Failed to start: %s: %s", type(exc).__name__, exc)
                app.resource_notifications.publish_update(
                    clock, lambda s: s.with_state(S.FAILED_TO_START, aspyre.StateStyle.ERROR)
                )
            else:
                # Only the stop command cancels this scope; the app stopping cancels the whole task.
                control.loop_scope = None
                await _finish(app, clock, logger)
            control.started.set()
            control.stopped.set()
    finally:
        control.closed = True
        control.started.set()  # nobody waits for a start that will not come
        if control.loop_scope is not None:
            control.loop_scope = None
            with anyio.CancelScope(shield=True):
                await _finish(app, clock, logger)
        control.stopped.set()


async def _tick_tock(
    app: aspyre.events.App, clock: TalkingClockResource, logger: logging.Logger, control: _ClockControl
) -> None:
    notifications = app.resource_notifications
    eventing = app.eventing
    tick_hand, tock_hand = clock.hands

    # Announce the start, as a container or a process would: subscribers of the
    # before-resource-started event (and aspyre_before_resource_started hooks) run here.
    for resource in (clock, tick_hand, tock_hand):
        await eventing.publish(aspyre.events.BeforeResourceStartedEvent(resource, app=app))

    logger.info("Starting Talking Clock...")
    now = _utcnow()
    notifications.publish_update(
        clock, lambda s: s.with_state(S.RUNNING).evolve(start_time_stamp=now, stop_time_stamp=None)
    )
    notifications.publish_update(
        tick_hand, lambda s: s.with_state("Waiting on clock tick").evolve(start_time_stamp=now, stop_time_stamp=None)
    )
    notifications.publish_update(
        tock_hand, lambda s: s.with_state("Waiting on clock tock").evolve(start_time_stamp=now, stop_time_stamp=None)
    )
    control.started.set()
    # Let the app see the clock Running before the first tick: its health monitor starts (there
    # are no health checks, so it is healthy) and the resource-ready event fires.
    await anyio.lowlevel.checkpoint()

    success, info = aspyre.StateStyle.SUCCESS, aspyre.StateStyle.INFO
    while True:
        logger.info("The time is %s", _utcnow().strftime("%Y-%m-%d %H:%M:%S UTC"))
        notifications.publish_update(clock, lambda s: s.with_state("Tick", success))
        notifications.publish_update(tick_hand, lambda s: s.with_state("On", success))
        notifications.publish_update(tock_hand, lambda s: s.with_state("Off", info))
        await anyio.sleep(clock.interval)

        notifications.publish_update(clock, lambda s: s.with_state("Tock", success))
        notifications.publish_update(tick_hand, lambda s: s.with_state("Off", info))
        notifications.publish_update(tock_hand, lambda s: s.with_state("On", success))
        await anyio.sleep(clock.interval)


async def _finish(app: aspyre.events.App, clock: TalkingClockResource, logger: logging.Logger) -> None:
    """The clock stopped: show it and its hands Finished, then tell the resource-stopped subscribers."""
    notifications = app.resource_notifications
    for resource in (clock, *clock.hands):
        notifications.publish_update(resource, lambda s: s.with_state(S.FINISHED))
    logger.info("Talking Clock stopped.")
    for resource in (clock, *clock.hands):
        try:
            await app.eventing.publish(
                aspyre.events.ResourceStoppedEvent(resource, app=app, snapshot=notifications.get_snapshot(resource))
            )
        except Exception as exc:
            # A failing subscriber must not leave the hands without their event.
            logger.error("A resource-stopped handler of %r failed: %s: %s", resource.name, type(exc).__name__, exc)


# ------------------------------------------------------------------------------------------- commands


def _clock_of(
    context: aspyre.events.ExecuteCommandContext,
) -> tuple[aspyre.events.App, TalkingClockResource, _ClockControl]:
    clock = context.resource
    if not isinstance(clock, TalkingClockResource):  # pragma: no cover - the commands sit on the clock only
        raise TypeError(f"{clock!r} is not a talking clock")
    app = context.app
    control = _control(app, clock)
    if control is None and app.resource_notifications.get_snapshot(clock) is not None:
        # The app started but the clock's lifecycle task did not run yet: it will find this.
        control = _control(app, clock, create=True)
    if control is None or control.closed:
        raise RuntimeError(f"Talking clock {clock.name!r} is not running: start the app first (async with app)")
    return app, clock, control


async def _start_command(context: aspyre.events.ExecuteCommandContext) -> None:
    """Start the clock (a no-op while it runs); returns once it is Running.

    Raises :class:`RuntimeError` if the start was refused (a before-resource-started handler raised).
    """
    _, clock, control = _clock_of(context)
    if control.loop_scope is None and not control.start_requested.is_set():
        control.started = anyio.Event()
        control.start_requested.set()
    await control.started.wait()
    if control.error is not None:
        raise RuntimeError(f"Talking clock {clock.name!r} failed to start: {control.error}") from control.error


async def _stop_command(context: aspyre.events.ExecuteCommandContext) -> None:
    """Stop the clock (a no-op unless it runs); returns once it is Finished."""
    _, _, control = _clock_of(context)
    scope = control.loop_scope
    if scope is None:
        return
    scope.cancel()
    await control.stopped.wait()


_STOPPED_STATES = (S.NOT_STARTED, S.FINISHED, S.FAILED_TO_START, None)


def _start_command_state(snapshot: aspyre.ResourceSnapshot) -> str:
    return "enabled" if snapshot.state_text in _STOPPED_STATES else "disabled"


def _stop_command_state(snapshot: aspyre.ResourceSnapshot) -> str:
    return "disabled" if snapshot.state_text in _STOPPED_STATES else "enabled"
