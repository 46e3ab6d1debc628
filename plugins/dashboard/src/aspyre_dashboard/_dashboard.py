"""One app's dashboard: where it listens, who may come in, what it serves, and its lifetime."""

from __future__ import annotations

import importlib
import ipaddress
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import anyio

import aspyre
from aspyre.annotations import EndpointAnnotation

from ._options import DashboardOptions, bind_socket, is_loopback
from ._security import Guard, Security, new_token

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from ._commands import CommandRunner
    from ._hub import LogHub, ResourceHub
    from ._live import LiveConnection, Topic
    from ._views import ResourceViews

__all__ = ["Dashboard", "Page"]


class Page(NamedTuple):
    """A page in the dashboard's navigation.

    ``path`` is where it lives (``/traces``: that path and everything under it serve the page
    shell), ``icon`` the ``d`` attribute of a 24x24 SVG path, ``script`` the URL of the ES module
    that renders it (``/static/...``; ``None`` for the pages built into the dashboard's own script).
    The module's default export is ``{mount(root, context), unmount()}``.
    """

    id: str
    title: str
    path: str
    icon: str = ""
    script: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "path": self.path, "icon": self.icon, "script": self.script}


class _Listener:
    """A socket to serve an ASGI app on, with the scope that shields the server from the app's cancellation."""

    __slots__ = ("done", "make_app", "name", "scope", "sock")

    def __init__(self, name: str, sock: socket.socket, make_app: Callable[[], Any]) -> None:
        self.name = name
        self.sock = sock
        self.make_app = make_app
        self.scope = anyio.CancelScope(shield=True)
        self.done = anyio.Event()


#: Seconds the web stack's import waits for, unless a browser connects first.
IMPORT_DELAY = 1.0

BUILTIN_PAGES = (
    Page("resources", "Resources", "/resources"),
    Page("console", "Console", "/console"),
)
#: Paths of the built-in pages' tabs (served by the same shell).
BUILTIN_PATHS = ("/graph", "/parameters")


