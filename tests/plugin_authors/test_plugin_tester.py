"""The testing helper for plugin authors: entry points registered for one test (``aspyre.testing.PluginTester``,
the ``aspyre_plugins`` fixture), and the app factory's ``manifest()`` and ``snapshots()``."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import aspyre
from aspyre.plugins import registry
from aspyre.pytest_plugin import AspyreAppFactory
from aspyre.testing import PluginTester


@aspyre.plugins.resource_extension(aspyre.ExecutableResource)
def with_marker(builder: aspyre.ResourceBuilder[aspyre.ExecutableResource], text: str) -> Any:
    return builder.with_environment("MARKER", text)


def add_job(
    builder: aspyre.DistributedApplicationBuilder, name: str
) -> aspyre.ResourceBuilder[aspyre.ExecutableResource]:
    return builder.add_executable(name, sys.executable, "-c", "print('job ran')")


class Hooks:
    """A hook plugin given as an object."""

    configured: list[str] = []

    @aspyre.plugins.hookimpl
    def aspyre_configure_builder(self, builder: aspyre.DistributedApplicationBuilder) -> None:
        self.configured.append(builder.app_host_path.name)


class BadHooks:
    @aspyre.plugins.hookimpl
    def aspyre_before_starts(self, event: object) -> None: ...


class NullPublisher:
    async def publish(self, context: aspyre.publishing.PublishingContext) -> None:
        return None


def test_objects_registered_for_a_block_are_used_then_gone(tmp_path: Path) -> None:
    with PluginTester(app_host_directory=tmp_path) as plugins:
        entries = plugins.register(
            "aspyre-jobs",
            builder_methods={"add_job": add_job},
            resource_methods={"with_marker": with_marker},
            hooks={"jobs": Hooks()},
            publishers={"null": NullPublisher},
            version="1.2",
        )
        assert {(e.group, e.name, e.distribution, e.version) for e in entries} == {
            ("aspyre.builder_methods", "add_job", "aspyre-jobs", "1.2"),
            ("aspyre.resource_methods", "with_marker", "aspyre-jobs", "1.2"),
            ("aspyre.hooks", "jobs", "aspyre-jobs", "1.2"),
            ("aspyre.publishers", "null", "aspyre-jobs", "1.2"),
        }
        builder = plugins.create_builder()
        assert builder.app_host_path == tmp_path / "apphost.py"
        job = builder.add_job("job").with_marker("x")
        assert job.resource.annotations.last(aspyre.annotations.EnvironmentAnnotation).value == "x"
        assert Hooks.configured[-1] == "apphost.py"
        assert isinstance(aspyre.publishing.resolve_publisher("null"), NullPublisher)
        assert plugins.check() == []
    assert registry().find("aspyre.builder_methods", "add_job") == []
    fresh = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")
    with pytest.raises(AttributeError, match="has no method 'add_job'"):
        fresh.add_job("job")


def test_check_reports_the_registered_distributions_problems(aspyre_plugins: PluginTester) -> None:
    aspyre_plugins.register("aspyre-bad-hooks", hooks={"bad": BadHooks()})
    (problem,) = aspyre_plugins.check()
    assert problem.kind == "hooks"
    assert problem.distributions == ("aspyre-bad-hooks",)
    assert "there is no hook named 'aspyre_before_starts'; did you mean 'aspyre_before_start'?" in problem.message
    with pytest.raises(aspyre.plugins.PluginValidationError):
        aspyre_plugins.create_builder()


def test_a_registered_distribution_replaces_the_installed_one_of_that_name(
    aspyre_plugins: PluginTester, tmp_path: Path
) -> None:
    def fake_add_redis(builder: aspyre.DistributedApplicationBuilder, name: str) -> str:
        return f"fake {name}"

    aspyre_plugins.register("aspyre_redis", builder_methods={"add_redis": fake_add_redis})
    builder = aspyre_plugins.create_builder()
    assert builder.add_redis("cache") == "fake cache"
    with pytest.raises(AttributeError, match="has no method 'with_persistence'"):
        builder.add_container("c", "redis").with_persistence()  # the installed distribution's other methods are hidden
    aspyre_plugins.close()
    restored = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")
    assert type(restored.add_redis("cache").resource).__name__ == "RedisResource"


PROJECT = {
    "pyproject.toml": """
        [project]
        name = "aspyre-notyet"
        version = "0.3.0"
        dependencies = ["aspyre>=0.1,<0.3", "httpx"]

        [project.entry-points."aspyre.builder_methods"]
        add_notyet = "aspyre_notyet:add_notyet"

        [project.entry-points."other.group"]
        ignored = "aspyre_notyet:nothing"
    """,
    "src/aspyre_notyet/__init__.py": """
        import aspyre

        def add_notyet(builder: aspyre.DistributedApplicationBuilder, name: str):
            return builder.add_parameter(name, "from a project that is not installed")
    """,
}


def test_from_pyproject_registers_a_project_that_is_not_installed(aspyre_plugins: PluginTester, tmp_path: Path) -> None:
    root = tmp_path / "project"
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    (entry,) = aspyre_plugins.from_pyproject(root / "pyproject.toml")
    assert (entry.name, entry.value, entry.distribution, entry.version, entry.requires) == (
        "add_notyet", "aspyre_notyet:add_notyet", "aspyre-notyet", "0.3.0", ">=0.1,<0.3"
    )  # fmt: skip
    assert not entry.is_loaded  # loaded on first use, as an installed entry point
    assert str(root / "src") in sys.path
    builder = aspyre_plugins.create_builder()
    assert builder.add_notyet("p").resource.value == "from a project that is not installed"
    aspyre_plugins.close()
    assert str(root / "src") not in sys.path
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match="declares no entry point in aspyre's groups"):
        PluginTester().from_pyproject(root / "pyproject.toml")


def test_a_registered_requirement_is_checked_like_an_installed_one(aspyre_plugins: PluginTester) -> None:
    aspyre_plugins.register("aspyre-later", builder_methods={"add_later": "json:dumps"}, requires=">=5")
    builder = aspyre_plugins.create_builder()
    with pytest.raises(AttributeError, match=r"it requires aspyre>=5, and this is aspyre 0\.1\.0"):
        builder.add_later("x")
    (problem,) = aspyre_plugins.check()
    assert problem.kind == "load"


APP_HOST = """\
import sys

