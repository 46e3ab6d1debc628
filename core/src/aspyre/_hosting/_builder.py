"""The app builder and the fluent resource builders."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import re
import sys
import warnings
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import pluggy

from aspyre._eventing._bus import DistributedApplicationEventing
from aspyre._eventing._events import (
    BeforeResourceStartedEvent,
    ConnectionStringAvailableEvent,
    Event,
    InitializeResourceEvent,
    ResourceEndpointsAllocatedEvent,
    ResourceReadyEvent,
    ResourceStoppedEvent,
)
from aspyre._eventing._hookspecs import PROJECT_NAME, HookSpecs
from aspyre._hosting._config import SecretsStore, parse_args, resolve_parameter
from aspyre._model._annotations import (
    CommandLineArgsAnnotation,
    CommandLineArgsCallbackAnnotation,
    ConnectionPropertyAnnotation,
    ContainerImageAnnotation,
    ContainerImagePullPolicy,
    ContainerImagePullPolicyAnnotation,
    ContainerLifetime,
    ContainerLifetimeAnnotation,
    ContainerMountAnnotation,
    ContainerMountType,
    ContainerNameAnnotation,
    ContainerNetworkAliasAnnotation,
    ContainerRuntimeArgsAnnotation,
    DockerfileBuildAnnotation,
    EnvironmentAnnotation,
    EnvironmentCallbackAnnotation,
    EnvironmentCallbackContext,
    ExplicitStartAnnotation,
    HealthCheckAnnotation,
    HealthCheckContext,
    HealthCheckResult,
    KnownRelationshipTypes,
    ManifestPublishingCallbackAnnotation,
    MutationBehavior,
    ReferenceAnnotation,
    ReferenceEnvironmentAnnotation,
    ReferenceEnvironmentFlags,
    ResourceCommandAnnotation,
    ResourceRelationshipAnnotation,
    ResourceSnapshotAnnotation,
    ResourceUrlAnnotation,
    WaitAnnotation,
    WaitBehavior,
    WaitType,
)
from aspyre._model._endpoints import EndpointAnnotation, EndpointReference, Protocol
from aspyre._model._execution import ExecutionContext
from aspyre._model._graph import lifecycle_parent, parents_of
from aspyre._model._names import name_key, validate_name
from aspyre._model._resources import (
    ConnectionStringParameterResource,
    ConnectionStringReference,
    ConnectionStringResource,
    ContainerResource,
    ExecutableResource,
    GenerateParameterDefault,
    IResource,
    IResourceWithArgs,
    IResourceWithConnectionString,
    IResourceWithEndpoints,
    IResourceWithEnvironment,
    IResourceWithServiceDiscovery,
    IResourceWithWaitSupport,
    ParameterResource,
    PythonAppResource,
    default_python_interpreter,
)
from aspyre._model._snapshot import ResourceSnapshot
from aspyre._model._values import ReferenceExpression, SupportsResource, as_value, iter_references
from aspyre._plugins import (
    APPLIES_TO_ATTR,
    GROUP_BUILDER_METHODS,
    GROUP_HOOKS,
    GROUP_RESOURCE_METHODS,
    PluginHookError,
    PluginLoadError,
    registry,
)

if TYPE_CHECKING:
    from aspyre._hosting._app import DistributedApplication

__all__ = [
    "DISABLE_PLUGINS_ENV",
    "DistributedApplicationBuilder",
    "DuplicateResourceError",
    "ResourceBuilder",
    "volume_name",
]

#: Hook plugins to switch off in every builder of the process: names separated by commas.
DISABLE_PLUGINS_ENV = "ASPYRE_DISABLE_PLUGINS"

R = TypeVar("R", bound=IResource)
T = TypeVar("T", bound=IResource)


class DuplicateResourceError(ValueError):
    """A resource with the same (case-insensitive) name is already in the model."""


def _unwrap(obj: object) -> Any:
    if isinstance(obj, ResourceBuilder):
        return obj.resource
    return obj


def _a(noun: str) -> str:
    """``noun`` with its indefinite article (``an ExecutableResource``, ``a ContainerResource``)."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _require(resource: IResource, capability: type, label: str, method: str) -> None:
    if not isinstance(resource, capability):
        raise TypeError(
            f"{method}() needs a resource with the {label} capability ({capability.__name__}); "
            f"resource {resource.name!r} is {_a(type(resource).__name__)}, which does not have it."
        )


_IMAGE_RE = re.compile(
    r"^(?P<name>[^@]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@sha256:(?P<sha>[0-9a-fA-F]{64}))?$"
)


def parse_image(reference: str) -> tuple[str | None, str, str | None, str | None]:
    """``[registry/]image[:tag][@sha256:digest]`` -> ``(registry, image, tag, sha256)``.

    The registry is the first path segment when it looks like a host (has ``.`` or ``:``, or is
    ``localhost``).
    """
    m = _IMAGE_RE.match(reference.strip())
    if not m or not reference.strip():
        raise ValueError(f"{reference!r} is not an image reference ([registry/]image[:tag][@sha256:digest])")
    name, tag, sha = m.group("name"), m.group("tag"), m.group("sha")
    registry: str | None = None
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, name = first, rest
    return registry, name, tag, sha


