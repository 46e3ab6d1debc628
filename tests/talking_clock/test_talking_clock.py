"""aspyre-talking-clock: a custom resource with its own lifecycle (plugins/talking_clock)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import Any, TypeVar

import anyio
import pytest

import aspyre
from aspyre_talking_clock import (
    DEFAULT_INTERVAL,
    SOURCE,
    SOURCE_PROPERTY,
    URL,
    URL_DISPLAY_TEXT,
    ClockHandResource,
    TalkingClockResource,
    add_talking_clock,
)

T = TypeVar("T")
S = aspyre.KnownResourceStates
SUCCESS, INFO = aspyre.StateStyle.SUCCESS, aspyre.StateStyle.INFO
NAMES = ("clock", "clock-tick-hand", "clock-tock-hand")
FAST = 0.02
TIME_LINE = re.compile(r"^The time is \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")

State = tuple[str | None, str | None]
#: Two full cycles after the start, as Aspire's example shows them.
CLOCK_STATES: list[State] = [
    ("NotStarted", None),
    ("Running", None),
    ("Tick", SUCCESS),
    ("Tock", SUCCESS),
    ("Tick", SUCCESS),
    ("Tock", SUCCESS),
]
TICK_HAND_STATES: list[State] = [
    ("NotStarted", None),
    ("Waiting on clock tick", None),
    ("On", SUCCESS),
    ("Off", INFO),
    ("On", SUCCESS),
    ("Off", INFO),
]
TOCK_HAND_STATES: list[State] = [
    ("NotStarted", None),
    ("Waiting on clock tock", None),
    ("Off", INFO),
    ("On", SUCCESS),
    ("Off", INFO),
    ("On", SUCCESS),
]
EXPECTED = {"clock": CLOCK_STATES, "clock-tick-hand": TICK_HAND_STATES, "clock-tock-hand": TOCK_HAND_STATES}


def _builder(args: list[str] | None = None) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder(args or [])


def _generator(it: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    # watch() methods are async generators (annotated as iterators): close them when done.
    assert isinstance(it, AsyncGenerator)
    return it


def _state(snapshot: aspyre.ResourceSnapshot) -> State:
    return (snapshot.state_text, None if snapshot.state is None else snapshot.state.style)


class StateRecorder:
    """Every state (text, style) of every resource seen through ``watch()``, repeats dropped."""

    def __init__(self) -> None:
        self.states: dict[str, list[State]] = {}
        self._changed = anyio.Event()

    async def record(self, app: aspyre.DistributedApplication) -> None:
        async with aclosing(_generator(app.resource_notifications.watch())) as updates:
            async for update in updates:
                self._add(update)

    def _add(self, update: Any) -> None:
        seq = self.states.setdefault(update.resource.name, [])
        state = _state(update.snapshot)
        if not seq or seq[-1] != state:
            seq.append(state)
            self._changed.set()
            self._changed = anyio.Event()

    async def wait_until(self, done: Callable[[dict[str, list[State]]], bool]) -> None:
        while not done(self.states):
            await self._changed.wait()


def _enough(expected: dict[str, list[State]]) -> Callable[[dict[str, list[State]]], bool]:
    def done(states: dict[str, list[State]]) -> bool:
        return all(len(states.get(name, ())) >= len(seq) for name, seq in expected.items())

    return done


# ------------------------------------------------------------------------------------------- the model


def test_add_talking_clock_is_an_entry_point_of_the_distribution() -> None:
    (entry,) = aspyre.plugins.registry().find("aspyre.builder_methods", "add_talking_clock")
    assert entry.distribution == "aspyre-talking-clock"
    assert entry.load() is add_talking_clock


def test_the_clock_and_its_hands() -> None:
    builder = _builder()
    clock = builder.add_talking_clock("clock")
    assert isinstance(clock, aspyre.ResourceBuilder)
    res = clock.resource
    assert isinstance(res, TalkingClockResource)
    assert [r.name for r in builder.resources] == list(NAMES)
    assert res.hands == (builder.resources[1], builder.resources[2])
    assert res.interval == DEFAULT_INTERVAL == 1.0
    for r in builder.resources:
        # Neither a container nor a process: nothing is launched for them.
        assert not isinstance(r, aspyre.ContainerResource | aspyre.ExecutableResource)
    for hand in res.hands:
        assert isinstance(hand, ClockHandResource)
        # Shown under the clock, without lifecycle coupling.
        assert not isinstance(hand, aspyre.IResourceWithParent)
        (rel,) = hand.annotations.all(aspyre.annotations.ResourceRelationshipAnnotation)
        assert rel.resource is res
        assert rel.type == aspyre.KnownRelationshipTypes.PARENT


def test_the_clock_is_described_as_the_seed_example_does() -> None:
    builder = _builder()
    res = builder.add_talking_clock("clock").resource
    (url,) = res.annotations.all(aspyre.annotations.ResourceUrlAnnotation)
    assert (url.url, url.display_text) == (URL, URL_DISPLAY_TEXT)
    ann = res.annotations.last(aspyre.annotations.ResourceSnapshotAnnotation)
    assert ann is not None
    snap = ann.initial_snapshot
    assert snap.resource_type == "TalkingClock"
    assert snap.state_text == S.NOT_STARTED
    assert snap.creation_time_stamp is not None
    assert snap.property_value(SOURCE_PROPERTY) == SOURCE == "Talking Clock"
    for hand in res.hands:
        hand_ann = hand.annotations.last(aspyre.annotations.ResourceSnapshotAnnotation)
        assert hand_ann is not None
        assert hand_ann.initial_snapshot.resource_type == "ClockHand"
        assert hand_ann.initial_snapshot.state_text == S.NOT_STARTED
    for r in (res, *res.hands):
        excluded = r.annotations.last(aspyre.annotations.ManifestPublishingCallbackAnnotation)
        assert excluded is not None
        assert excluded.callback is None
    assert [c.name for c in res.annotations.all(aspyre.annotations.ResourceCommandAnnotation)] == ["start", "stop"]


def test_the_free_function_is_the_same_method() -> None:
    builder = _builder()
    clock = add_talking_clock(builder, "big-ben", interval=0.5)
    assert clock.resource.interval == 0.5
    assert [r.name for r in builder.resources] == ["big-ben", "big-ben-tick-hand", "big-ben-tock-hand"]


@pytest.mark.parametrize("interval", [0, -1, float("nan"), float("inf"), "1", True])
def test_a_bad_interval_is_refused(interval: Any) -> None:
    with pytest.raises(ValueError, match="interval must be a positive number of seconds"):
        _builder().add_talking_clock("clock", interval=interval)


def test_names_follow_the_resource_rules() -> None:
    builder = _builder()
    with pytest.raises(aspyre.InvalidNameError):
        builder.add_talking_clock("no_underscores")
    assert builder.resources == ()
    builder.add_talking_clock("clock")
    with pytest.raises(aspyre.DuplicateResourceError):
        builder.add_talking_clock("CLOCK")


# ------------------------------------------------------------------------------------------- run mode


@pytest.mark.anyio
async def test_states_of_the_clock_and_its_hands_through_watch() -> None:
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST)
    app = builder.build()
    recorder = StateRecorder()
    async with anyio.create_task_group() as tg:
        # Watch from before the start: every state is seen, from the initial snapshot on.
        tg.start_soon(recorder.record, app)
        await anyio.wait_all_tasks_blocked()
        async with app:
            await recorder.wait_until(_enough(EXPECTED))
        tg.cancel_scope.cancel()
    for name, expected in EXPECTED.items():
        assert recorder.states[name][: len(expected)] == expected, name


@pytest.mark.anyio
async def test_the_clock_tells_the_time_in_its_log() -> None:
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST)
    async with builder.build() as app:
        times = 0
        async with aclosing(_generator(app.resource_loggers.watch("clock"))) as lines:
            async for line in lines:
                if line.content.startswith("The time is"):
                    times += 1
                    if times == 3:
                        break
        backlog = [line.content for line in app.resource_loggers.backlog("clock")]
    assert backlog[0] == "Starting Talking Clock..."
    time_lines = backlog[1:4]
    assert all(TIME_LINE.match(line) for line in time_lines), time_lines
    assert all(not line.is_error for line in app.resource_loggers.backlog("clock"))
    # The hands have no log of their own.
    assert app.resource_loggers.backlog("clock-tick-hand") == []


@pytest.mark.anyio
async def test_the_clock_announces_its_start_for_itself_and_its_hands() -> None:
    builder = _builder()
    clock = builder.add_talking_clock("clock", interval=FAST)
    seen: list[tuple[str, str | None]] = []
    app_ref: list[aspyre.DistributedApplication] = []

    def before_started(event: aspyre.events.BeforeResourceStartedEvent) -> None:
        snap = app_ref[0].resource_notifications.get_snapshot(event.resource)
        seen.append((event.resource.name, None if snap is None else snap.state_text))

    builder.eventing.subscribe(aspyre.events.BeforeResourceStartedEvent, before_started)
    app = builder.build()
    app_ref.append(app)
    async with app:
        await app.resource_notifications.wait_for_resource(clock.resource, "Tock")
    # Once each, before anything ran, the clock first.
    assert seen == [(name, S.NOT_STARTED) for name in NAMES]


@pytest.mark.anyio
async def test_explicit_start() -> None:
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST).with_explicit_start()
    app = builder.build()
    async with app:
        await anyio.wait_all_tasks_blocked()
        # Nothing happened: the clock waits for its start command.
        for name in NAMES:
            snap = app.resource_notifications.get_snapshot(name)
            assert snap is not None
            assert snap.state_text == S.NOT_STARTED, name
        assert app.resource_loggers.backlog("clock") == []

        recorder = StateRecorder()
        async with anyio.create_task_group() as tg:
            tg.start_soon(recorder.record, app)
            await anyio.wait_all_tasks_blocked()  # the replay (NotStarted x3) is recorded
            # The start command returns once the clock runs.
            await app.execute_command("clock", "start")
            snap = app.resource_notifications.get_snapshot("clock")
            assert snap is not None
            assert snap.state_text in ("Running", "Tick")
            assert snap.start_time_stamp is not None
            await recorder.wait_until(_enough(EXPECTED))
            tg.cancel_scope.cancel()
    for name, expected in EXPECTED.items():
        assert recorder.states[name][: len(expected)] == expected, name


@pytest.mark.anyio
async def test_stop_and_start_commands() -> None:
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST)
    stopped: list[str] = []
    builder.eventing.subscribe(aspyre.events.ResourceStoppedEvent, lambda e: stopped.append(e.resource.name))
    async with builder.build() as app:
        notifications = app.resource_notifications
        await notifications.wait_for_resource("clock", "Tock")
        await app.execute_command("clock", "stop")
        for name in NAMES:
            snap = notifications.get_snapshot(name)
            assert snap is not None
            assert snap.state_text == S.FINISHED, name
            assert snap.stop_time_stamp is not None
        assert stopped == list(NAMES)
        await anyio.wait_all_tasks_blocked()
        assert notifications.get_snapshot("clock").state_text == S.FINISHED  # type: ignore[union-attr]
        await app.execute_command("clock", "stop")  # already stopped: nothing to do

        await app.execute_command("clock", "start")
        await notifications.wait_for_resource("clock", "Tock")
        await notifications.wait_for_resource("clock-tock-hand", "On")
        await app.execute_command("clock", "start")  # already running: nothing to do
    lines = [line.content for line in app.resource_loggers.backlog("clock")]
    assert lines.count("Starting Talking Clock...") == 2
    assert lines.count("Talking Clock stopped.") == 2  # the stop command, then the app's stop
    assert stopped == list(NAMES) * 2


def test_commands_say_when_they_apply() -> None:
    res = _builder().add_talking_clock("clock").resource
    commands = {c.name: c for c in res.annotations.all(aspyre.annotations.ResourceCommandAnnotation)}
    start, stop = commands["start"], commands["stop"]
    assert start.update_state is not None
    assert stop.update_state is not None
    for state, start_state in [
        (S.NOT_STARTED, "enabled"),
        (S.RUNNING, "disabled"),
        ("Tick", "disabled"),
        ("Tock", "disabled"),
        (S.FINISHED, "enabled"),
        (S.FAILED_TO_START, "enabled"),
    ]:
        snap = aspyre.ResourceSnapshot("TalkingClock").with_state(state)
        assert start.update_state(snap) == start_state, state
        assert stop.update_state(snap) == ("disabled" if start_state == "enabled" else "enabled"), state


@pytest.mark.anyio
async def test_commands_need_a_running_app() -> None:
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST)
    app = builder.build()
    async with app:
        await app.resource_notifications.wait_for_resource("clock", "Tick")
    with pytest.raises(RuntimeError, match="Talking clock 'clock' is not running: start the app first"):
        await app.execute_command("clock", "start")


@pytest.mark.anyio
async def test_it_stops_cleanly_when_the_app_stops(caplog: pytest.LogCaptureFixture) -> None:
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST)
    stopped: dict[str, aspyre.ResourceSnapshot | None] = {}

    def on_stopped(event: aspyre.events.ResourceStoppedEvent) -> None:
        stopped[event.resource.name] = event.snapshot

    builder.eventing.subscribe(aspyre.events.ResourceStoppedEvent, on_stopped)
    app = builder.build()
    with caplog.at_level(logging.DEBUG, logger="aspyre"):
        async with app:
            await app.resource_notifications.wait_for_resource("clock", "Tock")
            assert stopped == {}
        # The loop was cancelled mid-tick; the app's task group is gone, so its task ended.
    for name in NAMES:
        snap = app.resource_notifications.get_snapshot(name)
        assert snap is not None
        assert snap.state_text == S.FINISHED, name
        assert snap.stop_time_stamp is not None
        assert stopped[name] == snap
    lines = app.resource_loggers.backlog("clock")
    assert lines[-1].content == "Talking Clock stopped."
    assert [line.content for line in lines if line.is_error] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.anyio
async def test_a_clock_that_never_started_stays_not_started() -> None:
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST).with_explicit_start()
    stopped: list[str] = []
    builder.eventing.subscribe(aspyre.events.ResourceStoppedEvent, lambda e: stopped.append(e.resource.name))
    async with builder.build() as app:
        await anyio.wait_all_tasks_blocked()
    for name in NAMES:
        assert app.resource_notifications.get_snapshot(name).state_text == S.NOT_STARTED  # type: ignore[union-attr]
    assert stopped == []
    assert app.resource_loggers.backlog("clock") == []


@pytest.mark.anyio
async def test_a_refused_start_fails_the_clock_and_can_be_retried() -> None:
    builder = _builder()
    clock = builder.add_talking_clock("clock", interval=FAST)
    refusals = [RuntimeError("not now")]

    def refuse_once(event: aspyre.events.BeforeResourceStartedEvent) -> None:
        if refusals:
            raise refusals.pop()

    builder.eventing.subscribe(aspyre.events.BeforeResourceStartedEvent, refuse_once, resource=clock)
    clock.with_explicit_start()
    async with builder.build() as app:
        with pytest.raises(RuntimeError, match="Talking clock 'clock' failed to start: not now"):
            await app.execute_command("clock", "start")
        failed = await app.resource_notifications.wait_for_resource("clock", S.FAILED_TO_START)
        assert failed.state is not None
        assert failed.state.style == aspyre.StateStyle.ERROR
        errors = [line.content for line in app.resource_loggers.backlog("clock") if line.is_error]
        assert errors == ["Failed to start: RuntimeError: not now"]
        # The hands never started.
        assert app.resource_notifications.get_snapshot("clock-tick-hand").state_text == S.NOT_STARTED  # type: ignore[union-attr]

        await app.execute_command("clock", "start")
        await app.resource_notifications.wait_for_resource("clock", "Tock")


@pytest.mark.anyio
async def test_it_ticks_every_second_by_default() -> None:
    builder = _builder()
    clock = builder.add_talking_clock("clock")
    assert clock.resource.interval == 1.0
    expected = {"clock": CLOCK_STATES[:5]}  # Running, Tick, Tock, Tick: two intervals
    app = builder.build()
    recorder = StateRecorder()
    async with anyio.create_task_group() as tg:
        tg.start_soon(recorder.record, app)
        await anyio.wait_all_tasks_blocked()
        async with app:
            await recorder.wait_until(_enough(expected))
        tg.cancel_scope.cancel()
    assert recorder.states["clock"][:5] == CLOCK_STATES[:5]
    tick, tock = recorder.states["clock"][2], recorder.states["clock"][3]
    assert (tick, tock) == (("Tick", SUCCESS), ("Tock", SUCCESS))


@pytest.mark.anyio
async def test_the_clock_is_ready_once_running() -> None:
    # No health checks: healthy as soon as it is Running, so the resource-ready event fires once.
    builder = _builder()
    clock = builder.add_talking_clock("clock", interval=FAST)
    ready = anyio.Event()
    states_when_ready: list[str | None] = []
    app_ref: list[aspyre.DistributedApplication] = []

    def on_ready(event: aspyre.events.ResourceReadyEvent) -> None:
        snap = app_ref[0].resource_notifications.get_snapshot(event.resource)
        states_when_ready.append(None if snap is None else snap.state_text)
        ready.set()

    clock.on_resource_ready(on_ready)
    app = builder.build()
    app_ref.append(app)
    async with app:
        await ready.wait()
        await app.resource_notifications.wait_for_resource("clock", "Tock")
    assert len(states_when_ready) == 1


@pytest.mark.anyio
async def test_the_start_command_works_right_after_the_app_started() -> None:
    # The clock's lifecycle task may not have run yet when `async with app` returns.
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST).with_explicit_start()
    async with builder.build() as app:
        await app.execute_command("clock", "start")
        snap = app.resource_notifications.get_snapshot("clock")
        assert snap is not None
        assert snap.state_text in ("Running", "Tick")


@pytest.mark.anyio
async def test_commands_before_the_app_started() -> None:
    builder = _builder()
    builder.add_talking_clock("clock", interval=FAST).with_explicit_start()
    app = builder.build()
    with pytest.raises(RuntimeError, match="Talking clock 'clock' is not running: start the app first"):
        await app.execute_command("clock", "start")
