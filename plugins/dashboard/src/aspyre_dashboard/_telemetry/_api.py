"""The telemetry pages' JSON API (behind the dashboard's sign-in, like every other route).

``GET /api/telemetry/resources``, ``/logs``, ``/traces``, ``/traces/{id}``, ``/metrics/{resource}`` and
``/metrics/{resource}/chart?scope=&name=``. Each answer is computed in a worker thread holding the
store's lock for a few milliseconds, and every text in it has the app's known secret values masked
(what a resource sends is shown as sent, except those).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import _queries as q
from ._store import TelemetryStore

if TYPE_CHECKING:
    from .._dashboard import Dashboard

__all__ = ["routes"]


def _int(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        return default


def routes(dashboard: Dashboard, store: TelemetryStore, secrets: Callable[[], tuple[str, ...]]) -> list[BaseRoute]:
    """The API routes; ``secrets()`` gives extra values to mask (the receiver's key)."""

    async def answer(compute: Callable[[], Any], status_if_none: int = 404) -> Response:
        views = dashboard.resource_hub.views
        views.refresh_secrets()
        extra = secrets()

        def run() -> Any:
            with store.lock:
                result = compute()
            if result is None:
                return None
            masked = views.mask(result)
            text = json.dumps(masked, separators=(",", ":"), ensure_ascii=False)
            for value in extra:
                text = text.replace(value, "••••••••")
            return text

        text = await anyio.to_thread.run_sync(run)
        if text is None:
            return Response('{"error":"Not found."}', status_if_none, media_type="application/json")
        return Response(text, media_type="application/json", headers={"cache-control": "no-store"})

    async def resources(request: Request) -> Response:
        return await answer(lambda: q.resources(store))

    async def logs(request: Request) -> Response:
        p = request.query_params
        trace = p.get("trace") or None
        if trace is not None and not _is_hex(trace, 32):
            return Response('{"error":"trace must be 32 hex digits."}', 400, media_type="application/json")
        return await answer(
            lambda: q.log_entries(
                store,
                resource=p.get("resource") or None,
                level=p.get("level") or None,
                text=p.get("q", ""),
                trace_id=trace,
                limit=_int(request, "limit", 200) or 200,
                before=_int(request, "before", None),
            )
        )

    async def traces(request: Request) -> Response:
        p = request.query_params
        return await answer(
            lambda: q.trace_list(
                store,
                resource=p.get("resource") or None,
                text=p.get("q", ""),
                errors_only=p.get("errors") in ("1", "true"),
                limit=_int(request, "limit", 100) or 100,
            )
        )

    async def trace(request: Request) -> Response:
        trace_id = request.path_params["trace_id"]
        if not _is_hex(trace_id, 32):
            return Response('{"error":"A trace id is 32 hex digits."}', 400, media_type="application/json")
        return await answer(lambda: q.trace_detail(store, trace_id.lower()))

    async def instruments(request: Request) -> Response:
        return await answer(lambda: q.instruments(store, request.path_params["resource"]))

    async def chart(request: Request) -> Response:
        p = request.query_params
        return await answer(
            lambda: q.instrument_chart(store, request.path_params["resource"], p.get("scope", ""), p.get("name", ""))
        )

    return [
        Route("/api/telemetry/resources", resources),
        Route("/api/telemetry/logs", logs),
        Route("/api/telemetry/traces", traces),
        Route("/api/telemetry/traces/{trace_id}", trace),
        Route("/api/telemetry/metrics/{resource}", instruments),
        Route("/api/telemetry/metrics/{resource}/chart", chart),
    ]


def _is_hex(value: str, length: int) -> bool:
    return len(value) == length and all(c in "0123456789abcdefABCDEF" for c in value)
