"""The built application: run it, publish it, or drive it from tests."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aspyre._public import present_top_level as _present_top_level

# The model, events and options are imported where used (build(), run, publish): an app host's builder
# does not need them (tests/hosting/test_builder_path.py).
if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from .._eventing._services import ServiceRegistry
    from .._model._graph import DistributedApplicationModel
    from .._model._resources import IResource
    from .._orchestrator._logs import ResourceLoggerService
    from .._orchestrator._notifications import ResourceNotificationService
    from .._orchestrator._options import AppOptions
    from .._orchestrator._orchestrator import Orchestrator
    from ._builder import DistributedApplicationBuilder

__all__ = ["DistributedApplication"]

class DistributedApplication:
    """An app model, built and validated, ready to run or to publish.

    ``app.run()`` blocks: in run mode until Ctrl-C / SIGTERM (then everything stops), in
    publish mode until the publisher wrote its output. From async code (tests)::

        async with app:                      # starts every resource, stops them on exit
            await app.resource_notifications.wait_for_resource_healthy("api")
    """

    def __init__(self, builder: DistributedApplicationBuilder) -> None:
        from .._model._graph import DistributedApplicationModel
        from .._orchestrator._options import AppOptions

        self._builder = builder
        self.model: DistributedApplicationModel = DistributedApplicationModel(builder.resources)
        self.execution_context = builder.execution_context
        self.eventing = builder.eventing
        self.plugin_manager = builder.plugin_manager
        self.app_host_path: Path = builder.app_host_path
        #: Shared objects by class: the builder's registry, with the app and its model added.
        self.services: ServiceRegistry = builder.services
        self._orchestrator: Orchestrator | None = None
        self._exit_stack: contextlib.AsyncExitStack | None = None
        #: Set by the first start (run mode): an app runs once.
        self._started = False
        self.options: AppOptions = AppOptions()
        self.services.add(self, replace=True)
        self.services.add(self.model, replace=True)
        self._announcements: list[str] = []
        self._announcement_listeners: list[Callable[[str], None]] = []
        #: The globals of the app host's module when it was loaded (``aspyre run``, the pytest plugin):
        #: kept with the app, as ``python apphost.py`` keeps its ``__main__``.
        self._app_host_globals: dict[str, Any] | None = None

    # -- construction shortcut ------------------------------------------------------------------------
    @staticmethod
    def create_builder(
        args: Sequence[str] | None = None,
        *,
        app_host_path: str | Path | None = None,
        load_plugins: bool = True,
    ) -> DistributedApplicationBuilder:
        """A new builder. ``args`` default to ``sys.argv[1:]`` (``--publisher``, ``--output-path``...).

        ``app_host_path`` defaults to the file that calls this: relative paths, persistent
        container names and the secrets store are keyed on it.
        """
        from .._loading_gc import loading

        with loading():  # the builder's modules and hook plugins: classes and objects that live as long as the app
            from ._builder import DistributedApplicationBuilder

            return DistributedApplicationBuilder(args, app_host_path=app_host_path, load_plugins=load_plugins)

    @property
    def builder(self) -> DistributedApplicationBuilder:
        return self._builder

    def get_resource(self, name: str) -> IResource:
        """The resource called ``name`` (case-insensitive); ``KeyError`` if there is none."""
        return self.model[name]

    def _resource(self, resource: IResource | str) -> IResource:
        if isinstance(resource, str):
            return self.model[resource]
        if resource not in self.model:
            raise KeyError(f"Resource {resource.name!r} is not part of this app's model")
        return resource

    # -- services (run mode) -----------------------------------------------------------------------
    def _orch(self) -> Orchestrator:
        if self._orchestrator is None:
            if self.execution_context.is_publish_mode:
                raise RuntimeError("The app is in publish mode: there is nothing running to observe or control.")
            from .._orchestrator._orchestrator import Orchestrator

            self._orchestrator = Orchestrator(self)
        return self._orchestrator

    @property
    def resource_notifications(self) -> ResourceNotificationService:
        return self._orch().notifications

    @property
    def resource_loggers(self) -> ResourceLoggerService:
        return self._orch().loggers

    # -- plugins and what they show -----------------------------------------------------------------
    def disable_plugin(self, name: str) -> bool:
        """Switch off the hook plugin ``name`` for this app (see :meth:`DistributedApplicationBuilder.disable_plugin`).

        Call it before the app starts: hooks that ran already are not undone.
        """
        return self._builder.disable_plugin(name)

    def announce(self, text: str) -> None:
        """Show one line to whoever runs the app, such as ``Dashboard: http://127.0.0.1:PORT/...``.

        ``python apphost.py`` and ``aspyre run --plain`` print it once; ``aspyre run``'s live table
        prints it once and keeps showing it above the resources. Without a console (tests) it is
        only kept in :attr:`announcements`. For hook plugins that serve something next to the app.
        """
        if not isinstance(text, str):
            raise TypeError(f"announce() needs a str, got {type(text).__name__}")
        text = " ".join(text.splitlines())  # one line: the live table keeps it in place
        self._announcements.append(text)
        for listener in list(self._announcement_listeners):
            listener(text)

    @property
    def announcements(self) -> tuple[str, ...]:
        """Every line given to :meth:`announce`, in order."""
        return tuple(self._announcements)

    def add_announcement_listener(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(text)`` for every announcement, past ones first (console views use it)."""
        for text in self._announcements:
            listener(text)
        self._announcement_listeners.append(listener)

    def start_background_task(
        self, func: Callable[..., Awaitable[object]], *args: object, name: str | None = None
    ) -> None:
        """Run ``await func(*args)`` next to the resources for as long as the app runs (run mode).

        Call it once the app is starting: from an ``aspyre_before_start`` hook (or a subscriber of
        :class:`BeforeStartEvent`) or later. The task is cancelled when the app stops, after every
        resource stopped; put cleanup in a ``finally`` (shielded if it awaits). What it raises is
        logged (logger ``aspyre.orchestrator``) and never stops the app. This is how a hook plugin
        serves something alongside the app, as the dashboard serves its pages.
        """
        self._orch().start_background_task(func, *args, name=name)

    async def container_host_address(self) -> str | None:
        """The IP address containers reach this machine at: what ``host.docker.internal`` maps to in them
        (the default bridge's gateway on Docker, the session network's on Podman).

        A server in the app host that containers must reach listens there (as the dashboard's telemetry
        receiver does), rather than on every address. Waits until the container runtime is connected;
        ``None`` when the app runs no containers, or the runtime is unavailable or does not say. Run mode.
        """
        return await self._orch().container_host_address()

    # -- publish ------------------------------------------------------------------------------------
    async def publish_async(self) -> Path:
        """Fire the before-start event, then run the publisher chosen on the command line."""
        from .._eventing._events import BeforeStartEvent
        from .._publishing import run_publisher
        from ._loading import stop_if_loaded

        stop_if_loaded(self)
        ctx = self.execution_context
        if not ctx.is_publish_mode:
            raise RuntimeError("publish_async() needs publish mode (--publisher NAME --output-path DIR)")
        await self.eventing.publish(BeforeStartEvent(app=self))
        return await run_publisher(self)

    # -- run ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the app (run mode): returns once every resource has been launched (or is waiting)."""
        from ._loading import stop_if_loaded

        stop_if_loaded(self)
        if self._exit_stack is not None:
            raise RuntimeError("The app is already started")
        self._check_runs_once()
        self._started = True
        stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        try:
            await self._orch().start(stack)
        except BaseException:
            await stack.aclose()
            raise
        self._exit_stack = stack

    def _check_runs_once(self) -> None:
        if self._started:
            raise RuntimeError(
                "This app already ran: an app runs once. Build a new one (builder.build(), or "
                "DistributedApplication.create_builder() again) to run it again."
            )

    async def stop(self) -> None:
        """Stop every resource (gracefully) and release what the app created."""
        stack, self._exit_stack = self._exit_stack, None
        if stack is not None:
            await stack.aclose()

    async def __aenter__(self) -> DistributedApplication:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Not shielded here: the task group entered in start() must be exited from its own scope;
        # the shutdown work inside is shielded.
        await self.stop()

    async def run_async(self) -> int:
        """Publish, or start and keep running until SIGINT/SIGTERM. Returns an exit code."""
        from ._loading import stop_if_loaded

        stop_if_loaded(self)
        if self.execution_context.is_publish_mode:
            from .._plugins import PluginLoadError
            from .._publishing import AmbiguousPublisherError, PublisherOptionsError, UnknownPublisherError

            try:
                path = await self.publish_async()
            except (UnknownPublisherError, AmbiguousPublisherError, PluginLoadError, PublisherOptionsError) as exc:
                if not self.options.console_output:
                    raise
                print(f"aspyre: {exc}", file=sys.stderr)
                return 1
            if self.options.console_output:
                from ._console import published_message

                print(published_message(self.execution_context.publisher_name or "manifest", path))
            return 0
        self._check_runs_once()
        reporter = None
        messages: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if self.options.console_output:
            from ._console import PlainConsole
            from ._messages import messages_on_stderr

            reporter = PlainConsole(self)
            self.resource_loggers.add_listener(reporter.on_log)
            self.add_announcement_listener(reporter.on_announcement)
            messages = messages_on_stderr()
        import anyio

        with messages, reporter if reporter is not None else contextlib.nullcontext():
            async with anyio.create_task_group() as tg:
                await self.start()
                try:
                    if reporter is not None:
                        # Ends by itself once the app stopped (after the final states were printed).
                        tg.start_soon(reporter.watch_states)
                    await self._orch().wait_until_stopped()
                finally:
                    await self.stop()
        return self._orch().exit_code()

    @property
    def failed_resources(self) -> list[str]:
        """Names of the resources that failed to start (run mode)."""
        return self._orch().failed_resources if self._orchestrator is not None else []

    def run(self) -> None:
        """Blocking ``run_async``; exits the process with a non-zero code if a resource failed to start."""
        from ._loading import stop_if_loaded

        stop_if_loaded(self)
        import gc
        import os

        import anyio  # here, not at import: an app host's file only describes the app until it runs

        from .._loading_gc import freeze_at_exit

        if not self.execution_context.is_publish_mode:
            self._check_runs_once()
        # What exists now (modules, classes, the model) lives while the app runs: the collector need not walk it
        # again meanwhile. Objects made from here on are collected as usual. (Frozen by someone else already:
        # theirs and ours cannot be told apart afterwards, so what is frozen stays frozen.)
        ours = gc.get_freeze_count() == 0
        gc.freeze()
        try:
            code = anyio.run(self._run_with_signals)
        except Exception as exc:  # an ExceptionGroup too
            if os.environ.get("ASPYRE_TRACEBACK") == "1":
                raise
            from .._orchestrator._callbacks import user_error_report

            print(f"aspyre: the app host failed:\n{user_error_report(exc)}", file=sys.stderr)
            print("aspyre: (ASPYRE_TRACEBACK=1 shows the whole traceback)", file=sys.stderr, flush=True)
            code = 1
        # The code after run() (a test, a script going on) gets a collector that sees everything again; the
        # interpreter's exit does not walk it all once more (that walk took ~80 ms of the exit after Ctrl-C):
        # atexit callbacks run before the collections of finalisation.
        if ours:
            gc.unfreeze()
        freeze_at_exit()
        if code:
            sys.exit(code)

    async def _run_with_signals(self) -> int:
        if self.execution_context.is_publish_mode:
            return await self.run_async()
        import logging
        import signal

        import anyio

        log = logging.getLogger("aspyre")
        result = 0
        async with anyio.create_task_group() as tg:

            async def watch_signals() -> None:
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    # The loop hears the signals through its wakeup descriptor; this Python-level handler
                    # also runs when a callback blocks the loop, and interrupts that callback.
                    for signum in (signal.SIGINT, signal.SIGTERM):
                        signal.signal(signum, self._orch().watchdog.on_signal)
                        signal.siginterrupt(signum, True)
                    count = 0
                    async for signum in signals:
                        if self._orch().watchdog.take_redelivered():
                            continue  # the same signal, delivered again to interrupt a blocking callback
                        count += 1
                        if count == 1:
                            log.info("%s received: stopping (send it again to force)", signal.Signals(signum).name)
                            self._orch().request_stop()
                        else:
                            log.warning("forced stop")
                            self._orch().request_stop(force=True)
                            tg.cancel_scope.cancel()

            tg.start_soon(watch_signals)
            result = await self.run_async()
            tg.cancel_scope.cancel()
        return result

    # -- control & inspection ---------------------------------------------------------------------------
    async def start_resource(self, name: IResource | str) -> None:
        """Start a resource that is NotStarted (explicit start) or stopped."""
        await self._orch().start_resource(self._resource(name))

    async def stop_resource(self, name: IResource | str) -> None:
        """Stop a resource (the Stop command; a persistent container is stopped too)."""
        await self._orch().stop_resource(self._resource(name))

    async def execute_command(self, name: IResource | str, command: str) -> Any:
        """Run a resource's command: ``start``, ``stop``, ``restart`` or one added with ``with_command``."""
        return await self._orch().execute_command(self._resource(name), command)

    async def get_connection_string(self, name: IResource | str) -> str | None:
        """The live connection string of a resource, as the app host sees it."""
        r = self._resource(name)
        from .._model._resources import IResourceWithConnectionString
        from .._model._value_context import ValueContext

        if not isinstance(r, IResourceWithConnectionString):
            raise TypeError(f"Resource {r.name!r} has no connection string")
        return await r.get_connection_string(ValueContext(None, execution_context=self.execution_context))

    def get_endpoint(self, name: IResource | str, endpoint_name: str | None = None) -> str:
        """The URL of a resource's endpoint (default: ``http``, then ``https``, then the first)."""
        r = self._resource(name)
        from .._model._endpoints import EndpointAnnotation

        eps = r.annotations.all(EndpointAnnotation)
        if not eps:
            raise LookupError(f"Resource {r.name!r} has no endpoints")
        if endpoint_name is None:
            by_name = {e.name.casefold(): e for e in eps}
            ep = by_name.get("http") or by_name.get("https") or eps[0]
        else:
            found = [e for e in eps if e.name.casefold() == endpoint_name.casefold()]
            if not found:
                raise LookupError(f"Resource {r.name!r} has no endpoint {endpoint_name!r}")
            ep = found[0]
        alloc = ep.allocation()
        if alloc is None:
            raise RuntimeError(f"Endpoint {ep.name!r} of {r.name!r} is not allocated: start the app first")
        return alloc.url

    def http_client(self, name: IResource | str, endpoint_name: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` whose base URL is the resource's endpoint."""
        import httpx

        kwargs.setdefault("trust_env", False)
        return httpx.AsyncClient(base_url=self.get_endpoint(name, endpoint_name), **kwargs)


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
