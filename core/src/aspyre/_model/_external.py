"""External services (Aspire 9.4's ``ExternalServiceResource``): a URL the app uses but does not run.

The URL is given in code or comes from a parameter. Referencing the service hands its URL over with Aspire's
variable names; ``with_http_health_check`` polls it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from aspyre._public import present_top_level as _present_top_level

from ._callback_contexts import EnvironmentCallbackContext
from ._dependencies import ReferenceEnvironmentAnnotation, ReferenceEnvironmentFlags
from ._resources import IResourceWithoutLifetime, ParameterResource, Resource
from ._value_context import ValueContext

__all__ = ["ExternalServiceEnvironment", "ExternalServiceResource", "external_url_problem"]


def external_url_problem(url: object) -> str | None:
    """Why ``url`` cannot be an external service's URL (Aspire's rules), or ``None``.

    It must be absolute (a scheme and a host), its path must end with ``/``, and it has no query or fragment.
    """
    if not isinstance(url, str) or not url:
        return "the URL must be a non-empty str"
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        return f"the URL {url!r} cannot be parsed ({exc})"
    if not parts.scheme or not parts.netloc:
        return f"the URL {url!r} must be absolute (scheme://host/...)"
    if not (parts.path or "/").endswith("/"):
        return f"the path of the URL {url!r} must end with '/' (write {url + '/'!r})"
    if parts.query:
        return f"the URL {url!r} cannot have a query string"
    if parts.fragment or url.endswith("#"):
        return f"the URL {url!r} cannot have a fragment"
    return None


def _normalised(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


@attrs.define(eq=False, repr=False)
class ExternalServiceResource(Resource, IResourceWithoutLifetime):
    """A service the app uses but does not run: a fixed ``url`` or one from ``url_parameter``.

    Nothing is started for it: once the app starts it becomes Running with its URL (FailedToStart when the
    parameter's value is not a valid URL), and its health checks (``with_http_health_check``) poll it, so
    ``wait_for`` waits until it answers. As a value it is its URL (``{param.value}`` in a manifest). It is left
    out of the manifest, as Aspire does.
    """

    resource_type: ClassVar[str] = "ExternalService"

    url: str | None = attrs.field(default=None, kw_only=True)
    url_parameter: ParameterResource | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if (self.url is None) == (self.url_parameter is None):
            raise ValueError(f"external service {self.name!r}: give either a URL or a URL parameter")
        if self.url is not None:
            problem = external_url_problem(self.url)
            if problem is not None:
                raise ValueError(f"external service {self.name!r}: {problem}")
            self.url = _normalised(self.url)

    def resolve_url(self) -> str:
        """The live URL (run mode): the fixed one, or the parameter's value checked by :func:`external_url_problem`."""
        if self.url is not None:
            return self.url
        assert self.url_parameter is not None
        value = self.url_parameter.value
        problem = external_url_problem(value)
        if problem is not None:
            raise ValueError(
                f"the value of parameter {self.url_parameter.name!r}, the URL of external service {self.name!r}, is "
                f"invalid: {problem}"
            )
        return _normalised(value)

    # -- value protocols --------------------------------------------------------------------------
    @property
    def value_expression(self) -> str:
        """The fixed URL, or ``{param.value}``."""
        return self.url if self.url is not None else f"{{{self.url_parameter.name}.value}}"  # type: ignore[union-attr]

    @property
    def references(self) -> Sequence[object]:
        """The URL parameter, if any."""
        return () if self.url_parameter is None else (self.url_parameter,)

    async def get_value(self, context: ValueContext) -> str | None:
        """The live URL (see :meth:`resolve_url`)."""
        return self.resolve_url()


@attrs.frozen
class ExternalServiceEnvironment:
    """The environment callback ``with_reference(external_service)`` adds (Aspire's variable names).

    A fixed URL gives ``{NAME}`` and ``services__{name}__{scheme}__0``; a URL from a parameter gives
    ``{NAME}_{SCHEME}`` and ``services__{name}__{scheme}__0`` in run mode, and ``{NAME}`` and
    ``services__{name}__default__0`` (the scheme is unknown) in publish mode. The values are the URL, or
    the parameter. :meth:`~ReferenceEnvironmentFlags` of the destination choose which are set.
    """

    service: ExternalServiceResource

    def __call__(self, context: EnvironmentCallbackContext) -> None:
        from ._environment import encode_env_name

        service = self.service
        ann = context.resource.annotations.last(ReferenceEnvironmentAnnotation)
        flags = ReferenceEnvironmentFlags.ALL if ann is None else ann.flags
        key = encode_env_name(service.name).upper()
        value: Any
        if service.url is not None:
            scheme = urllib.parse.urlsplit(service.url).scheme
            endpoint_var, value = key, service.url
        else:
            value = service.url_parameter
            publishing = bool(getattr(context.execution_context, "is_publish_mode", False))
            if publishing:
                scheme, endpoint_var = "default", key
            else:
                scheme = urllib.parse.urlsplit(service.resolve_url()).scheme
                endpoint_var = f"{key}_{encode_env_name(scheme).upper()}"
        if flags & ReferenceEnvironmentFlags.ENDPOINTS:
            context.environment[endpoint_var] = value
        if flags & ReferenceEnvironmentFlags.SERVICE_DISCOVERY:
            context.environment[f"services__{service.name}__{scheme}__0"] = value


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
