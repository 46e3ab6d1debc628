"""The publisher contract: discovery by entry point, errors, events around the publisher."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import aspyre

from . import publishers
from .helpers import publish_builder

pytestmark = pytest.mark.anyio

GROUP = "aspyre.publishers"
#: The test publishers' module, as imported here (entry points name it; it is already in sys.modules).
MODULE = publishers.__name__


Register = Callable[..., None]


@pytest.fixture
def register() -> Iterator[Register]:
    """Register publisher entry points for one test (the registry is rescanned afterwards)."""
    reg = aspyre.plugins.registry()

    def add(name: str, value: str, distribution: str = "aspyre-publisher-test") -> None:
        reg.add(aspyre.plugins.PluginEntry(GROUP, name, value, distribution, "1.0"))

    publishers.CALLS.clear()
    yield add
    reg.refresh()
    publishers.CALLS.clear()


def test_the_manifest_publisher_is_an_ordinary_entry_point() -> None:
    entries = aspyre.plugins.registry().find(GROUP, "manifest")
    assert [(e.distribution, e.value) for e in entries] == [("aspyre", "aspyre.publishing:ManifestPublisher")]
    assert isinstance(aspyre.publishing.resolve_publisher("manifest"), aspyre.publishing.ManifestPublisher)
    assert isinstance(aspyre.publishing.resolve_publisher("manifest"), aspyre.publishing.Publisher)


def test_unknown_publisher_lists_the_installed_ones() -> None:
    with pytest.raises(aspyre.publishing.UnknownPublisherError) as info:
        aspyre.publishing.resolve_publisher("nomad")
    message = str(info.value)
    assert "No publisher named 'nomad' is installed" in message
    assert "manifest (aspyre 0.1.0)" in message
    assert "aspyre.publishers" in message
    assert info.value.installed == aspyre.publishing.publisher_names()


def test_unknown_publisher_suggests_a_close_name() -> None:
    with pytest.raises(aspyre.publishing.UnknownPublisherError, match="Did you mean 'manifest'"):
        aspyre.publishing.resolve_publisher("manifst")


def test_a_publisher_that_fails_to_import_names_its_distribution(register: Register) -> None:
    register("broken", "aspyre_publisher_that_does_not_exist:Publisher", "aspyre-publisher-broken")
    with pytest.raises(aspyre.plugins.PluginLoadError) as info:
        aspyre.publishing.resolve_publisher("broken")
    assert "aspyre-publisher-broken 1.0" in str(info.value)
    assert "ModuleNotFoundError" in str(info.value)


def test_a_publisher_whose_constructor_fails_names_its_distribution(register: Register) -> None:
    register("ctor", f"{MODULE}:BrokenConstructor", "aspyre-publisher-ctor")
    with pytest.raises(aspyre.plugins.PluginLoadError, match=r"aspyre-publisher-ctor.*missing configuration"):
        aspyre.publishing.resolve_publisher("ctor")


def test_an_object_that_is_not_a_publisher_is_rejected(register: Register) -> None:
    register("sync", f"{MODULE}:NotAPublisher")
    with pytest.raises(aspyre.plugins.PluginLoadError, match=r"not a publisher.*async def publish"):
        aspyre.publishing.resolve_publisher("sync")


def test_two_distributions_with_one_name_is_an_error(register: Register) -> None:
    register("twice", f"{MODULE}:RecordingPublisher", "aspyre-publisher-a")
    register("twice", f"{MODULE}:RecordingPublisher", "aspyre-publisher-b")
    with pytest.raises(aspyre.publishing.AmbiguousPublisherError, match="aspyre-publisher-a, aspyre-publisher-b"):
        aspyre.publishing.resolve_publisher("twice")


async def test_a_publisher_gets_the_model_output_logger_and_context(register: Register, tmp_path: Path) -> None:
    register("record", f"{MODULE}:RecordingPublisher")
    builder = publish_builder(tmp_path, output="deploy", publisher="record")
    builder.add_container("web", "nginx")
    builder.add_parameter("region")
    app = builder.build()
    result = await app.publish_async()
    assert result == tmp_path / "deploy" / "names.txt"
    assert result.read_text() == "web\nregion\n"
    [(kind, context)] = publishers.CALLS
    assert kind == "publish"
    assert isinstance(context, aspyre.publishing.PublishingContext)
    assert context.model is app.model
    assert context.output_path == tmp_path / "deploy"
    assert context.execution_context.is_publish_mode
    assert context.execution_context.publisher_name == "record"
    assert context.publisher_name == "record"
    assert context.logger.name == "aspyre.publishing.record"
    assert context.app is app


async def test_a_publisher_can_be_an_async_function(register: Register, tmp_path: Path) -> None:
    register("fn", f"{MODULE}:function_publisher")
    builder = publish_builder(tmp_path, publisher="fn")
    result = await builder.build().publish_async()
    assert result == tmp_path / "out"  # nothing reported: the output directory
    assert [kind for kind, _ in publishers.CALLS] == ["function"]


async def test_events_fire_around_the_publisher(register: Register, tmp_path: Path) -> None:
    register("record", f"{MODULE}:RecordingPublisher")
    builder = publish_builder(tmp_path, publisher="record")
    builder.add_container("api", "acme/api")
    seen: list[str] = []
    names = tmp_path / "out" / "names.txt"

    def before_start(event: aspyre.events.BeforeStartEvent) -> None:
        seen.append("before-start")

    async def before_publish(event: aspyre.events.BeforePublishEvent) -> None:
        seen.append(f"before-publish exists={names.exists()}")

    def after_publish(event: aspyre.events.AfterPublishEvent) -> None:
        seen.append(f"after-publish exists={names.exists()}")

    builder.eventing.subscribe(aspyre.events.BeforeStartEvent, before_start)
    builder.eventing.subscribe(aspyre.events.BeforePublishEvent, before_publish)
    builder.eventing.subscribe(aspyre.events.AfterPublishEvent, after_publish)
    await builder.build().publish_async()
    assert seen == ["before-start", "before-publish exists=False", "after-publish exists=True"]


async def test_a_failing_publisher_propagates_and_skips_after_publish(register: Register, tmp_path: Path) -> None:
    register("fail", f"{MODULE}:FailingPublisher")
    builder = publish_builder(tmp_path, publisher="fail")
    after: list[object] = []
    builder.eventing.subscribe(aspyre.events.AfterPublishEvent, after.append)
    with pytest.raises(RuntimeError, match="refused the model"):
        await builder.build().publish_async()
    assert after == []


async def test_an_unknown_publisher_fails_before_anything_is_written(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path, publisher="nope")
    fired: list[object] = []
    builder.eventing.subscribe(aspyre.events.BeforePublishEvent, fired.append)
    with pytest.raises(aspyre.publishing.UnknownPublisherError):
        await builder.build().publish_async()
    assert fired == []
    assert not (tmp_path / "out").exists()
