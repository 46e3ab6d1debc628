"""URLs and icons: what dashboards and consoles show for a resource (Aspire's ``WithUrl``, ``WithUrls``,
``WithUrlForEndpoint`` and ``WithIconName``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Self

from aspyre._model._annotations import MutationBehavior
from aspyre._model._endpoints import EndpointReference
from aspyre._model._known import IconVariant
from aspyre._model._values import ReferenceExpression

from ._base import R_co, ResourceBuilderBase, check_type, invalid

# The URL annotations are imported by the methods that make them: an app host's builder seldom needs them.
if TYPE_CHECKING:
    from aspyre._model._urls import ResourceUrlAnnotation, ResourceUrlsCallbackContext

    UrlsCallback = Callable[[ResourceUrlsCallbackContext], Awaitable[None] | None]

__all__ = ["UrlMethods", "join_url"]


def join_url(base: str, relative: str) -> str:
    """``relative`` resolved against the absolute URL ``base`` (RFC 3986), for every scheme.

    ``urllib.parse.urljoin`` only joins the schemes it knows (a ``tcp://`` base would be dropped), so
    the join is made as if the scheme were ``http`` and the real one is put back.
    """
    import urllib.parse  # here, not with the builder: urllib.parse brings ipaddress

    parts = urllib.parse.urlsplit(base)
    if not parts.scheme or not parts.netloc:
        return relative
    joined = urllib.parse.urljoin(urllib.parse.urlunsplit(("http", *parts[1:])), relative)
    return urllib.parse.urlunsplit((parts.scheme, *urllib.parse.urlsplit(joined)[1:]))


def _is_absolute(url: str) -> bool:
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("mailto", "urn", "data"))


class UrlMethods(ResourceBuilderBase[R_co]):
    """``with_url``, ``with_urls``, ``with_url_for_endpoint`` and ``with_icon_name``."""

    __slots__ = ()

    def with_url(self, url: str | ReferenceExpression, display_text: str | None = None) -> Self:
        """A URL shown for the resource.

        An absolute URL (``https://docs.example.com``) is shown as it is. A relative one (``/swagger``)
        is applied to every URL of the resource, as Aspire does: each endpoint URL gets that path (and
        ``display_text``, if given). A :class:`~aspyre.ReferenceExpression` is resolved once endpoints
        are allocated (``ReferenceExpression.format("{}/health", api.get_endpoint("http"))``).
        """
        check_type(
            self._resource, "with_url", "url", url, (str, ReferenceExpression), "a str ('/swagger' or 'https://...')"
        )
        if display_text is not None:
            check_type(self._resource, "with_url", "display_text", display_text, str, "a str or None")
        if isinstance(url, ReferenceExpression):
            return self.with_urls(_ExpressionUrl(url, display_text))
        if not url:
            raise invalid(self._resource, "with_url", "the URL is empty")
        if _is_absolute(url):
            from aspyre._model._urls import ResourceUrlAnnotation

            return self.with_annotation(ResourceUrlAnnotation(url, display_text))
        return self.with_urls(_RelativeUrl(url, display_text))

    def with_urls(self, callback: UrlsCallback) -> Self:
        """Edit the resource's URLs once its endpoints are allocated: ``callback(context)``, sync or async.

        ``context.urls`` holds a :class:`~aspyre.annotations.ResourceUrlAnnotation` per allocated endpoint
        and the static URLs; the callback may change (``url.display_text = "Home"``), add or remove them.
        """
        if not callable(callback):
            raise invalid(self._resource, "with_urls", "callback must be callable", TypeError)
        from aspyre._model._urls import ResourceUrlsCallbackAnnotation

        return self.with_annotation(ResourceUrlsCallbackAnnotation(callback))

    def with_url_for_endpoint(
        self,
        endpoint_name: str,
        callback: Callable[[ResourceUrlAnnotation], object] | None = None,
        *,
        factory: Callable[[EndpointReference], ResourceUrlAnnotation] | None = None,
    ) -> Self:
        """Edit the URL of endpoint ``endpoint_name`` (``callback(url)``), or add one for it (``factory=``).

        ``callback`` edits the URL shown for the endpoint in place (``url.display_text = "Home"``,
        ``url.url = "/home"``: a relative URL is joined to the endpoint's address,
        ``url.display_location = UrlDisplayLocation.DETAILS_ONLY``). ``factory(endpoint)`` returns another
        URL for the endpoint (``ResourceUrlAnnotation("/admin", "Admin")``). ``build()`` checks that the
        resource declares the endpoint.
        """
        check_type(self._resource, "with_url_for_endpoint", "endpoint_name", endpoint_name, str, "a str")
        if (callback is None) == (factory is None):
            raise invalid(
                self._resource,
                "with_url_for_endpoint",
                "pass either a callback (edit the URL) or factory= (add a URL)",
                TypeError,
            )
        if factory is not None:
            action: UrlsCallback = _AddEndpointUrl(endpoint_name, factory)
        else:
            assert callback is not None
            action = _EditEndpointUrl(endpoint_name, callback)
        from aspyre._model._urls import ResourceUrlsCallbackAnnotation

        return self.with_annotation(ResourceUrlsCallbackAnnotation(action, endpoint_name=endpoint_name))

    def with_icon_name(self, icon_name: str, icon_variant: IconVariant = IconVariant.FILLED) -> Self:
        """The icon dashboards show for the resource: a Fluent UI icon name (``Database``, ``Clock``...)."""
        check_type(self._resource, "with_icon_name", "icon_name", icon_name, str, "a str (a Fluent UI icon name)")
        if not icon_name:
            raise invalid(self._resource, "with_icon_name", "the icon name is empty")
        from aspyre._model._urls import ResourceIconAnnotation

        return self.with_annotation(
            ResourceIconAnnotation(icon_name, IconVariant(icon_variant)), MutationBehavior.REPLACE
        )


class _RelativeUrl:
    """``with_url("/path")``: every absolute URL of the resource gets the path (and the display text)."""

    def __init__(self, url: str, display_text: str | None) -> None:
        self.url = url
        self.display_text = display_text

    def __call__(self, context: ResourceUrlsCallbackContext) -> None:
        for u in context.urls:
            if _is_absolute(u.url):
                u.url = join_url(u.url, self.url)
                u.display_text = self.display_text or u.display_text


class _ExpressionUrl:
    """``with_url(ReferenceExpression)``: resolved when the URLs are computed."""

    def __init__(self, expression: ReferenceExpression, display_text: str | None) -> None:
        self.expression = expression
        self.display_text = display_text

    async def __call__(self, context: ResourceUrlsCallbackContext) -> None:
        from aspyre._model._value_context import ValueContext

        endpoint = next((v for v in self.expression.value_providers if isinstance(v, EndpointReference)), None)
        value = await self.expression.get_value(
            ValueContext(None, execution_context=context.execution_context)
        )
        if value:
            from aspyre._model._urls import ResourceUrlAnnotation

            context.urls.append(ResourceUrlAnnotation(value, self.display_text, endpoint=endpoint))


class _EditEndpointUrl:
    def __init__(self, endpoint_name: str, callback: Callable[[ResourceUrlAnnotation], object]) -> None:
        self.endpoint_name = endpoint_name
        self.callback = callback

    def __call__(self, context: ResourceUrlsCallbackContext) -> None:
        key = self.endpoint_name.casefold()
        url = next((u for u in context.urls if (u.endpoint_name or "").casefold() == key), None)
        if url is None:
            context.logger.warning(
                "No URL of endpoint %r to customise on resource %r (is the endpoint allocated?)",
                self.endpoint_name,
                context.resource.name,
            )
            return
        self.callback(url)


class _AddEndpointUrl:
    def __init__(self, endpoint_name: str, factory: Callable[[EndpointReference], ResourceUrlAnnotation]) -> None:
        self.endpoint_name = endpoint_name
        self.factory = factory

    def __call__(self, context: ResourceUrlsCallbackContext) -> None:
        endpoint = context.get_endpoint(self.endpoint_name)
        if endpoint is None or not endpoint.exists:
            context.logger.warning(
                "No endpoint %r on resource %r to add a URL for", self.endpoint_name, context.resource.name
            )
            return
        from aspyre._model._urls import ResourceUrlAnnotation

        url = self.factory(endpoint)
        if not isinstance(url, ResourceUrlAnnotation):
            raise TypeError(
                f"the URL factory of endpoint {self.endpoint_name!r} of resource {context.resource.name!r} must "
                f"return a ResourceUrlAnnotation, not {url!r}"
            )
        url.endpoint = endpoint
        context.urls.append(url)