def volume_name(builder: ResourceBuilder[Any], suffix: str) -> str:
    """A volume name unique to the app host and the resource: ``{app}-{hash}-{resource}-{suffix}``.

    ``app`` is the app host's directory name (characters Docker does not allow in volume names
    become ``_``), ``hash`` the first 10 hex digits of the SHA-256 of the app host's lower-cased
    path, as Aspire names generated data volumes: stable across runs of one app host, never shared
    by two app hosts by accident. Integrations use it for ``with_data_volume()``.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", suffix):
        raise ValueError(f"volume name suffix {suffix!r} must match [A-Za-z0-9][A-Za-z0-9_.-]*")
    path = builder.application_builder.app_host_path
    app = re.sub(r"[^A-Za-z0-9_.-]", "_", path.parent.name).lstrip("_.-").lower() or "aspyre"
    digest = hashlib.sha256(str(path).lower().encode()).hexdigest()[:10]
    return f"{app}-{digest}-{builder.resource.name}-{suffix}"


class ResourceBuilder(Generic[R]):
    """Fluent configuration of one resource: ``builder.add_container(...).with_endpoint(...)``.

    Every ``with_*`` method adds annotations to :attr:`resource` and returns the same builder.
    A method that needs a capability the resource lacks raises :class:`TypeError` naming it.
    Methods of installed integrations (``with_persistence``...) are found through entry points.
    """

    __slots__ = ("_app_builder", "_resource")

    #: Lets values code recognise a builder without asking the instance (whose unknown
    #: attributes are looked up among the installed extension methods).
    __aspyre_resource_builder__ = True

    def __init__(self, app_builder: DistributedApplicationBuilder, resource: R) -> None:
        self._app_builder = app_builder
        self._resource = resource

    @property
    def resource(self) -> R:
        """The resource this builder configures."""
        return self._resource

    @property
    def application_builder(self) -> DistributedApplicationBuilder:
        """The app builder the resource belongs to."""
        return self._app_builder

    @property
    def name(self) -> str:
        """The resource's name."""
        return self._resource.name

    def __repr__(self) -> str:
        return f"ResourceBuilder({self._resource!r})"

    # -- extension methods --------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        """Find ``name`` among the installed resource-builder extension methods (entry points)."""
        if name.startswith("_"):
            raise AttributeError(name)
        reg = registry()
        candidates = reg.resource_methods(name)
        matching: list[tuple[int, Callable[..., Any]]] = []
        mro = type(self._resource).__mro__
        for entry, fn in candidates:
            applies_to = getattr(fn, APPLIES_TO_ATTR, None)
            if applies_to is None:
                raise TypeError(
                    f"Extension method {name!r} from {entry.distribution} (entry point {entry.value!r}) does not "
                    "declare the resource types it applies to; decorate it with @aspyre.resource_extension(...)"
                )
            hits = [t for t in applies_to if isinstance(self._resource, t)]
            if hits:
                # The most specific first: the deepest class of the resource's MRO (a structural
                # protocol that is not a base class counts as the least specific).
                depth = min(mro.index(t) if t in mro else len(mro) for t in hits)
                matching.append((depth, fn))
        if matching:
            matching.sort(key=lambda x: x[0])
            return functools.partial(matching[0][1], self)
        for entry in reg.find(GROUP_RESOURCE_METHODS, name):
            if entry.failed and entry.error is not None:
                # The one that would have applied may be the one that is broken: say so.
                raise PluginLoadError(entry, entry.error) from entry.error
        if candidates:
            types = sorted({t.__name__ for _, fn in candidates for t in getattr(fn, APPLIES_TO_ATTR, ())})
            dists = sorted({e.distribution for e, _ in candidates})
            raise AttributeError(
                f"{name}() (from {', '.join(dists)}) applies to {', '.join(types)}; resource "
                f"{self._resource.name!r} is {_a(type(self._resource).__name__)}."
            )
        hint = reg.suggestions(name, GROUP_RESOURCE_METHODS, _public_names(type(self)))
        raise AttributeError(
            f"{type(self).__name__} for {self._resource.name!r} ({type(self._resource).__name__}) has no method "
            f"{name!r}" + (f"; {hint}" if hint else "")
        )

    # -- generic ----------------------------------------------------------------------------------
    def with_annotation(self, annotation: object, behavior: MutationBehavior = MutationBehavior.APPEND) -> Self:
        """Attach an annotation (``REPLACE`` drops existing ones of the same type)."""
        self._resource.annotations.add(annotation, behavior)
        return self

    # -- environment & args -------------------------------------------------------------------------
    def with_environment(self, name_or_callback: str | Callable[..., Any], value: object = None) -> Self:
        """Set an environment variable, or add a callback that edits the environment.

        ``value`` may be a string, a number, a parameter, an endpoint reference, a
        ReferenceExpression, a resource with a connection string, or a zero-argument callable
        evaluated when the environment is computed. ``with_environment(callback)`` calls
        ``callback(context)`` (sync or async) with ``context.environment`` to edit.
        """
        _require(self._resource, IResourceWithEnvironment, "environment", "with_environment")
        if callable(name_or_callback) and not isinstance(name_or_callback, str):
            if value is not None:
                raise TypeError("with_environment(callback) takes no value")
            return self.with_annotation(EnvironmentCallbackAnnotation(name_or_callback))
        name = name_or_callback
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise ValueError(
                f"Resource {self._resource.name!r}: {name!r} is not a valid environment variable name "
                "(non-empty, no '=' or NUL)"
            )
        if value is None:
            raise TypeError(f"Resource {self._resource.name!r}: with_environment({name!r}) needs a value")
        if (
            callable(value)
            and not isinstance(value, (SupportsResource, ReferenceExpression))
            and not hasattr(value, "get_value")
        ):
            fn = value

            def lazy(ctx: EnvironmentCallbackContext) -> None:
                ctx.environment[name] = as_value(fn())

            return self.with_annotation(EnvironmentCallbackAnnotation(lazy))
        v = as_value(_unwrap(value))
        self._relate_values(v)
        return self.with_annotation(EnvironmentAnnotation(name, v))

    def with_args(self, *args: object) -> Self:
        """Append arguments (literals or values), or ``with_args(callback)`` to edit the list."""
        _require(self._resource, IResourceWithArgs, "args", "with_args")
        if (
            len(args) == 1
            and callable(args[0])
            and not hasattr(args[0], "get_value")
            and not isinstance(args[0], (ResourceBuilder, ReferenceExpression))
        ):
            return self.with_annotation(CommandLineArgsCallbackAnnotation(args[0]))
        values = tuple(as_value(_unwrap(a)) for a in args)
        self._relate_values(*values)
        return self.with_annotation(CommandLineArgsAnnotation(values))

    def with_connection_property(self, name: str, value: object) -> Self:
        """Add a connection property (``{NAME}_{PROPERTY}`` on resources that reference this one)."""
        _require(self._resource, IResourceWithConnectionString, "connection-string", "with_connection_property")
        return self.with_annotation(ConnectionPropertyAnnotation(name, as_value(_unwrap(value))))

    # -- references ---------------------------------------------------------------------------------
    def _relate(self, other: IResource, kind: str) -> None:
        for rel in self._resource.annotations.all(ResourceRelationshipAnnotation):
            if rel.resource is other and rel.type == kind:
                return
        self._resource.annotations.add(ResourceRelationshipAnnotation(other, kind))

    def _relate_values(self, *values: object) -> None:
        """A ``Reference`` relationship to every resource a value uses (as Aspire does)."""
        for v in values:
            for obj in (v, *iter_references(v)):
                if isinstance(obj, IResource) and obj is not self._resource:
                    self._relate(obj, KnownRelationshipTypes.REFERENCE)

    def with_reference(
        self,
        source: object,
        connection_name: str | None = None,
        *,
        optional: bool = False,
        name: str | None = None,
    ) -> Self:
        """Hand ``source``'s connection information to this resource as environment variables.

        * a resource with a connection string (``cache``): ``ConnectionStrings__cache`` and one
          ``CACHE_{PROPERTY}`` per connection property (``CACHE_HOST``, ``CACHE_PORT``,
          ``CACHE_URI``...); ``connection_name`` replaces the name in both, ``optional=True``
          tolerates an empty connection string;
        * a resource with service discovery (``api``, an executable or python app): for each of
          its endpoints ``services__api__{scheme}__{i}`` (``i`` counts per scheme from 0) and
          ``API_{ENDPOINT}`` (``API_HTTP``), the endpoint's URL; ``name`` replaces the service
          name (``services__{name}__...``, ``{name}_{ENDPOINT}``, not upper-cased);
        * an endpoint reference (``api.get_endpoint("http")``, works for containers too): the
          same, for that endpoint only.

        Which of these are injected is chosen with :meth:`with_reference_environment`. Adds a
        ``Reference`` relationship.
        """
        res = self._resource
        _require(res, IResourceWithEnvironment, "environment", "with_reference")
        if connection_name is not None and not connection_name:
            raise ValueError(f"with_reference() on {res.name!r}: connection_name must not be empty")
        if name is not None and not name:
            raise ValueError(f"with_reference() on {res.name!r}: name must not be empty")
        target = _unwrap(source)
        if isinstance(target, EndpointReference):
            if connection_name is not None or optional:
                raise ValueError(
                    f"with_reference({target!r}) on {res.name!r}: an endpoint reference has no connection string; "
                    "connection_name= and optional= do not apply (use name= to rename the service)."
                )
            if not isinstance(target.resource, IResourceWithEndpoints):
                raise TypeError(f"with_reference(): resource {target.resource.name!r} has no endpoints")
            self._relate(target.resource, KnownRelationshipTypes.REFERENCE)
            return self.with_annotation(
                ReferenceAnnotation(
                    target.resource, None, False, target.endpoint_name, use_connection_string=False, service_name=name
                )
            )
        if not isinstance(target, IResource):
            raise TypeError(
                f"with_reference() takes a resource, a resource builder or an endpoint reference, not {target!r}"
            )
        if target is res:
            raise ValueError(f"Resource {res.name!r} cannot reference itself")
        has_connection_string = isinstance(target, IResourceWithConnectionString)
        has_service_discovery = isinstance(target, IResourceWithServiceDiscovery)
        if not (has_connection_string or has_service_discovery):
            hint = ""
            if isinstance(target, IResourceWithEndpoints):
                hint = f" Reference one of its endpoints instead: with_reference({target.name}.get_endpoint('<name>'))."
            raise TypeError(
                f"with_reference() needs a resource with the connection-string or the service-discovery capability "
                f"(IResourceWithConnectionString, IResourceWithServiceDiscovery); resource {target.name!r} is "
                f"{_a(type(target).__name__)}, which has neither.{hint}"
            )
        if name is not None and not has_service_discovery:
            raise ValueError(
                f"with_reference({target.name!r}, name={name!r}): named service references are only supported for "
                "resources with service discovery."
            )
        if connection_name is not None and name is not None and not has_connection_string:
            raise ValueError(
                f"with_reference({target.name!r}): specify either connection_name or name for a service-discovery "
                "reference, not both."
            )
        if optional and not has_connection_string:
            raise ValueError(
                f"with_reference({target.name!r}, optional=True): optional references are only supported for "
                "resources with a connection string."
            )
        service_name = name if has_connection_string else (name if name is not None else connection_name)
        self._relate(target, KnownRelationshipTypes.REFERENCE)
        return self.with_annotation(
            ReferenceAnnotation(
                target,
                connection_name,
                optional,
                use_connection_string=has_connection_string,
                use_service_discovery=has_service_discovery,
                service_name=service_name,
            )
        )

    def with_reference_environment(self, flags: ReferenceEnvironmentFlags) -> Self:
        """Choose which variables ``with_reference`` injects (default: all)."""
        _require(self._resource, IResourceWithEnvironment, "environment", "with_reference_environment")
        return self.with_annotation(ReferenceEnvironmentAnnotation(flags), MutationBehavior.REPLACE)

    # -- endpoints ----------------------------------------------------------------------------------
    def with_endpoint(
        self,
        port: int | None = None,
        target_port: int | None = None,
        scheme: str | None = None,
        name: str | None = None,
        env: str | None = None,
        is_proxied: bool = True,
        is_external: bool | None = None,
        protocol: Protocol = Protocol.TCP,
    ) -> Self:
        """Declare a network endpoint.

        ``port`` is the host port (``None``: a free one is chosen at run time), ``target_port``
        the port the workload listens on, ``env`` a variable that receives the target port.
        aspyre does not proxy: a process listens on the endpoint's port itself, so for
        executables ``port`` and ``target_port`` are the same number (give either).
        """
        res = self._resource
        _require(res, IResourceWithEndpoints, "endpoints", "with_endpoint")
        scheme = (scheme or Protocol(protocol).value).lower()
        ep_name = validate_name("Endpoint", name or scheme)
        for existing in res.annotations.all(EndpointAnnotation):
            if name_key(existing.name) == name_key(ep_name):
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
        elif port is not None and target_port is not None and port != target_port:
            raise ValueError(
                f"Endpoint {ep_name!r} of {res.name!r}: port={port} and target_port={target_port} differ, but "
                "aspyre does not proxy processes: a process listens on its endpoint's port itself. Give one of them."
            )
        elif port is not None and target_port is None:
            target_port = port
        if env is not None and (not env or "=" in env):
            raise ValueError(f"Endpoint {ep_name!r} of {res.name!r}: env must be a variable name, got {env!r}")
        if env is not None and not isinstance(res, IResourceWithEnvironment):
            raise TypeError(f"Endpoint {ep_name!r}: resource {res.name!r} cannot receive environment variables")
        ann = EndpointAnnotation(
            name=ep_name,
            scheme=scheme,
            protocol=Protocol(protocol),
            port=port,
            target_port=target_port,
            is_external=bool(is_external),
            is_proxied=is_proxied,
            tls_enabled=scheme == "https",
            env=env,
        )
        return self.with_annotation(ann)

    def with_http_endpoint(
        self,
        port: int | None = None,
        target_port: int | None = None,
        name: str | None = None,
        env: str | None = None,
        is_proxied: bool = True,
    ) -> Self:
        """An ``http`` endpoint (named ``http`` unless ``name`` is given)."""
        _require(self._resource, IResourceWithEndpoints, "endpoints", "with_http_endpoint")
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
        _require(self._resource, IResourceWithEndpoints, "endpoints", "with_https_endpoint")
        return self.with_endpoint(port, target_port, "https", name, env, is_proxied)

    def with_external_http_endpoints(self) -> Self:
        """Mark every http/https endpoint as external (reachable from outside when deployed)."""
        _require(self._resource, IResourceWithEndpoints, "endpoints", "with_external_http_endpoints")
        for ep in self._resource.annotations.all(EndpointAnnotation):
            if ep.scheme in ("http", "https"):
                ep.is_external = True
        return self

    def with_endpoint_configuration(self, name: str, configure: Callable[[EndpointAnnotation], None]) -> Self:
        """Edit an existing endpoint in place."""
        ref = self.get_endpoint(name)
        configure(ref.annotation)
        return self

    def get_endpoint(self, name: str) -> EndpointReference:
        """A reference to the endpoint called ``name`` (it may be added later)."""
        _require(self._resource, IResourceWithEndpoints, "endpoints", "get_endpoint")
        return EndpointReference(self._resource, name)

    # -- waits & lifecycle ----------------------------------------------------------------------------
    def _wait(
        self,
        dependency: object,
        wait_type: WaitType,
        exit_code: int,
        behavior: WaitBehavior | None,
        method: str,
        *,
        relationship: bool = True,
    ) -> Self:
        res = self._resource
        _require(res, IResourceWithWaitSupport, "wait-support", method)
        dep = _unwrap(dependency)
        if not isinstance(dep, IResource):
            raise TypeError(f"{method}() takes a resource or a resource builder, not {dep!r}")
        if dep is res:
            raise ValueError(f"The {res.name!r} resource cannot wait for itself.")
        if dep is lifecycle_parent(res):
            raise ValueError(
                f"The {res.name!r} resource cannot wait for its parent {dep.name!r}: a child already starts after "
                "its parent."
            )
        if wait_type is not WaitType.WAIT_FOR_COMPLETION:
            # As in Aspire: waiting for a child also waits for its parent (which may hold the
            # health checks), and waiting for a connection string to start also waits for the
            # resources its expression uses; no relationship is recorded for these implicit waits.
            implicit: list[IResource] = []
            dep_parent = lifecycle_parent(dep)
            if dep_parent is not None:
                implicit.append(dep_parent)
            if wait_type is WaitType.WAIT_UNTIL_STARTED and isinstance(dep, ConnectionStringResource):
                for v in dep.expression.value_providers:
                    used = v.resource if isinstance(v, ConnectionStringReference) else v
                    if isinstance(used, IResource):
                        implicit.append(used)
            for other in implicit:
                if other is not res and other is not lifecycle_parent(res):
                    self._wait(other, wait_type, exit_code, behavior, method, relationship=False)
        if relationship:
            self._relate(dep, KnownRelationshipTypes.WAIT_FOR)
        return self.with_annotation(WaitAnnotation(dep, wait_type, exit_code, behavior))

    def wait_for(self, dependency: object, behavior: WaitBehavior | None = None) -> Self:
        """Start only once ``dependency`` is Running, healthy, and its resource-ready handlers finished."""
        return self._wait(dependency, WaitType.WAIT_UNTIL_HEALTHY, 0, behavior, "wait_for")

    def wait_for_start(self, dependency: object, behavior: WaitBehavior | None = None) -> Self:
        """Start only once ``dependency`` is Running."""
        return self._wait(dependency, WaitType.WAIT_UNTIL_STARTED, 0, behavior, "wait_for_start")

    def wait_for_completion(self, dependency: object, exit_code: int = 0) -> Self:
        """Start only once ``dependency`` finished with ``exit_code`` (else fail to start)."""
        return self._wait(dependency, WaitType.WAIT_FOR_COMPLETION, exit_code, None, "wait_for_completion")

    def with_explicit_start(self) -> Self:
        """Do not start automatically: the resource stays NotStarted until ``app.start_resource(name)``."""
        return self.with_annotation(ExplicitStartAnnotation(), MutationBehavior.REPLACE)

    # -- health -------------------------------------------------------------------------------------
    def with_health_check(self, key: str, check: Callable[[HealthCheckContext], Any] | None = None) -> Self:
        """Add a health check: ``check(context)`` returns a :class:`HealthCheckResult` or a bool (sync or async).

        Without ``check``, ``key`` names a check registered with ``builder.add_health_check``.
        """
        if not isinstance(key, str) or not key:
            raise ValueError("a health check needs a non-empty key")
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
            raise TypeError(f"health check {key!r} must be callable")
        return self.with_annotation(HealthCheckAnnotation(key, check))

    def with_http_health_check(self, path: str = "/", status_code: int = 200, endpoint_name: str | None = None) -> Self:
        """Healthy when ``GET {endpoint url}{path}`` answers ``status_code``.

        The endpoint defaults to the first of ``https``, ``http``.
        """
        res = self._resource
        _require(res, IResourceWithEndpoints, "endpoints", "with_http_health_check")
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
        return self.with_health_check(key, _HttpHealthCheck(endpoint, path, status_code))

    # -- relationships & publishing -----------------------------------------------------------------
    def with_relationship(self, resource: object, type: str) -> Self:
        """A named relationship to another resource (shown by ``aspyre describe``)."""
        other = _unwrap(resource)
        if not isinstance(other, IResource):
            raise TypeError(f"with_relationship() takes a resource, not {other!r}")
        self._relate(other, type)
        return self

    def with_parent_relationship(self, parent: object) -> Self:
        """Show this resource under ``parent`` (visual only: no lifecycle coupling).

        A resource has at most one parent: declaring a different one raises ``ValueError``.
        """
        p = _unwrap(parent)
        if not isinstance(p, IResource):
            raise TypeError(f"with_parent_relationship() takes a resource, not {p!r}")
        if p is self._resource:
            raise ValueError(f"Resource {p.name!r} cannot be its own parent")
        others = [q for q in parents_of(self._resource) if q is not p]
        if others:
            raise ValueError(
                f"Resource {self._resource.name!r} already has the parent {others[0].name!r}; a resource can have "
                f"only one parent, so {p.name!r} cannot be another."
            )
        return self.with_relationship(p, KnownRelationshipTypes.PARENT)

    def exclude_from_manifest(self) -> Self:
        """Leave this resource out of published manifests."""
        return self.with_annotation(ManifestPublishingCallbackAnnotation.ignore(), MutationBehavior.REPLACE)

    def with_manifest_publishing_callback(self, callback: Callable[[Any], Awaitable[None] | None]) -> Self:
        """Write this resource's manifest entry with ``callback(context)``."""
        return self.with_annotation(ManifestPublishingCallbackAnnotation(callback), MutationBehavior.REPLACE)

    def with_url(self, url: str, display_text: str | None = None) -> Self:
        """A URL shown for the resource; a relative one (``/swagger``) is appended to each http endpoint."""
        return self.with_annotation(ResourceUrlAnnotation(url, display_text))

    def with_command(
        self,
        name: str,
        display_name: str,
        execute: Callable[..., Any],
        *,
        description: str | None = None,
        update_state: Callable[[ResourceSnapshot], str] | None = None,
        confirmation_message: str | None = None,
        is_highlighted: bool = False,
    ) -> Self:
        """A named command runnable with ``app.execute_command(resource, name)`` (replaces one of the same name).

        ``update_state(snapshot)`` says whether the command is ``"enabled"``, ``"disabled"`` or
        ``"hidden"`` right now (default: enabled). A dashboard asks the person to confirm
        ``confirmation_message`` before running it, and shows a highlighted command as a button of
        its own rather than in a menu.
        """
        for existing in self._resource.annotations.all(ResourceCommandAnnotation):
            if existing.name == name:
                self._resource.annotations.remove(existing)
        return self.with_annotation(
            ResourceCommandAnnotation(
                name,
                display_name,
                execute,
                description,
                update_state,
                confirmation_message=confirmation_message,
                is_highlighted=is_highlighted,
            )
        )

    def with_initial_state(self, snapshot: ResourceSnapshot) -> Self:
        """The snapshot the resource shows before its first update."""
        return self.with_annotation(ResourceSnapshotAnnotation(snapshot), MutationBehavior.REPLACE)

    # -- containers ---------------------------------------------------------------------------------
    def _container(self, method: str) -> ContainerResource:
        if not isinstance(self._resource, ContainerResource):
            raise TypeError(
                f"{method}() needs a container resource (ContainerResource); resource {self._resource.name!r} is "
                f"{_a(type(self._resource).__name__)}, which is not one."
            )
        return self._resource

    def _image(self, method: str) -> ContainerImageAnnotation:
        c = self._container(method)
        img = c.annotations.last(ContainerImageAnnotation)
        if img is None:
            raise ValueError(f"{method}(): container {c.name!r} has no image; call with_image() first")
        return img

    def with_image(self, image: str, tag: str | None = None) -> Self:
        """Use ``image`` (``[registry/]name[:tag]``); ``tag`` defaults to the one in ``image`` or ``latest``."""
        c = self._container("with_image")
        registry_, name, inline_tag, sha = parse_image(image)
        if inline_tag and tag:
            raise ValueError(f"Container {c.name!r}: image {image!r} already has a tag; do not also pass tag={tag!r}")
        old = c.annotations.last(ContainerImageAnnotation)
        if registry_ is None and old is not None:
            registry_ = old.registry  # as Aspire: a registry set earlier stays
        ann = ContainerImageAnnotation(name, None if sha else (tag or inline_tag or "latest"), registry_, sha)
        return self.with_annotation(ann, MutationBehavior.REPLACE)

    def with_image_tag(self, tag: str) -> Self:
        """Use another tag of the image (clears a digest)."""
        import attrs

        img = self._image("with_image_tag")
        return self.with_annotation(attrs.evolve(img, tag=tag, sha256=None), MutationBehavior.REPLACE)

    def with_image_registry(self, registry_name: str | None) -> Self:
        """Pull the image from ``registry_name`` (``None``: the default registry)."""
        import attrs

        img = self._image("with_image_registry")
        return self.with_annotation(attrs.evolve(img, registry=registry_name), MutationBehavior.REPLACE)

    def with_image_sha256(self, digest: str) -> Self:
        """Pin the image to a digest (``sha256:...`` or the bare hex; clears the tag)."""
        import attrs

        img = self._image("with_image_sha256")
        return self.with_annotation(
            attrs.evolve(img, sha256=digest.removeprefix("sha256:"), tag=None), MutationBehavior.REPLACE
        )

    def with_entrypoint(self, entrypoint: str) -> Self:
        """Replace the image's entrypoint."""
        self._container("with_entrypoint").entrypoint = entrypoint
        return self

    def with_bind_mount(self, source: str | Path, target: str, read_only: bool = False) -> Self:
        """Mount a host path; a relative ``source`` is resolved against the app host's directory."""
        self._container("with_bind_mount")
        src = Path(source).expanduser()
        if not src.is_absolute():
            src = (self._app_builder.app_host_directory / src).resolve()
        return self.with_annotation(
            ContainerMountAnnotation(str(src), target, ContainerMountType.BIND_MOUNT, read_only)
        )

    def with_volume(self, name: str | None, target: str | None = None, read_only: bool = False) -> Self:
        """A named volume (``with_volume("data", "/data")``) or an anonymous one (``with_volume("/data")``)."""
        c = self._container("with_volume")
        volume: str | None
        if target is None:
            if name is None:
                raise ValueError(f"with_volume(): container {c.name!r} needs a target path")
            volume, mount_point = None, name
        else:
            volume, mount_point = name, target
        if volume is None and read_only:
            raise ValueError(f"Container {c.name!r}: an anonymous volume cannot be read-only; give it a name")
        if not mount_point.startswith("/"):
            raise ValueError(f"Container {c.name!r}: volume target {mount_point!r} must be an absolute path")
        return self.with_annotation(ContainerMountAnnotation(volume, mount_point, ContainerMountType.VOLUME, read_only))

    def with_container_runtime_args(self, *args: str) -> Self:
        """Extra container options, as ``docker run`` flags (see docs for the supported ones)."""
        self._container("with_container_runtime_args")
        return self.with_annotation(ContainerRuntimeArgsAnnotation(tuple(str(a) for a in args)))

    def with_lifetime(self, lifetime: ContainerLifetime) -> Self:
        """``ContainerLifetime.PERSISTENT`` keeps the container across runs (reused while unchanged)."""
        self._container("with_lifetime")
        return self.with_annotation(ContainerLifetimeAnnotation(ContainerLifetime(lifetime)), MutationBehavior.REPLACE)

    def with_image_pull_policy(self, policy: ContainerImagePullPolicy) -> Self:
        """When to pull the image: missing (default), always, never."""
        self._container("with_image_pull_policy")
        return self.with_annotation(
            ContainerImagePullPolicyAnnotation(ContainerImagePullPolicy(policy)), MutationBehavior.REPLACE
        )

    def with_container_name(self, name: str) -> Self:
        """Give the container this exact name (no suffix is added)."""
        self._container("with_container_name")
        return self.with_annotation(ContainerNameAnnotation(name), MutationBehavior.REPLACE)

    def with_container_network_alias(self, alias: str) -> Self:
        """Another name the container answers to on the container network."""
        self._container("with_container_network_alias")
        return self.with_annotation(ContainerNetworkAliasAnnotation(alias))

    def with_dockerfile(
        self, context: str | Path, dockerfile: str | Path = "Dockerfile", stage: str | None = None
    ) -> Self:
        """Build the image from a Dockerfile when published (``container.v1``).

        Applies to containers and to Python apps (published as a container built from the app's
        Dockerfile instead of as an executable).
        """
        if not isinstance(self._resource, (ContainerResource, PythonAppResource)):
            raise TypeError(
                f"with_dockerfile() needs a container resource (ContainerResource) or a Python app "
                f"(PythonAppResource); resource {self._resource.name!r} is {_a(type(self._resource).__name__)}, "
                "which is neither."
            )
        ctx = Path(context)
        if not ctx.is_absolute():
            ctx = (self._app_builder.app_host_directory / ctx).resolve()
        df = Path(dockerfile)
        if not df.is_absolute():
            df = ctx / df
        return self.with_annotation(DockerfileBuildAnnotation(ctx, df, stage), MutationBehavior.REPLACE)

    # -- executables ----------------------------------------------------------------------------------
    def with_working_directory(self, path: str | Path) -> Self:
        """Run the process in ``path`` (relative paths are resolved against the app host's directory)."""
        if not isinstance(self._resource, ExecutableResource):
            raise TypeError(
                f"with_working_directory() needs an executable resource (ExecutableResource); resource "
                f"{self._resource.name!r} is {_a(type(self._resource).__name__)}, which is not one."
            )
        p = Path(path)
        self._resource.working_dir = p if p.is_absolute() else (self._app_builder.app_host_directory / p).resolve()
        return self

    # -- event shortcuts ------------------------------------------------------------------------------
    def _on(self, event_type: type[Event], handler: Callable[..., Any]) -> Self:
        self._app_builder.eventing.subscribe(event_type, handler, resource=self._resource)
        return self

    def on_initialize_resource(self, handler: Callable[[InitializeResourceEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`InitializeResourceEvent`."""
        return self._on(InitializeResourceEvent, handler)

    def on_resource_endpoints_allocated(self, handler: Callable[[ResourceEndpointsAllocatedEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`ResourceEndpointsAllocatedEvent`."""
        return self._on(ResourceEndpointsAllocatedEvent, handler)

    def on_connection_string_available(self, handler: Callable[[ConnectionStringAvailableEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`ConnectionStringAvailableEvent`."""
        return self._on(ConnectionStringAvailableEvent, handler)

    def on_before_resource_started(self, handler: Callable[[BeforeResourceStartedEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`BeforeResourceStartedEvent`."""
        return self._on(BeforeResourceStartedEvent, handler)

    def on_resource_ready(self, handler: Callable[[ResourceReadyEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`ResourceReadyEvent`."""
        return self._on(ResourceReadyEvent, handler)

    def on_resource_stopped(self, handler: Callable[[ResourceStoppedEvent], Any]) -> Self:
        """Subscribe ``handler`` to this resource's :class:`ResourceStoppedEvent`."""
        return self._on(ResourceStoppedEvent, handler)


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

        url = self.endpoint.url + self.path
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                response = await client.get(url)
        except httpx.HTTPError as exc:
            return HealthCheckResult.unhealthy(f"GET {url} failed: {type(exc).__name__}: {exc}")
        if response.status_code == self.status_code:
            return HealthCheckResult.healthy(f"GET {url} -> {response.status_code}")
        return HealthCheckResult.unhealthy(f"GET {url} -> {response.status_code}, expected {self.status_code}")


def _public_names(cls: type) -> list[str]:
    return [n for n in dir(cls) if not n.startswith("_")]


def _caller_file(depth: int = 0) -> Path | None:
    """The file of the code that called into aspyre (the app host), or ``None``.

    Walks up the stack past every frame of the ``aspyre`` package, so the answer is the same
    whether the builder was made directly or through ``create_builder`` (``depth`` is accepted
    for compatibility and ignored). ``None`` when that code has no file (``python -c``, a REPL).
    """
    frame = inspect.currentframe()
    try:
        frame = frame.f_back if frame is not None else None
        while frame is not None:
            module = str(frame.f_globals.get("__name__", ""))
            if module != "aspyre" and not module.startswith("aspyre."):
                break
            frame = frame.f_back
        if frame is None:
            return None
        f = frame.f_globals.get("__file__")
        return Path(f).resolve() if f else None
    finally:
        del frame


def _failing_hook_plugin(pm: pluggy.PluginManager, hook_name: str, exc: BaseException) -> str | None:
    """The name of the plugin whose implementation of ``hook_name`` raised ``exc``, if one did."""
    codes = {
        impl.function.__code__: impl.plugin_name
        for impl in getattr(pm.hook, hook_name).get_hookimpls()
        if hasattr(impl.function, "__code__")
    }
    tb = exc.__traceback__
    found: str | None = None
    while tb is not None:
        name = codes.get(tb.tb_frame.f_code)
        if name is not None:
            found = name
        tb = tb.tb_next
    return found


class DistributedApplicationBuilder:
    """Collects resources, then :meth:`build` validates them into a :class:`DistributedApplication`.

    Create one with :meth:`DistributedApplication.create_builder`. Methods of installed
    integrations (``add_redis``, ``add_postgres``...) are found through entry points.

    Creating a builder reads the command line (``args``, default ``sys.argv[1:]``) into
    :attr:`execution_context`, makes one pluggy ``PluginManager`` for the project ``aspyre``,
    registers every ``aspyre.hooks`` entry point with it (a plugin that cannot be loaded or
    registered is reported with a ``RuntimeWarning`` and listed in :attr:`plugin_load_errors`,
    the others still load) and calls the ``aspyre_configure_builder`` hook.
    """

    def __init__(
        self,
        args: Sequence[str] | None = None,
        *,
        app_host_path: str | Path | None = None,
        load_plugins: bool = True,
    ) -> None:
        if args is None:
            args = sys.argv[1:]
        parsed = parse_args(args)
        self.args: tuple[str, ...] = tuple(args)
        self.remaining_args: tuple[str, ...] = parsed.remaining
        self.execution_context: ExecutionContext = parsed.execution_context
        if app_host_path is None:
            app_host_path = _caller_file() or Path.cwd() / "apphost.py"
        self.app_host_path: Path = Path(app_host_path).resolve()
        self._resources: list[IResource] = []
        self._by_key: dict[str, IResource] = {}
        self._secrets_store: SecretsStore | None = None
        self.health_checks: dict[str, Callable[[HealthCheckContext], Any]] = {}
        self.plugin_manager = pluggy.PluginManager(PROJECT_NAME)
        self.plugin_manager.add_hookspecs(HookSpecs)
        self.plugin_load_errors: list[PluginLoadError] = []
        self.eventing = DistributedApplicationEventing(self.plugin_manager)
        self._built = False
        self._disabled_plugins: set[str] = {
            n.strip() for n in os.environ.get(DISABLE_PLUGINS_ENV, "").split(",") if n.strip()
        }
        if load_plugins:
            self._load_hook_plugins()
        try:
            self.plugin_manager.hook.aspyre_configure_builder(builder=self)
        except Exception as exc:
            plugin = _failing_hook_plugin(self.plugin_manager, "aspyre_configure_builder", exc)
            if plugin is None:
                raise
            raise PluginHookError(
                f"The aspyre_configure_builder hook of plugin {plugin!r} failed: {type(exc).__name__}: {exc}. "
                "Fix or uninstall that plugin."
            ) from exc

    # -- plugins ------------------------------------------------------------------------------------
    def _load_hook_plugins(self) -> None:
        pm = self.plugin_manager
        for entry in registry().entries(GROUP_HOOKS):
            plugin_name = f"{entry.distribution}:{entry.name}"
            if entry.name in self._disabled_plugins or plugin_name in self._disabled_plugins:
                pm.set_blocked(plugin_name)  # not even imported
                continue
            try:
                plugin = entry.load()
            except PluginLoadError as exc:
                self._report_plugin_error(exc)
                continue
            if pm.is_registered(plugin) or pm.has_plugin(plugin_name):
                continue
            try:
                pm.register(plugin, name=plugin_name)
                pm.check_pending()  # a hook this version of aspyre does not know
            except Exception as exc:
                if pm.is_registered(plugin):
                    pm.unregister(plugin)
                self._report_plugin_error(PluginLoadError(entry, exc, stage="could not be registered"))

    def disable_plugin(self, name: str) -> bool:
        """Switch off the hook plugin ``name`` for this builder and the app built from it.

        ``name`` is the plugin's entry-point name in the ``aspyre.hooks`` group (``dashboard``) or
        ``distribution:name``. Its hook implementations are unregistered and it cannot be registered
        again (pluggy's ``set_blocked``); hooks that already ran (``aspyre_configure_builder``) are
        not undone, so call it before the app starts. Returns whether a registered plugin matched.

        The environment variable ``ASPYRE_DISABLE_PLUGINS`` (names separated by commas) does the
        same for every builder of the process, before the plugins are even imported.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"disable_plugin() needs a plugin name, got {name!r}")
        name = name.strip()
        self._disabled_plugins.add(name)
        pm = self.plugin_manager
        matched = False
        for registered, _plugin in pm.list_name_plugin():
            if registered is not None and (registered == name or registered.partition(":")[2] == name):
                pm.set_blocked(registered)
                matched = True
        return matched

    @property
    def disabled_plugins(self) -> frozenset[str]:
        """The plugin names switched off (:meth:`disable_plugin` and ``ASPYRE_DISABLE_PLUGINS``)."""
        return frozenset(self._disabled_plugins)

    def _report_plugin_error(self, error: PluginLoadError) -> None:
        self.plugin_load_errors.append(error)
        warnings.warn(f"aspyre: {error}", RuntimeWarning, stacklevel=2)

    def __getattr__(self, name: str) -> Any:
        """Find ``name`` among the installed builder extension methods (entry points)."""
        if name.startswith("_"):
            raise AttributeError(name)
        fn = registry().builder_method(name)
        if fn is None:
            hint = registry().suggestions(name, GROUP_BUILDER_METHODS, _public_names(type(self)))
            raise AttributeError(
                f"DistributedApplicationBuilder has no method {name!r}" + (f"; {hint}" if hint else "")
            )
        return functools.partial(fn, self)

    @property
    def secrets_store(self) -> SecretsStore:
        """Where generated parameter values of this app host are kept (see :class:`SecretsStore`)."""
        if self._secrets_store is None:
            self._secrets_store = SecretsStore(self.app_host_path)
        return self._secrets_store

    def _resolve_parameter(self, parameter: ParameterResource) -> None:
        # Publish mode never writes generated values: nothing is going to run with them.
        store = None if self.execution_context.is_publish_mode else self.secrets_store
        resolve_parameter(parameter, store)

    # -- paths & modes ------------------------------------------------------------------------------
    @property
    def app_host_directory(self) -> Path:
        """The directory of the app host file: relative paths are resolved against it."""
        return self.app_host_path.parent

    def _path(self, p: str | Path) -> Path:
        path = Path(p).expanduser()
        return path if path.is_absolute() else (self.app_host_directory / path).resolve()

    # -- resources ----------------------------------------------------------------------------------
    @property
    def resources(self) -> tuple[IResource, ...]:
        """The resources added so far, in order."""
        return tuple(self._resources)

    def add_resource(self, resource: T) -> ResourceBuilder[T]:
        """Add a resource to the model; names are unique case-insensitively."""
        if self._built:
            raise RuntimeError("build() was already called: the model can no longer grow")
        if not isinstance(resource, IResource):
            raise TypeError(f"add_resource() needs a resource (name + annotations), got {resource!r}")
        validate_name("Resource", resource.name)
        existing = self._index_by_key().get(name_key(resource.name))
        if existing is not None:
            if existing is resource:
                raise ValueError(f"Resource {resource.name!r} was already added")
            raise DuplicateResourceError(
                f"Cannot add resource of type {type(resource).__name__} with name {resource.name!r} because "
                f"resource of type {type(existing).__name__} with that name already exists. Resource names "
                "are case-insensitive."
            )
        if isinstance(resource, ParameterResource) and not resource.has_resolver:
            resource.set_resolver(self._resolve_parameter)
        self._resources.append(resource)
        self._by_key[name_key(resource.name)] = resource
        return ResourceBuilder(self, resource)

    def _index_by_key(self) -> dict[str, IResource]:
        # Kept in step with add_resource; rebuilt if the list was changed by other means.
        if len(self._by_key) != len(self._resources):
            self._by_key = {}
            for r in self._resources:
                self._by_key.setdefault(name_key(r.name), r)
        return self._by_key

    def create_resource_builder(self, resource: T) -> ResourceBuilder[T]:
        """A builder for a resource that is already in the model (or any resource object)."""
        return ResourceBuilder(self, resource)

    def add_health_check(self, key: str, check: Callable[[HealthCheckContext], Any]) -> None:
        """Register a named health check for ``with_health_check(key)``."""
        if key in self.health_checks:
            raise ValueError(f"A health check named {key!r} is already registered")
        self.health_checks[key] = check

    def add_container(self, name: str, image: str, tag: str | None = None) -> ResourceBuilder[ContainerResource]:
        """A container from ``image`` (``[registry/]name[:tag]``); ``tag`` defaults to ``latest``."""
        validate_name("Resource", name)
        _, _, inline_tag, _ = parse_image(image)  # a bad image reference fails before anything is added
        if inline_tag and tag:
            raise ValueError(f"Container {name!r}: image {image!r} already has a tag; do not also pass tag={tag!r}")
        builder = self.add_resource(ContainerResource(name))
        return builder.with_image(image, tag)

    def add_executable(
        self, name: str, command: str, *args: object, working_dir: str | Path | None = None
    ) -> ResourceBuilder[ExecutableResource]:
        """A process: ``command`` with ``args``, in ``working_dir`` (default: the app host's directory)."""
        if not command:
            raise ValueError(f"Executable {name!r} needs a command")
        wd = self._path(working_dir) if working_dir is not None else self.app_host_directory
        builder = self.add_resource(ExecutableResource(name, command=command, working_dir=wd))
        if args:
            builder.with_args(*args)
        return builder

    def add_python_app(
        self,
        name: str,
        script_path: str | Path | None = None,
        *args: object,
        module: str | None = None,
        interpreter: str | Path | None = None,
        venv: str | Path | None = None,
        working_dir: str | Path | None = None,
    ) -> ResourceBuilder[PythonAppResource]:
        """A Python app: ``script_path`` (or ``module=``) run by a Python interpreter.

        The interpreter is ``interpreter``, else ``venv``'s, else ``<app dir>/.venv``'s, else
        the one running the app host. The working directory defaults to the script's directory
        (the app host's for a module).
        """
        if (script_path is None) == (module is None):
            raise ValueError(f"Python app {name!r}: give either a script path or module=, not both or neither")
        script: Path | None = None
        if script_path is not None:
            script = self._path(script_path)
            app_dir = script.parent
        else:
            app_dir = self.app_host_directory
        wd = self._path(working_dir) if working_dir is not None else app_dir
        if interpreter is not None:
            command = str(self._path(interpreter)) if ("/" in str(interpreter)) else str(interpreter)
        else:
            command = default_python_interpreter(app_dir, self._path(venv) if venv is not None else None)
        res = PythonAppResource(name, command=command, working_dir=wd, script_path=script, module=module)
        builder = self.add_resource(res)
        if args:
            builder.with_args(*args)
        return builder

    def add_parameter(
        self,
        name: str,
        value: str | None = None,
        *,
        secret: bool = False,
        default: str | GenerateParameterDefault | None = None,
        publish_value_as_default: bool = False,
        description: str | None = None,
    ) -> ResourceBuilder[ParameterResource]:
        """A parameter: a value from the environment (``Parameters__{name}``), code, or a default.

        ``default=GenerateParameterDefault()`` generates a random value on first run and keeps
        it in the app host's secrets store.
        """
        if secret and publish_value_as_default:
            raise ValueError(f"Parameter {name!r}: a secret value cannot be published as the manifest default")
        if value is not None and not isinstance(value, str):
            raise TypeError(f"Parameter {name!r}: value must be a str")
        res = ParameterResource(
            name,
            secret=secret,
            value_in_code=value,
            default=default,
            publish_value_as_default=publish_value_as_default,
            description=description,
        )
        return self.add_resource(res)

    def add_connection_string(
        self,
        name: str,
        expression: ReferenceExpression | str | None = None,
        *,
        environment_variable: str | None = None,
    ) -> ResourceBuilder[Any]:
        """A connection string: composed from values (``expression``), or supplied from outside.

        Without ``expression`` the value comes from the environment variable
        ``ConnectionStrings__{name}``; references receive it as usual.
        """
        if expression is None:
            return self.add_resource(
                ConnectionStringParameterResource(name, secret=True, environment_variable=environment_variable)
            )
        if isinstance(expression, str):
            expression = ReferenceExpression.format(expression.replace("{", "{{").replace("}", "}}"))
        if not isinstance(expression, ReferenceExpression):
            raise TypeError(f"Connection string {name!r}: expression must be a ReferenceExpression or a str")
        return self.add_resource(
            ConnectionStringResource(name, expression=expression, environment_variable=environment_variable)
        )

    # -- build ----------------------------------------------------------------------------------------
    def build(self) -> DistributedApplication:
        """Validate the model (every problem in one :class:`ModelValidationError`) and make the app."""
        from aspyre._hosting._app import DistributedApplication
        from aspyre._model._graph import ModelValidationError, validate_model

        problems = validate_model(self._resources)
        if problems:
            raise ModelValidationError(problems)
        self._built = True
        return DistributedApplication(self)
