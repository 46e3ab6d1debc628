"""URLs and icons shown for a resource (Aspire's ``WithUrl``, ``WithUrls``, ``WithUrlForEndpoint``, ``WithIconName``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from aspyre._public import present as _present

from ._annotations import ResourceAnnotation
from ._endpoints import EndpointReference
from ._known import IconVariant, UrlDisplayLocation

if TYPE_CHECKING:
    import logging

    from ._resources import IResource

__all__ = [
    "IconVariant",
    "ResourceIconAnnotation",
    "ResourceUrlAnnotation",
    "ResourceUrlsCallbackAnnotation",
    "ResourceUrlsCallbackContext",
    "UrlDisplayLocation",
]


@attrs.define(eq=False)
class ResourceUrlAnnotation(ResourceAnnotation):
    """A URL shown for the resource. URL callbacks edit these in place (``url.display_text = "Home"``).

    ``endpoint`` is set for the URL of an endpoint (and for URLs added for one); a relative ``url``
    (``/admin``) of such a URL is joined to the endpoint's address. A higher ``display_order`` comes
    first; ``DETAILS_ONLY`` URLs are internal (consoles do not print them).
    """

    url: str
    display_text: str | None = None
    endpoint: EndpointReference | None = attrs.field(default=None, kw_only=True)
    display_order: int | None = attrs.field(default=None, kw_only=True)
    display_location: UrlDisplayLocation = attrs.field(default=UrlDisplayLocation.SUMMARY_AND_DETAILS, kw_only=True)

    @property
    def endpoint_name(self) -> str | None:
        """The name of the endpoint this URL belongs to, if any."""
        return None if self.endpoint is None else self.endpoint.endpoint_name

    @property
    def is_internal(self) -> bool:
        """Whether the URL is shown in the details only."""
        return self.display_location is UrlDisplayLocation.DETAILS_ONLY


def _urls_logger() -> logging.Logger:
    import logging  # only when a URL callback runs (run mode)

    return logging.getLogger("aspyre.urls")


@attrs.define(eq=False)
class ResourceUrlsCallbackContext:
    """What a URL callback (``with_urls``) receives: the resource and its URLs, which it may edit.

    ``urls`` already holds one URL per allocated endpoint (``endpoint`` set) and the static URLs
    given with ``with_url``; the callback may change, add or remove any of them.
    """

    resource: IResource
    urls: list[ResourceUrlAnnotation]
    execution_context: Any = None
    logger: logging.Logger = attrs.field(factory=_urls_logger)

    def get_endpoint(self, name: str) -> EndpointReference | None:
        """The resource's endpoint ``name`` (``None`` if the resource has no endpoints at all)."""
        from ._resources import IResourceWithEndpoints

        if not isinstance(self.resource, IResourceWithEndpoints):
            return None
        return EndpointReference(self.resource, name)


@attrs.frozen
class ResourceUrlsCallbackAnnotation(ResourceAnnotation):
    """A callback, sync or async, that edits the URLs of the resource once its endpoints are allocated."""

    callback: Callable[[ResourceUrlsCallbackContext], Awaitable[None] | None]
    #: The endpoint whose URL the callback edits or adds (``with_url_for_endpoint``): ``build()`` checks
    #: that the resource declares it.
    endpoint_name: str | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class ResourceIconAnnotation(ResourceAnnotation):
    """The icon dashboards show for the resource (a Fluent UI icon name such as ``Database``)."""

    icon_name: str
    icon_variant: IconVariant = IconVariant.FILLED


# aspyre.annotations imports these on first use (its _LAZY): they report it however they are reached.
_present(
    globals(),
    "aspyre.annotations",
    names=["ResourceIconAnnotation", "ResourceUrlAnnotation", "ResourceUrlsCallbackAnnotation", "ResourceUrlsCallbackContext"],
)
