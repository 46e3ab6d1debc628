"""aspyre's pytest plugin: run a real app host in a test (Aspire.Hosting.Testing, for Python).

Installed with aspyre (``pytest11`` entry point), so the fixture is available in every project
that has aspyre installed; ``-p aspyre.pytest_plugin`` loads it explicitly (for example with
``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``). Tests are async and run with anyio's pytest plugin::

    import pytest

    @pytest.mark.anyio
    async def test_api(aspyre_app_factory):
        app = await aspyre_app_factory("examples/apphost.py")
        await app.resource_notifications.wait_for_resource_healthy("api")
        async with app.http_client("api") as client:
            assert (await client.get("/health")).status_code == 200

The factory loads the app host up to ``builder.build()`` (its ``run()`` does not run), lets
the test change the model (``configure=``), chooses free host ports for every endpoint,
makes waits give up when a dependency fails, starts the app, and stops it when the test ends,
even when the test fails. When a test fails, the resources' states and log lines are added
to its report ("Captured aspyre resource logs").

For plugin authors, ``aspyre_plugins`` registers entry points for one test without installing anything
(a :class:`aspyre.testing.PluginTester`: ``aspyre_plugins.from_pyproject("pyproject.toml")``), and
``await aspyre_app_factory.manifest(app_host)`` gives an app host's Aspire manifest.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from ._hosting._app import DistributedApplication
from ._hosting._builder import DistributedApplicationBuilder
from ._hosting._loading import AppHostNotFoundError, AppHostSource, load_app_host, resolve_app_host
from ._hosting._plugin_testing import PluginTester
from ._model._dependencies import WaitBehavior
from ._model._resources import resource_type_name
from ._model._snapshot import KnownProperties, KnownResourceStates, ResourceSnapshot

if TYPE_CHECKING:
    from collections.abc import Generator

__all__ = ["DEFAULT_DISABLED_PLUGINS", "AspyreAppFactory", "aspyre_app_factory", "aspyre_plugins"]

#: Default number of log lines kept per resource in a failed test's report.
DEFAULT_REPORT_LINES = 200

#: Hook plugins switched off in the apps of a test unless the test asks (``disable_plugins=()``):
#: the dashboard serves people, not tests (Aspire's testing builder disables its dashboard too).
DEFAULT_DISABLED_PLUGINS: tuple[str, ...] = ("dashboard",)

_FACTORIES = pytest.StashKey[list["AspyreAppFactory"]]()
_REPORTED = pytest.StashKey[bool]()

#: Every factory with apps that may still run (for the Ctrl-C safety net).
_LIVE_FACTORIES: list[AspyreAppFactory] = []

AppHostArg = str | os.PathLike[str] | DistributedApplicationBuilder | DistributedApplication | None


class AspyreAppFactory:
    """Makes, starts and (at the end of the test) stops apps for one test.

    ``await factory(app_host)`` loads and starts; ``factory.build()`` and ``factory.start()``
    do the two steps separately, so a test can change the built app before it starts.
    """

    def __init__(self, item: pytest.Item | None, rootpath: Path) -> None:
        self._item = item
        self._rootpath = rootpath
        #: Every app this factory made, in order.
        self.apps: list[DistributedApplication] = []
        self._started: list[DistributedApplication] = []
        self._closed = False
        self._directories: list[str] = []

    # -- making apps -----------------------------------------------------------------------------------------
    def create_builder(
        self, args: Sequence[str] = (), *, app_host_path: str | os.PathLike[str] | None = None
    ) -> DistributedApplicationBuilder:
        """A new, empty builder for a model made in the test (``args`` are not pytest's own).

        ``app_host_path`` (default: the test's file) anchors relative paths and the secrets store.
        """
        path: Path | None = Path(app_host_path) if app_host_path is not None else None
        if path is None and self._item is not None:
            path = getattr(self._item, "path", None)
        return DistributedApplication.create_builder(list(args), app_host_path=path)

    async def build(
        self,
        app_host: AppHostArg = None,
        *args: str,
        configure: Callable[[DistributedApplicationBuilder], object] | None = None,
        randomize_ports: bool = True,
        wait_behavior: WaitBehavior = WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE,
        disable_plugins: Sequence[str] = DEFAULT_DISABLED_PLUGINS,
    ) -> DistributedApplication:
        """Load (or build) the app without starting it.

        ``app_host``: an app host file or directory (relative to the current directory, else
        to pytest's root directory), a module name, a builder made in the test, or an app built
        already; ``None`` means ``apphost.py``. ``args`` reach the app host as ``sys.argv[1:]``.
        ``configure(builder)`` runs just before the app is built (add or change resources).
        ``disable_plugins`` names hook plugins switched off for this app (default: the dashboard,
        see :data:`DEFAULT_DISABLED_PLUGINS`; ``()`` keeps every installed plugin).
        """
        if self._closed:
            raise RuntimeError("aspyre_app_factory: this test's factory is closed (the test ended)")
        if args and isinstance(app_host, (DistributedApplication, DistributedApplicationBuilder)):
            raise TypeError("app host arguments go with an app host file or module, not a builder or an app")
        if isinstance(app_host, DistributedApplication):
            if configure is not None:
                raise TypeError("configure= needs an app host or a builder, not an app that is built already")
            app = app_host
        elif isinstance(app_host, DistributedApplicationBuilder):
            if configure is not None:
                configure(app_host)
            app = app_host.build()
        else:
            source = self._resolve(app_host)
            app = await anyio.to_thread.run_sync(
                functools.partial(load_app_host, source, list(args), configure=configure, restore=True)
            )
        app.options.randomize_ports = randomize_ports
        app.options.default_wait_behavior = wait_behavior
        app.options.console_output = False
        if isinstance(disable_plugins, str):
            raise TypeError("disable_plugins= takes a sequence of plugin names, not one string")
        for name in disable_plugins:
            app.disable_plugin(name)
        self.apps.append(app)
        return app

    def _resolve(self, app_host: str | os.PathLike[str] | None) -> AppHostSource:
        try:
            return resolve_app_host(app_host)
        except AppHostNotFoundError as first:
            if app_host is not None and not Path(app_host).is_absolute():
                with contextlib.suppress(AppHostNotFoundError):
                    return resolve_app_host(app_host, base=self._rootpath)
            raise first from None

    async def start(self, app: DistributedApplication) -> DistributedApplication:
        """Start an app made by :meth:`build` (it is stopped when the test ends)."""
        if self._closed:
            raise RuntimeError("aspyre_app_factory: this test's factory is closed (the test ended)")
        if all(a is not app for a in self.apps):
            self.apps.append(app)
            app.options.console_output = False
        # the notification service may exist already (the app host touched it): keep it in step
        app.resource_notifications.default_wait_behavior = app.options.default_wait_behavior
        self._started.append(app)
        if self not in _LIVE_FACTORIES:
            _LIVE_FACTORIES.append(self)
        await app.start()
        return app

    async def __call__(
        self,
        app_host: AppHostArg = None,
        *args: str,
        configure: Callable[[DistributedApplicationBuilder], object] | None = None,
        start: bool = True,
        randomize_ports: bool = True,
        wait_behavior: WaitBehavior = WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE,
        disable_plugins: Sequence[str] = DEFAULT_DISABLED_PLUGINS,
    ) -> DistributedApplication:
        """:meth:`build`, then :meth:`start` (unless ``start=False``); returns the app."""
        app = await self.build(
            app_host,
            *args,
            configure=configure,
            randomize_ports=randomize_ports,
            wait_behavior=wait_behavior,
            disable_plugins=disable_plugins,
        )
        if start:
            await self.start(app)
        return app

    async def manifest(
        self,
        app_host: AppHostArg = None,
        *args: str,
        configure: Callable[[DistributedApplicationBuilder], object] | None = None,
    ) -> dict[str, Any]:
        """The Aspire manifest of ``app_host`` (a file, a directory or a module), as parsed JSON.

        The app host is loaded in publish mode (``--publisher manifest``, into a temporary directory removed
        when the test ends) and published; ``configure(builder)`` runs first. A builder or an app made in
        the test must be in publish mode already (``create_builder(["--publisher", "manifest",
        "--output-path", DIR])``).
        """
        if isinstance(app_host, (DistributedApplication, DistributedApplicationBuilder)):
            if not app_host.execution_context.is_publish_mode:
                raise TypeError(
                    "manifest() needs publish mode: give an app host file, or a builder made with "
                    'create_builder(["--publisher", "manifest", "--output-path", DIR])'
                )
            app = await self.build(app_host, configure=configure)
        else:
            out = tempfile.mkdtemp(prefix="aspyre-manifest-")
            self._directories.append(out)
            app = await self.build(
                app_host, "--publisher", "manifest", "--output-path", out, *args, configure=configure
            )
        path = await app.publish_async()
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    @staticmethod
    def snapshots(app: DistributedApplication) -> dict[str, ResourceSnapshot]:
        """The current snapshot of each resource of a started ``app``, by name (model order)."""
        out: dict[str, ResourceSnapshot] = {}
        for resource in app.model:
            snapshot = app.resource_notifications.get_snapshot(resource)
            if snapshot is not None:
                out[resource.name] = snapshot
        return out

    # -- cleaning up -----------------------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Stop every started app, the last started first (stopping itself is shielded from cancellation).

        Called in the fixture's teardown, in the task that started the apps: each app's task
        group must be left from the task (and the cancel scope) it was entered in.
        """
        self._closed = True
        errors: list[BaseException] = []
        for app in reversed(self._started):
            try:
                await app.stop()
            except Exception as exc:
                errors.append(exc)
        if errors:  # something may still run: do not leave it behind
            self.kill_leftovers()
        if self in _LIVE_FACTORIES:
            _LIVE_FACTORIES.remove(self)
        for directory in self._directories:
            shutil.rmtree(directory, ignore_errors=True)
        if errors:
            raise errors[0]

    def kill_leftovers(self) -> None:
        """Synchronously kill what may still run (after Ctrl-C, when async cleanup cannot run)."""
        for app in self._started:
            _kill_leftovers(app)

    # -- reporting -------------------------------------------------------------------------------------------
    def report(self, lines_per_resource: int = DEFAULT_REPORT_LINES) -> str:
        """The resources' states and their last log lines (what a failed test's report shows)."""
        parts: list[str] = []
        for app in self._started:
            parts.append(_app_report(app, lines_per_resource, many=len(self._started) > 1))
        return "\n".join(p for p in parts if p)


def _state(app: DistributedApplication, name: str) -> str:
    snap = app.resource_notifications.get_snapshot(name)
    if snap is None:
        return "no state"
    text = snap.state_text or "Unknown"
    if snap.health_status is not None:
        text += f" ({snap.health_status.value})"
    if snap.exit_code is not None:
        text += f" (exit code {snap.exit_code})"
    return text


def _app_report(app: DistributedApplication, lines_per_resource: int, *, many: bool) -> str:
    resources = list(app.model)
    if not resources:
        return ""
    width = max(len(r.name) for r in resources)
    out: list[str] = []
    if many:
        out.append(f"app host {app.app_host_path}")
    out.append("resources:")
    for r in resources:
        kind = resource_type_name(r)
        out.append(f"  {r.name:<{width}}  {kind:<12} {_state(app, r.name)}")
    merged: list[tuple[Any, int, str, str]] = []
    for order, r in enumerate(resources):
        lines = app.resource_loggers.backlog(r)
        if lines_per_resource > 0:
            lines = lines[-lines_per_resource:]
        for line in lines:
            merged.append((line.timestamp, order, r.name, line.content))
    merged.sort(key=lambda x: (x[0], x[1]))
    out.append("logs:" if merged else "logs: (none)")
    for ts, _, name, content in merged:
        out.append(f"  {ts.astimezone().strftime('%H:%M:%S.%f')[:-3]} {name:<{width}} | {content}")
    return "\n".join(out)


def _kill_leftovers(app: DistributedApplication) -> None:
    """SIGKILL the process groups of running executables; remove running session containers."""
    if app._orchestrator is None:
        return
    notifications = app.resource_notifications
    container_ids: list[str] = []
    for r in app.model:
        snap = notifications.get_snapshot(r)
        if snap is None or KnownResourceStates.is_terminal(snap.state_text):
            continue
        pid = snap.property_value(KnownProperties.Executable.PID)
        if isinstance(pid, int) and pid > 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        cid = snap.property_value(KnownProperties.Container.ID)
        if isinstance(cid, str) and snap.property_value(KnownProperties.Container.LIFETIME) != "persistent":
            container_ids.append(cid)
    if container_ids:
        with contextlib.suppress(Exception):
            from ._orchestrator._docker._address import resolve_address
            from ._orchestrator._docker._client import EngineClient

            client = EngineClient(resolve_address(), timeout=10, connect_timeout=10)
            try:
                for cid in container_ids:
                    with contextlib.suppress(Exception):
                        client.remove_container(cid, force=True)
            finally:
                client.close()


# -- pytest hooks and fixture ----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "aspyre_report_log_lines",
        help=f"aspyre: log lines of each resource shown in a failed test's report (default {DEFAULT_REPORT_LINES}; 0: all)",
        default=str(DEFAULT_REPORT_LINES),
    )


@pytest.fixture
async def aspyre_app_factory(request: pytest.FixtureRequest) -> AsyncIterator[AspyreAppFactory]:
    """Load, start and clean up aspyre apps: ``app = await aspyre_app_factory("apphost.py")``.

    Async (use ``@pytest.mark.anyio``). Every app it started is stopped when the test ends,
    whatever the outcome; a failed test's report shows the resources' states and logs.
    """
    item = request.node if isinstance(request.node, pytest.Item) else None
    factory = AspyreAppFactory(item, request.config.rootpath)
    if item is not None:
        item.stash.setdefault(_FACTORIES, []).append(factory)
    try:
        yield factory
    finally:
        await factory.aclose()


@pytest.fixture
def aspyre_plugins(tmp_path: Path) -> Iterator[PluginTester]:
    """Entry points registered for this test only, as if a distribution were installed (pytester-like).

    ``aspyre_plugins.from_pyproject("pyproject.toml")`` registers a project's own entry points;
    ``aspyre_plugins.register("aspyre-x", builder_methods={"add_x": add_x})`` registers objects;
    ``aspyre_plugins.create_builder()`` makes a builder (anchored in ``tmp_path``) that sees them;
    ``aspyre_plugins.check()`` lists what ``aspyre plugins --check`` would report about them.
    """
    with PluginTester(app_host_directory=tmp_path) as tester:
        yield tester


def _report_lines(config: pytest.Config) -> int:
    try:
        return int(str(config.getini("aspyre_report_log_lines")))
    except ValueError:
        return DEFAULT_REPORT_LINES


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    factories = item.stash.get(_FACTORIES, [])
    if not factories or not report.failed or item.stash.get(_REPORTED, False):
        return
    try:
        text = "\n".join(f.report(_report_lines(item.config)) for f in factories).strip("\n")
    except Exception as exc:  # never hide the test's own failure
        text = f"(aspyre could not collect the resource logs: {type(exc).__name__}: {exc})"
    if text:
        item.stash[_REPORTED] = True
        report.sections.append((f"Captured aspyre resource logs {report.when}", text))


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    # Ctrl-C: the async teardown may never get to run; kill what the apps started now.
    for factory in list(_LIVE_FACTORIES):
        factory.kill_leftovers()


def pytest_unconfigure(config: pytest.Config) -> None:
    for factory in list(_LIVE_FACTORIES):
        factory.kill_leftovers()
    _LIVE_FACTORIES.clear()


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: object, right: object) -> list[str] | None:
    """Explain a failed ``==`` between snapshots without sensitive values.

    pytest's own explanation of attrs classes prints every differing field's value; for snapshots that
    would put passwords and connection strings in CI logs. This one shows the differing fields with
    sensitive values masked, as the snapshots' ``repr`` does.
    """
    from ._model._snapshot import EnvironmentVariableSnapshot, ResourcePropertySnapshot, ResourceSnapshot

    kinds = (ResourceSnapshot, ResourcePropertySnapshot, EnvironmentVariableSnapshot)
    if op != "==" or not isinstance(left, kinds) or type(left) is not type(right):
        return None
    import attrs

    lines = [f"{type(left).__name__} instances differ (sensitive values masked):"]
    for field in attrs.fields(type(left)):
        a, b = getattr(left, field.name), getattr(right, field.name)
        if a == b:
            continue
        if isinstance(left, (ResourcePropertySnapshot, EnvironmentVariableSnapshot)) and field.name == "value":
            shown_a = repr(attrs.evolve(left, value=a))
            shown_b = repr(attrs.evolve(right, value=b))
            lines.append(f"  {shown_a} != {shown_b}")
        else:
            lines.append(f"  {field.name}: {a!r} != {b!r}")
    return lines