import aspyre

builder = aspyre.DistributedApplication.create_builder()
builder.add_parameter("flavour", "vanilla")
builder.add_executable("job", sys.executable, "-c", "print('job ran')")
builder.build().run()
"""


@pytest.mark.anyio
async def test_the_factory_gives_manifests_and_snapshots(aspyre_app_factory: AspyreAppFactory, tmp_path: Path) -> None:
    (tmp_path / "apphost.py").write_text(APP_HOST)
    manifest = await aspyre_app_factory.manifest(tmp_path / "apphost.py")
    assert set(manifest["resources"]) == {"flavour", "job"}
    assert manifest["resources"]["job"]["type"] == "executable.v0"

    run_mode = aspyre_app_factory.create_builder()
    with pytest.raises(TypeError, match="manifest\\(\\) needs publish mode"):
        await aspyre_app_factory.manifest(run_mode)
    publish_builder = aspyre_app_factory.create_builder(
        ["--publisher", "manifest", "--output-path", str(tmp_path / "o")]
    )
    publish_builder.add_parameter("p", "v")
    assert set((await aspyre_app_factory.manifest(publish_builder))["resources"]) == {"p"}

    app = await aspyre_app_factory(tmp_path / "apphost.py")
    await app.resource_notifications.wait_for_resource("job", aspyre.KnownResourceStates.FINISHED)
    snapshots = aspyre_app_factory.snapshots(app)
    assert list(snapshots) == ["flavour", "job"]
    assert snapshots["job"].exit_code == 0