def _shown_path(path: Path) -> str:
    """The app host's path as the person running it typed it: relative to the current directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _display_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return socket.gethostname()
    try:
        if ipaddress.ip_address(host.strip("[]")).version == 6:
            return f"[{host.strip('[]')}]"
    except ValueError:
        pass
    return host


class Dashboard:
    """The dashboard of one running app. Made by the hook plugin in ``aspyre_before_start``.

    :attr:`url` is where it listens; :attr:`login_url` is the link printed for the person running
    the app (with the run's token). Pages, live topics, routes and listeners (a second port) can be
    added before it serves (:meth:`add_page`, :meth:`add_topic`, :meth:`add_routes`, :meth:`add_listener`).
    """

    def __init__(self, app: aspyre.events.App, options: DashboardOptions) -> None:
        self.app = app
        self.options = options
        self.app_name = Path(app.app_host_path).parent.name or Path(app.app_host_path).stem
        # Made when it starts serving, after the resources started (see _serve): nothing before needs them.
        self.views: ResourceViews
        self.resource_hub: ResourceHub
        self.log_hub: LogHub
        self.commands: CommandRunner
        self.connections: set[LiveConnection] = set()
        self.topics: dict[str, Topic] = {}
        self.pages: list[Page] = []
        #: Routes, or functions returning routes (called once the web stack is imported).
        self.extra_routes: list[BaseRoute | Callable[[], Sequence[BaseRoute]]] = []
        self.closing = False
        self.port = 0
        self.url = ""
        self.security = Security(None, 0, None)
        self._listeners: list[_Listener] = []
        self._stop = anyio.Event()
        #: Set while serving: listeners added then start at once.
        self._serving: Callable[[_Listener], None] | None = None

    def __repr__(self) -> str:  # never the token
        return f"<Dashboard {self.url or '(not listening)'} secured={self.security.secured}>"

    # -- opening (synchronous, in the before-start hook: fast) -----------------------------------------
    def open(self) -> None:
        """Bind the socket and make the token; connections wait in the backlog until :meth:`serve` runs."""
        # Never the port a resource of the app asked for: the resource would fail to start.
        fixed = {ep.port for r in self.app.model for ep in r.annotations.all(EndpointAnnotation) if ep.port}
        sock = bind_socket(self.options, Path(self.app.app_host_path), avoid=fixed)
        self.port = int(sock.getsockname()[1])
        self.url = f"http://{_display_host(self.options.host)}:{self.port}"
        allowed: frozenset[str] | None = None
        if is_loopback(self.options.host):
            names = {"127.0.0.1", "localhost", "[::1]", _display_host(self.options.host)}
            allowed = frozenset(f"{n.lower()}:{self.port}" for n in names)
        token = None if self.options.unsecured else new_token()
        self.security = Security(token, self.port, allowed)
        self._listeners.append(_Listener("dashboard", sock, self._make_app))

    def close(self) -> None:
        """Release the sockets of a dashboard that will not serve."""
        for listener in self._listeners:
            listener.sock.close()

    @property
    def login_url(self) -> str:
        """The link that signs a browser in (the run's token in it); without a token, the home page."""
        token = self.security.token
        return f"{self.url}/login?t={token}" if token else f"{self.url}/"

    def _make_app(self) -> Any:
        web = importlib.import_module("aspyre_dashboard._web")
        return Guard(web.make_app(self), self.security)

    # -- extension points -----------------------------------------------------------------------------
    def add_page(self, page: Page, routes: Sequence[BaseRoute] | Callable[[], Sequence[BaseRoute]] = ()) -> None:
        """Add a page to the navigation (and routes it needs, such as its JSON API).

        ``routes`` may be a function returning them, called once the web stack is imported (so that
        a hook adding a page need not import Starlette before the app's resources start).
        """
        if any(p.id == page.id for p in (*BUILTIN_PAGES, *self.pages)):
            raise ValueError(f"the dashboard already has a page {page.id!r}")
        self.pages.append(page)
        self.add_routes(routes)

    def add_routes(self, routes: Sequence[BaseRoute] | Callable[[], Sequence[BaseRoute]]) -> None:
        """Add routes to the dashboard's app (behind its sign-in, like every other route), or a function
        returning them (called once the web stack is imported)."""
        if isinstance(routes, Sequence):
            self.extra_routes.extend(routes)
        else:
            self.extra_routes.append(routes)

    def add_topic(self, name: str, topic: Topic) -> None:
        """Add a kind of live data the pages can subscribe to over the live socket."""
        if name in ("resources", "logs") or name in self.topics:
            raise ValueError(f"the live topic {name!r} exists already")
        self.topics[name] = topic

    def add_listener(self, name: str, sock: socket.socket, make_app: Callable[[], Any]) -> None:
        """Serve another ASGI app on another listening socket (for example a telemetry receiver).

        ``make_app()`` is called once the server modules are imported; the app it returns does its
        own authentication (the dashboard's sign-in does not apply to it). Added while the dashboard
        serves (from its event loop), the listener is served at once.
        """
        listener = _Listener(name, sock, make_app)
        self._listeners.append(listener)
        if self._serving is not None:
            self._serving(listener)

    # -- what the pages ask first -----------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {
            "app": {"name": self.app_name, "path": _shown_path(Path(self.app.app_host_path))},
            "version": aspyre.__version__,
            "secured": self.security.secured,
            "resources": [r.name for r in self.app.model],
            # Colours are handed out in this order (parameters seldom write logs).
            "colourOrder": [r.name for r in self.app.model if not isinstance(r, aspyre.ParameterResource)],
            "pages": [p.to_json() for p in (*BUILTIN_PAGES, *self.pages)],
        }

    # -- serving (a background task of the app) --------------------------------------------------------
    async def serve(self) -> None:
        """Serve until the app stops (cancelled after the resources stopped), then close gracefully."""
        try:
            await self._serve()
        finally:
            self.close()  # the sockets the server never took over (it detaches the others)

    async def _serve(self) -> None:
        from ._server import serve_asgi

        # The web stack takes a third of a second of CPU to import: not while the app's first resources
        # start, unless a browser is already knocking. Connections wait in the socket's backlog meanwhile.
        with anyio.move_on_after(IMPORT_DELAY):
            await anyio.wait_readable(self._listeners[0].sock)
        await anyio.to_thread.run_sync(importlib.import_module, "aspyre_dashboard._web")
        await anyio.to_thread.run_sync(importlib.import_module, "hypercorn.asyncio")
        from ._commands import CommandRunner
        from ._hub import LogHub, ResourceHub
        from ._views import ResourceViews

        self.views = ResourceViews(self.app)
        self.resource_hub = ResourceHub(self.app, self.views)
        self.log_hub = LogHub()
        self.commands = CommandRunner(self.app, self.views)
        # Lines from now on go to the ring (while a page follows logs); earlier ones are in the backlogs.
        self.app.resource_loggers.add_listener(self.log_hub.on_line)
        async with anyio.create_task_group() as tg:
            self.commands.task_group = tg
            tg.start_soon(self.resource_hub.follow)
            for listener in self._listeners:
                tg.start_soon(self._serve_listener, listener, serve_asgi)
            def serve_now(listener: _Listener) -> None:
                tg.start_soon(self._serve_listener, listener, serve_asgi)

            self._serving = serve_now
            try:
                await anyio.sleep_forever()
            finally:
                self._serving = None
                self.commands.task_group = None
                self._begin_shutdown()
                with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                    for listener in self._listeners:
                        await listener.done.wait()
                for listener in self._listeners:
                    listener.scope.cancel()

    async def _serve_listener(self, listener: _Listener, serve_asgi: Any) -> None:
        try:
            await serve_asgi(listener.make_app(), listener.sock, self._stop, listener.scope)
        finally:
            listener.done.set()

    def _begin_shutdown(self) -> None:
        self.closing = True
        for connection in list(self.connections):
            connection.close_soon()
        self._stop.set()
