"""Endpoints: the network addresses a resource listens on (Aspire's endpoint extensions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from aspyre._model._endpoints import (
    EndpointAnnotation,
    EndpointProtocol,
    EndpointReference,
    _default_transport,
    _protocol_value,
)
from aspyre._model._names import name_key, validate_name
from aspyre._model._resources import ContainerResource, IResource, IResourceWithEndpoints, IResourceWithEnvironment

from ._base import WITH_ENDPOINTS, R_co, ResourceBuilderBase, check_type, invalid, require
from ._shared import SharedValues

__all__ = ["EndpointMethods"]

_PORT = "an int between 1 and 65535, or None"


def _check_endpoint_arguments(
    res: IResource,
    port: object,
    target_port: object,
    scheme: object,
    name: object,
    env: object,
    is_proxied: object,
    is_external: object,
) -> None:
    """The types and ranges ``with_endpoint`` needs, checked before anything is recorded (in this order)."""
    if port is not None:
        _check_port(res, "port", port)
    if target_port is not None:
        _check_port(res, "target_port", target_port)
    if scheme is not None and type(scheme) is not str:
        check_type(res, "with_endpoint", "scheme", scheme, str, "a str or None")
    if name is not None and type(name) is not str:
        check_type(res, "with_endpoint", "name", name, str, "a str or None")
    if env is not None and type(env) is not str:
        check_type(res, "with_endpoint", "env", env, str, "a str or None")
    if type(is_proxied) is not bool:
        check_type(res, "with_endpoint", "is_proxied", is_proxied, bool, "a bool")
    if is_external is not None and type(is_external) is not bool:
        check_type(res, "with_endpoint", "is_external", is_external, bool, "a bool or None")


def _check_port(res: IResource, param: str, value: object) -> None:
    if type(value) is not int:
        check_type(res, "with_endpoint", param, value, int, _PORT)
    assert isinstance(value, int)
    if not 0 < value < 65536:
        raise invalid(res, "with_endpoint", f"{param} must be {_PORT}, not {value}")


class EndpointMethods(ResourceBuilderBase[R_co]):
    """``with_endpoint`` and its http/https forms, ``with_endpoint_configuration``, ``get_endpoint``."""

    __slots__ = ()

    def with_endpoint(
        self,
        port: int | None = None,
        target_port: int | None = None,
        scheme: str | None = None,
        name: str | None = None,
        env: str | None = None,
        is_proxied: bool = True,
        is_external: bool | None = None,
        protocol: EndpointProtocol = EndpointProtocol.TCP,
    ) -> Self:
        """Declare a network endpoint.

        ``port`` is the host port (``None``: a free one is chosen at run time), ``target_port``
        the port the workload listens on, ``env`` a variable that receives the target port.
        aspyre does not proxy: a process listens on the endpoint's port itself, so for
        executables ``port`` and ``target_port`` are the same number (give either).
        """
        res = self._resource
        if type(res) not in WITH_ENDPOINTS:
            require(res, IResourceWithEndpoints, "endpoints", "with_endpoint")
        _check_endpoint_arguments(res, port, target_port, scheme, name, env, is_proxied, is_external)
        try:
            if type(protocol) is not EndpointProtocol:
                protocol = EndpointProtocol(protocol)
        except ValueError:
            choices = ", ".join(f"EndpointProtocol.{p.name} ({p.value!r})" for p in EndpointProtocol)
            raise invalid(res, "with_endpoint", f"{protocol!r} is not a protocol; use one of {choices}") from None
        scheme = (scheme or _protocol_value(protocol)).lower()
        ep_name = validate_name("Endpoint", name or scheme)
        for existing in res.annotations._items:  # read in place (``all`` would copy them first)
            if isinstance(existing, EndpointAnnotation) and name_key(existing.name) == name_key(ep_name):
                raise ValueError(
                    f"Endpoint with name {ep_name!r} already exists on resource {res.name!r}. "
                    "Endpoint names are case-insensitive; pass name= to add another one."
                )
        if isinstance(res, ContainerResource):
            if target_port is None:
                if port is None:
                    raise ValueError(
                        f"Endpoint {ep_name!r} of container {res.name!r} needs target_port: the port the "
                        "process inside the container listens on."
                    )
                target_port = port
        elif port is not None and target_port is not None and port != target_port and not is_proxied:
            raise ValueError(
                f"Endpoint {ep_name!r} of {res.name!r}: port={port} and target_port={target_port} differ, but the "
                "endpoint is not proxied (is_proxied=False): the process listens on its endpoint's port itself. "
                "Give one of them, or let the proxy listen on port and forward to target_port."
            )
        elif port is not None and target_port is None and not (is_proxied and env is not None):
            target_port = port  # the process listens on port itself (with env=, the proxy listens on it)
        if env is not None and (not env or "=" in env):
            raise ValueError(f"Endpoint {ep_name!r} of {res.name!r}: env must be a variable name, got {env!r}")
        if env is not None and not isinstance(res, IResourceWithEnvironment):
            raise TypeError(f"Endpoint {ep_name!r}: resource {res.name!r} cannot receive environment variables")
        ann = EndpointAnnotation(
            name=ep_name,
            scheme=scheme,
            protocol=protocol,
            transport=_default_transport(scheme, protocol),  # what the annotation would set itself, at once
            port=port,
            target_port=target_port,
            is_external=bool(is_external),
            is_proxied=is_proxied,
            tls_enabled=scheme == "https",
            env=env,
        )
        res.annotations.add(ann)
        return self

    def with_http_endpoint(
        self,
        port: int | None = None,
        target_port: int | None = None,
        name: str | None = None,
        env: str | None = None,
        is_proxied: bool = True,
    ) -> Self:
        """An ``http`` endpoint (named ``http`` unless ``name`` is given)."""
        if type(self._resource) not in WITH_ENDPOINTS:
            require(self._resource, IResourceWithEndpoints, "endpoints", "with_http_endpoint")
        return self.with_endpoint(port, target_port, "http", name, env, is_proxied)

    def with_https_endpoint(
        self,
        port: int | None = None,
        target_port: int | None = None,
        name: str | None = None,
        env: str | None = None,
        is_proxied: bool = True,
    ) -> Self:
        """An ``https`` endpoint (named ``https`` unless ``name`` is given)."""
        require(self._resource, IResourceWithEndpoints, "endpoints", "with_https_endpoint")
        return self.with_endpoint(port, target_port, "https", name, env, is_proxied)

    def with_external_http_endpoints(self) -> Self:
        """Mark every http/https endpoint as external (reachable from outside when deployed)."""
        require(self._resource, IResourceWithEndpoints, "endpoints", "with_external_http_endpoints")
        for ep in self._resource.annotations.all(EndpointAnnotation):
            if ep.scheme in ("http", "https"):
                ep.is_external = True
        return self

    def with_endpoint_configuration(self, name: str, configure: Callable[[EndpointAnnotation], None]) -> Self:
        """Edit an existing endpoint in place."""
        if not callable(configure):
            raise invalid(self._resource, "with_endpoint_configuration", "configure must be callable", TypeError)
        ref = self.get_endpoint(name)
        configure(ref.annotation)
        return self

    def get_endpoint(self, name: str) -> EndpointReference:
        """A reference to the endpoint called ``name`` (it may be added later)."""
        res = self._resource
        if type(res) not in WITH_ENDPOINTS:
            require(res, IResourceWithEndpoints, "endpoints", "get_endpoint")
        shared: SharedValues | None = getattr(self._app_builder, "_shared", None)  # one per resource and name
        return EndpointReference(res, name) if shared is None else shared.endpoint(res, name)
