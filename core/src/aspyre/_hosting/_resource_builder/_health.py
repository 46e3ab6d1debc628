"""Health: when a running resource counts as healthy (Aspire's health-check extensions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from aspyre._model._annotations import HealthCheckAnnotation
from aspyre._model._endpoints import EndpointAnnotation, EndpointReference
from aspyre._model._names import name_key
from aspyre._model._resources import IResourceWithEndpoints

from ._base import R_co, ResourceBuilderBase, check_type, invalid, require

if TYPE_CHECKING:
    from aspyre._model._callback_contexts import HealthCheckContext, HealthCheckResult
    from aspyre._model._external import ExternalServiceResource

__all__ = ["HealthMethods"]


class HealthMethods(ResourceBuilderBase[R_co]):
    """``with_health_check`` and ``with_http_health_check``."""

    __slots__ = ()

    def with_health_check(self, key: str, check: Callable[[HealthCheckContext], Any] | None = None) -> Self:
        """Add a health check: ``check(context)`` returns a :class:`HealthCheckResult` or a bool (sync or async).

        Without ``check``, ``key`` names a check registered with ``builder.add_health_check``.
        """
        if not isinstance(key, str) or not key:
            raise invalid(self._resource, "with_health_check", "a health check needs a non-empty str key")
        for existing in self._resource.annotations.all(HealthCheckAnnotation):
            if existing.key == key:
                raise ValueError(f"Resource {self._resource.name!r} already has a health check {key!r}")
        if check is None:
            check = self._app_builder.health_checks.get(key)
            if check is None:
                raise KeyError(
                    f"No health check registered as {key!r}: register it with builder.add_health_check({key!r}, fn) "
                    "or pass the function: with_health_check(key, fn)"
                )
        if not callable(check):
            raise invalid(
                self._resource, "with_health_check", f"health check {key!r} must be callable (a function of the context)",
                TypeError,
            )
        return self.with_annotation(HealthCheckAnnotation(key, check))

    def with_http_health_check(self, path: str = "/", status_code: int = 200, endpoint_name: str | None = None) -> Self:
        """Healthy when ``GET {endpoint url}{path}`` answers ``status_code``.

        The endpoint defaults to the first of ``https``, ``http``. On an external service, ``GET {url}`` (the
        default path) or the URL joined with ``path`` (``health`` is relative to the URL, ``/health`` to its host).
        """
        from aspyre._model._external import ExternalServiceResource

        res = self._resource
        if isinstance(res, ExternalServiceResource):
            return self._external_health_check(res, path, status_code)
        require(res, IResourceWithEndpoints, "endpoints", "with_http_health_check")
        check_type(res, "with_http_health_check", "path", path, str, "a str (the URL path, '/health')")
        check_type(res, "with_http_health_check", "status_code", status_code, int, "an int (200)")
        if endpoint_name is not None:
            check_type(res, "with_http_health_check", "endpoint_name", endpoint_name, str, "a str or None")
        if not path.startswith("/"):
            path = "/" + path
        if endpoint_name is None:
            names = {name_key(e.name): e.name for e in res.annotations.all(EndpointAnnotation)}
            endpoint_name = names.get("https") or names.get("http")
            if endpoint_name is None:
                raise ValueError(
                    f"with_http_health_check(): resource {res.name!r} has no 'http' or 'https' endpoint; add one "
                    "first or pass endpoint_name="
                )
        endpoint = EndpointReference(res, endpoint_name)
        key = f"{res.name}_{endpoint_name}_{path}_{status_code}_check"
        self.with_health_check(key, _HttpHealthCheck(endpoint, path, status_code))
        # Deployment targets cannot run the app host's check: they probe the same path themselves.
        from aspyre._model._deployment_extras import EndpointProbeAnnotation

        return self.with_annotation(EndpointProbeAnnotation(endpoint_name=endpoint_name, path=path))

    def _external_health_check(self, res: ExternalServiceResource, path: str | None, status_code: int) -> Self:
        """An external service's check: ``GET {url}{path}`` (the path relative to the URL) answers ``status_code``."""
        if path is not None:
            check_type(res, "with_http_health_check", "path", path, str, "a str (a relative URL path, 'health')")
        if path == "/":  # the default: the service's URL itself
            path = None
        check_type(res, "with_http_health_check", "status_code", status_code, int, "an int (200)")
        import urllib.parse  # here, not with the builder: urllib.parse brings ipaddress

        if res.url is not None and urllib.parse.urlsplit(res.url).scheme not in ("http", "https"):
            raise invalid(
                res, "with_http_health_check", f"the URL {res.url!r} is not http(s): it cannot be checked over HTTP"
            )
        key = f"{res.name}_external{'_' + path if path else ''}_{status_code}_check"
        return self.with_health_check(key, _ExternalHttpHealthCheck(res, path, status_code))


async def _get(url: str, status_code: int) -> HealthCheckResult:
    import httpx

    from aspyre._model._callback_contexts import HealthCheckResult

    try:
        async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        return HealthCheckResult.unhealthy(f"GET {url} failed: {type(exc).__name__}: {exc}")
    if response.status_code == status_code:
        return HealthCheckResult.healthy(f"GET {url} -> {response.status_code}")
    return HealthCheckResult.unhealthy(f"GET {url} -> {response.status_code}, expected {status_code}")


class _ExternalHttpHealthCheck:
    """GET an external service's URL (+ a relative path); healthy on the expected status code."""

    def __init__(self, service: ExternalServiceResource, path: str | None, status_code: int) -> None:
        self.service = service
        self.path = path
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"ExternalHttpHealthCheck({self.service.name}{'/' + self.path if self.path else ''})"

    async def __call__(self, context: HealthCheckContext) -> HealthCheckResult:
        import urllib.parse

        from aspyre._model._callback_contexts import HealthCheckResult

        try:
            url = self.service.resolve_url()
        except Exception as exc:
            return HealthCheckResult.unhealthy(str(exc))
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            return HealthCheckResult.unhealthy(f"the URL {url!r} is not http(s): it cannot be checked over HTTP")
        if self.path:
            url = urllib.parse.urljoin(url, self.path)
        return await _get(url, self.status_code)


class _HttpHealthCheck:
    """GET an endpoint's URL + path; healthy on the expected status code."""

    def __init__(self, endpoint: EndpointReference, path: str, status_code: int) -> None:
        self.endpoint = endpoint
        self.path = path
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"HttpHealthCheck({self.endpoint.resource.name}.{self.endpoint.endpoint_name}{self.path})"

    async def __call__(self, context: HealthCheckContext) -> HealthCheckResult:
        import httpx

        from aspyre._model._callback_contexts import HealthCheckResult

        url = self.endpoint.url + self.path
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                response = await client.get(url)
        except httpx.HTTPError as exc:
            return HealthCheckResult.unhealthy(f"GET {url} failed: {type(exc).__name__}: {exc}")
        if response.status_code == self.status_code:
            return HealthCheckResult.healthy(f"GET {url} -> {response.status_code}")
        return HealthCheckResult.unhealthy(f"GET {url} -> {response.status_code}, expected {self.status_code}")
