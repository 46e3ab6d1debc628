"""The URLs shown for a resource once its endpoints are allocated (Aspire's URL processing)."""

from __future__ import annotations

import inspect
import logging

import attrs

from .._model._endpoints import EndpointAnnotation, EndpointReference
from .._model._execution import ExecutionContext
from .._model._resources import IResource
from .._model._snapshot import UrlSnapshot
from .._model._urls import ResourceUrlAnnotation, ResourceUrlsCallbackAnnotation, ResourceUrlsCallbackContext

__all__ = ["resource_urls"]


async def resource_urls(
    r: IResource, *, execution_context: ExecutionContext | None, logger: logging.Logger
) -> tuple[UrlSnapshot, ...]:
    """The URLs of ``r``: one per allocated endpoint, then its static URLs, edited by its URL callbacks.

    The callbacks (``with_urls``, ``with_url_for_endpoint``, a relative ``with_url``) run in order on
    copies, so the model keeps its own annotations. A relative URL of an endpoint (``/admin``) is joined
    to the endpoint's address; a higher ``display_order`` comes first. A failing callback is logged to the
    resource's log and the URLs computed so far are shown.
    """
    urls: list[ResourceUrlAnnotation] = []
    for ep in r.annotations.all(EndpointAnnotation):
        alloc = ep.allocation()
        if alloc is not None:
            urls.append(ResourceUrlAnnotation(alloc.url, endpoint=EndpointReference(r, ep.name)))
    urls.extend(attrs.evolve(u) for u in r.annotations.all(ResourceUrlAnnotation))
    callbacks = r.annotations.all(ResourceUrlsCallbackAnnotation)
    if callbacks:
        context = ResourceUrlsCallbackContext(r, urls, execution_context, logger)
        try:
            for annotation in callbacks:
                result = annotation.callback(context)
                if inspect.isawaitable(result):
                    await result
        except Exception as exc:
            logger.error("Computing the URLs of %r failed: %s: %s", r.name, type(exc).__name__, exc)
        urls = context.urls
    out: list[UrlSnapshot] = []
    for u in urls:
        url = u.url
        if u.endpoint is not None and url.startswith("/"):
            base = _allocated_url(u.endpoint)
            if base is not None:
                url = base.rstrip("/") + url
        out.append(UrlSnapshot(u.endpoint_name, url, u.is_internal, u.display_text, u.display_order or 0))
    out.sort(key=lambda s: -s.sort_order)  # stable: equal orders keep theirs
    return tuple(out)


def _allocated_url(endpoint: EndpointReference) -> str | None:
    if not endpoint.exists:
        return None
    alloc = endpoint.annotation.allocation()
    return None if alloc is None else alloc.url
