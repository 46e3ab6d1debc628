"""The contract docs/writing-a-lifecycle-extension.md promises to hook implementations.

Hooks are registered in-process here (``builder.plugin_manager.register``): an installed
distribution's entry point ends up in exactly the same plugin manager.
"""

from __future__ import annotations

import logging
import sys

import anyio
import pytest

import aspyre

PRINT_ENV = "import os; print('EXTRA=' + os.environ.get('EXTRA', '<unset>'))"


def _builder() -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([])


async def _finished(app: aspyre.DistributedApplication, name: str) -> aspyre.ResourceSnapshot:
    return await app.resource_notifications.wait_for_resource(name, aspyre.KnownResourceStates.TERMINAL_STATES)


def _log(app: aspyre.DistributedApplication, name: str) -> list[str]:
    return [line.content for line in app.resource_loggers.backlog(name)]


@pytest.mark.anyio
async def test_an_async_hook_is_awaited_before_the_resource_starts() -> None:
    class Extension:
        @aspyre.plugins.hookimpl
        async def aspyre_before_resource_started(self, event: aspyre.events.BeforeResourceStartedEvent) -> None:
            await anyio.sleep(0.01)  # really suspends: the environment must still see what follows
            event.resource.annotations.add(aspyre.annotations.EnvironmentAnnotation("EXTRA", "from-an-async-hook"))

    builder = _builder()
    builder.plugin_manager.register(Extension())
    builder.add_executable("job", sys.executable, "-c", PRINT_ENV)
    async with builder.build() as app:
        snap = await _finished(app, "job")
    assert snap.exit_code == 0
    assert "EXTRA=from-an-async-hook" in _log(app, "job")


@pytest.mark.anyio
async def test_subscribers_run_before_hooks_and_hooks_in_pluggy_order() -> None:
    calls: list[str] = []

    def make(label: str, *, tryfirst: bool = False, trylast: bool = False) -> object:
        class Extension:
            @aspyre.plugins.hookimpl(tryfirst=tryfirst, trylast=trylast)
            def aspyre_before_resource_started(self, event: aspyre.events.BeforeResourceStartedEvent) -> None:
                calls.append(label)

        return Extension()

    builder = _builder()
    builder.plugin_manager.register(make("first-registered"))
    builder.plugin_manager.register(make("last-registered"))
    builder.plugin_manager.register(make("tryfirst", tryfirst=True))
    builder.plugin_manager.register(make("trylast", trylast=True))
    job = builder.add_executable("job", sys.executable, "-c", "pass")
    builder.eventing.subscribe(aspyre.events.BeforeResourceStartedEvent, lambda e: calls.append("subscriber"), resource=job)
    async with builder.build() as app:
        await _finished(app, "job")
    assert calls == ["subscriber", "tryfirst", "last-registered", "first-registered", "trylast"]


@pytest.mark.anyio
async def test_a_failing_blocking_hook_fails_the_resource() -> None:
    class Extension:
        @aspyre.plugins.hookimpl
        def aspyre_before_resource_started(self, event: aspyre.events.BeforeResourceStartedEvent) -> None:
            if event.resource.name == "refused":
                raise RuntimeError("the extension refuses to start this one")

    builder = _builder()
    builder.plugin_manager.register(Extension())
    builder.add_executable("refused", sys.executable, "-c", "print('never printed')")
    builder.add_executable("fine", sys.executable, "-c", "print('hello')")
    async with builder.build() as app:
        refused = await _finished(app, "refused")
        fine = await _finished(app, "fine")
    assert refused.state_text == aspyre.KnownResourceStates.FAILED_TO_START
    assert any("the extension refuses to start this one" in line for line in _log(app, "refused"))
    assert "never printed" not in _log(app, "refused")
    assert fine.state_text == aspyre.KnownResourceStates.FINISHED
    assert "hello" in _log(app, "fine")


@pytest.mark.anyio
async def test_a_failing_snapshot_hook_is_logged_and_never_reaches_the_app(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[tuple[str, str | None]] = []
    saw_finished = anyio.Event()

    class Extension:
        @aspyre.plugins.hookimpl
        def aspyre_resource_snapshot_changed(self, event: aspyre.events.ResourceSnapshotChangedEvent) -> None:
            seen.append((event.resource.name, event.snapshot.state_text))
            if event.snapshot.state_text == aspyre.KnownResourceStates.FINISHED:
                saw_finished.set()
            if event.snapshot.state_text == aspyre.KnownResourceStates.STARTING:
                raise ValueError("broken extension")

    builder = _builder()
    builder.plugin_manager.register(Extension())
    builder.add_executable("job", sys.executable, "-c", "print('ran')")
    with caplog.at_level(logging.ERROR, logger="aspyre"):
        async with builder.build() as app:
            snap = await _finished(app, "job")
            # Fire and forget, but in order: the hook sees the final state after the app saw it.
            await saw_finished.wait()
    assert snap.state_text == aspyre.KnownResourceStates.FINISHED
    assert snap.exit_code == 0
    states = [s for n, s in seen if n == "job"]
    assert states.index("Starting") < states.index("Running") < states.index("Finished")
    assert any("broken extension" in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_a_failing_hook_names_its_plugin() -> None:
    class Extension:
        @aspyre.plugins.hookimpl
        async def aspyre_before_resource_started(self, event: aspyre.events.BeforeResourceStartedEvent) -> None:
            raise RuntimeError("the extension refuses")

    builder = _builder()
    builder.plugin_manager.register(Extension(), name="refusing-ext:refuse")
    builder.add_executable("job", sys.executable, "-c", "pass")
    async with builder.build() as app:
        snap = await _finished(app, "job")
    assert snap.state_text == aspyre.KnownResourceStates.FAILED_TO_START
    assert (
        "Failed to start: The aspyre_before_resource_started hook of plugin 'refusing-ext:refuse' failed: "
        "RuntimeError: the extension refuses. Fix or uninstall that plugin."
    ) in _log(app, "job")


@pytest.mark.anyio
async def test_a_failing_hook_of_an_unnamed_plugin_is_named_by_its_class() -> None:
    class Extension:
        @aspyre.plugins.hookimpl
        def aspyre_before_start(self, event: aspyre.events.BeforeStartEvent) -> None:
            raise KeyError("setting")

    builder = _builder()
    builder.plugin_manager.register(Extension())
    app = builder.build()
    with pytest.raises(aspyre.plugins.PluginHookError) as caught:
        async with app:
            pass
    message = str(caught.value)
    assert message.startswith("The aspyre_before_start hook of plugin '"), message
    assert message.endswith(
        "test_hook_contract.test_a_failing_hook_of_an_unnamed_plugin_is_named_by_its_class.<locals>.Extension' "
        "failed: KeyError: 'setting'. Fix or uninstall that plugin."
    ), message
    assert isinstance(caught.value.__cause__, KeyError)


@pytest.mark.anyio
async def test_a_failing_handler_is_named_in_the_resource_log() -> None:
    def refuse(event: aspyre.events.BeforeResourceStartedEvent) -> None:
        raise ValueError("no")

    builder = _builder()
    job = builder.add_executable("job", sys.executable, "-c", "pass")
    builder.eventing.subscribe(aspyre.events.BeforeResourceStartedEvent, refuse, resource=job)
    async with builder.build() as app:
        await _finished(app, "job")
    line = next(x for x in _log(app, "job") if x.startswith("Failed to start"))
    assert line.startswith("Failed to start: no (in the BeforeResourceStartedEvent handler ")
    assert "test_a_failing_handler_is_named_in_the_resource_log.<locals>.refuse (" in line
    assert "test_hook_contract.py:" in line
