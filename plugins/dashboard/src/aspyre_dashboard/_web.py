"""The dashboard's HTTP routes (Starlette): the pages, their files, the JSON API and the live socket.

Everything here runs behind :class:`~aspyre_dashboard._security.Guard`. Pages are one HTML shell
(no data in it) whose scripts fetch what they show; ``GET`` never changes anything.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from ._commands import CommandError
from ._hub import backlog
from ._live import LiveConnection

if TYPE_CHECKING:
    from ._dashboard import Dashboard

__all__ = ["STATIC", "make_app"]

STATIC = Path(__file__).parent / "static"
#: The largest request body read (commands and reveals are tiny JSON documents).
MAX_BODY = 16 * 1024
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def _json(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status, headers={"cache-control": "no-store"})


async def _body(request: Request) -> dict[str, Any]:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise CommandError(413, "The request body is too large.")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise CommandError(400, "The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise CommandError(400, "The request body must be a JSON object.")
    return data


def make_app(dashboard: Dashboard) -> Starlette:
    """The ASGI app of one dashboard (wrap it in the Guard before serving)."""
    app = dashboard.app
    index = STATIC / "index.html"

    async def page(request: Request) -> Response:
        return FileResponse(index, headers={"cache-control": "no-cache"})

    async def favicon(request: Request) -> Response:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    async def info(request: Request) -> Response:
        return _json(dashboard.info())

    async def resources(request: Request) -> Response:
        hub = dashboard.resource_hub
        hub.views.refresh_secrets()
        body = "[" + ",".join(hub.view_json(n) for n in hub.views.names()) + "]"
        return Response(body, media_type="application/json", headers={"cache-control": "no-store"})

    async def command(request: Request) -> Response:
        name, command_name = request.path_params["name"], request.path_params["command"]
        try:
            await _body(request)
            outcome = await dashboard.commands.run(name, command_name)
        except CommandError as exc:
            return _json({"ok": False, "error": str(exc)}, exc.status)
        return _json(outcome, 200 if outcome.get("ok") else 500)

    async def reveal(request: Request) -> Response:
        resource = app.model.get(request.path_params["name"])
        if resource is None:
            return _json({"error": "There is no such resource."}, 404)
        try:
            body = await _body(request)
        except CommandError as exc:
            return _json({"error": str(exc)}, exc.status)
        kind, key = body.get("kind"), body.get("name")
        if not isinstance(kind, str) or not isinstance(key, str):
            return _json({"error": 'Send {"kind": "env" | "property", "name": NAME}.'}, 400)
        try:
            value = dashboard.resource_hub.views.reveal(resource, kind, key)
        except LookupError as exc:
            return _json({"error": str(exc)}, 404)
        return _json({"value": value})

    async def download(request: Request) -> Response:
        name = request.query_params.get("resource") or None
        if name is not None:
            resource = app.model.get(name)
            if resource is None:
                return _json({"error": "There is no such resource."}, 404)
            name = resource.name
        import datetime as dt

        lines = backlog(app, name, 1_000_000)
        width = max((len(r.name) for r in app.model), default=0)
        out = []
        for e in lines:
            stamp = dt.datetime.fromtimestamp(e.timestamp_ms / 1000, dt.UTC).isoformat(timespec="milliseconds")
            prefix = "" if name is not None else f"{e.resource:<{width}} | "
            out.append(f"{stamp.replace('+00:00', 'Z')} {prefix}{_ANSI.sub('', e.text)}\n")
        filename = f"{name or dashboard.app_name}-console.txt"
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)
        return Response(
            "".join(out),
            media_type="text/plain; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{safe}"', "cache-control": "no-store"},
        )

    async def live(websocket: WebSocket) -> None:
        if dashboard.closing:
            await websocket.close(code=1001)
            return
        await LiveConnection(dashboard, websocket).run()

    routes: list[BaseRoute] = [
        Route("/", page),
        Route("/favicon.ico", favicon),
        Route("/api/info", info),
        Route("/api/resources", resources),
        Route("/api/resources/{name}/commands/{command}", command, methods=["POST"]),
        Route("/api/resources/{name}/reveal", reveal, methods=["POST"]),
        Route("/api/logs/download", download),
        WebSocketRoute("/api/live", live),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    from ._dashboard import BUILTIN_PAGES, BUILTIN_PATHS

    for extra in dashboard.extra_routes:  # before the pages' catch-all paths: a page's own files win
        routes.extend([extra] if isinstance(extra, BaseRoute) else extra())
    for path in (*(p.path for p in (*BUILTIN_PAGES, *dashboard.pages)), *BUILTIN_PATHS):
        routes.append(Route(path, page))
        routes.append(Route(path.rstrip("/") + "/{rest:path}", page))
    return Starlette(routes=routes)
