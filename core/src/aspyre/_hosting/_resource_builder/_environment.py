"""Environment, arguments and references: what a resource is told about the others
(Aspire's ``ResourceBuilderExtensions`` for environment, args and ``WithReference``)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Self, cast

from aspyre._model._annotations import (
    CommandLineArgsAnnotation,
    CommandLineArgsCallbackAnnotation,
    EnvironmentAnnotation,
    EnvironmentCallbackAnnotation,
    KnownRelationshipTypes,
    MutationBehavior,
)
from aspyre._model._endpoints import EndpointReference
from aspyre._model._on_first_use import reference_annotation
from aspyre._model._resources import (
    IResource,
    IResourceWithArgs,
    IResourceWithConnectionString,
    IResourceWithEndpoints,
    IResourceWithEnvironment,
    IResourceWithServiceDiscovery,
)
from aspyre._model._values import VALUE_KINDS, ReferenceExpression, SupportsResource, as_value, none_value_error

from ._base import (
    _RESOURCE_TYPES,
    WITH_ARGS,
    WITH_ENVIRONMENT,
    R_co,
    ResourceBuilderBase,
    _is_resource,
    a_noun,
    check_type,
    invalid,
    require,
    unwrap,
)
from ._shared import SharedValues

if TYPE_CHECKING:
    from aspyre._model._callback_contexts import CommandLineArgsCallbackContext, EnvironmentCallbackContext
    from aspyre._model._dependencies import (
        ReferenceEnvironmentFlags,
    )

__all__ = ["EnvironmentMethods"]

#: ``with_environment(name)`` without a value (``None`` is a value, and an error).
_MISSING: Any = object()


def _as_value(resource: IResource, method: str, what: str, value: object) -> object:
    """``as_value(value)``, or an error naming the resource, the method and ``what`` (never the value itself)."""
    if value is None:
        raise none_value_error(resource, what, f"{method}()")
    if isinstance(value, (list, tuple, set, dict)):
        hint = " pass each argument separately (unpack a list with *items)" if what.startswith("argument") else ""
        raise invalid(resource, method, f"{what} must be {VALUE_KINDS}, not {type(value).__name__};{hint}".rstrip(";"), TypeError)
    try:
        return as_value(unwrap(value))
    except TypeError:
        raise invalid(resource, method, f"{what} must be {VALUE_KINDS}, not {type(value).__name__}", TypeError) from None


#: Whether a resource type has the connection-string and the service-discovery capability (a protocol's
#: ``isinstance`` is Python code: asked once per type).
_REFERENCE_CAPABILITIES: dict[type, tuple[bool, bool]] = {}


def _reference_capabilities(target: object) -> tuple[bool, bool]:
    answer = (isinstance(target, IResourceWithConnectionString), isinstance(target, IResourceWithServiceDiscovery))
    if target.__class__ is type(target):  # not a proxy that claims another class: the answer holds for its type
        _REFERENCE_CAPABILITIES[type(target)] = answer
    return answer


#: The types whose values ``as_value`` gives back unchanged (seen so far).
_ITSELF: set[type] = {str}


class EnvironmentMethods(ResourceBuilderBase[R_co]):
    """``with_environment``, ``with_args``, ``with_connection_property``, ``with_reference``, ``with_otlp_exporter``."""

    __slots__ = ()

    def with_environment(self, name_or_callback: str | Callable[..., Any], value: object = _MISSING) -> Self:
        """Set an environment variable, or add a callback that edits the environment.

        ``value`` may be a string, a number, a parameter, an endpoint reference, a
        ReferenceExpression, a resource with a connection string, or a zero-argument callable
        evaluated when the environment is computed. ``with_environment(callback)`` calls
        ``callback(context)`` (sync or async) with ``context.environment`` to edit.

        ``None`` is not a value, here or from a callable: it raises :class:`TypeError` naming the
        resource and the variable (at this call, or when the resource starts for a callable).
        """
        res = self._resource
        if type(res) not in WITH_ENVIRONMENT:
            require(res, IResourceWithEnvironment, "environment", "with_environment")
        if callable(name_or_callback) and not isinstance(name_or_callback, str):
            if value is not _MISSING:
                raise invalid(res, "with_environment", "with_environment(callback) takes no value", TypeError)
            return self.with_annotation(EnvironmentCallbackAnnotation(name_or_callback))
        name = name_or_callback
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise ValueError(
                f"Resource {res.name!r}: {name!r} is not a valid environment variable name (non-empty, no '=' or NUL)"
            )
        if value is _MISSING:
            raise TypeError(f"Resource {res.name!r}: with_environment({name!r}) needs a value")
        if type(value) is str:  # most values: nothing to check, nothing to relate
            return self.with_annotation(EnvironmentAnnotation(name, value))
        if (
            callable(value)
            and not isinstance(value, (SupportsResource, ReferenceExpression))
            and not hasattr(value, "get_value")
        ):
            fn = value
            what = f"the value of environment variable {name!r}"

            def lazy(ctx: EnvironmentCallbackContext) -> None:
                result = fn()
                if result is None:
                    raise none_value_error(res, what, f"returned by the callable given to with_environment({name!r})")
                ctx.environment[name] = _as_value(res, "with_environment", what, result)

            return self.with_annotation(EnvironmentCallbackAnnotation(lazy))
        if type(value) in _ITSELF:  # a value of a type that stands for itself (a parameter, an endpoint...)
            v = value
        else:
            target = value.resource if isinstance(value, ResourceBuilderBase) else value  # what ``unwrap`` gives
            if type(target) in _ITSELF:  # the builder of one (a parameter's)
                v = target
            else:
                v = _as_value(res, "with_environment", f"the value of environment variable {name!r}", value)
                if v is target and target.__class__ is type(target) and not isinstance(target, (bool, int, float)):
                    _ITSELF.add(type(target))
        if type(v) is not str:
            self._relate_value(v)
        res.annotations.add(EnvironmentAnnotation(name, v))
        return self

    def with_args(self, *args: object) -> Self:
        """Append arguments (literals or values), or ``with_args(callback)`` to edit the list.

        Each argument is its own parameter (unpack a list with ``*items``); ``None`` is not a value.
        """
        res = self._resource
        if type(res) not in WITH_ARGS:
            require(res, IResourceWithArgs, "args", "with_args")
        if (
            len(args) == 1
            and callable(args[0])
            and not hasattr(args[0], "get_value")
            and not isinstance(args[0], (ResourceBuilderBase, ReferenceExpression))
        ):
            callback = cast("Callable[[CommandLineArgsCallbackContext], Awaitable[None] | None]", args[0])
            return self.with_annotation(CommandLineArgsCallbackAnnotation(callback))
        for a in args:
            if type(a) is not str:
                break
        else:  # literals only: nothing to check, nothing to relate
            res.annotations.add(CommandLineArgsAnnotation(args))
            return self
        values = tuple(_as_value(res, "with_args", f"argument {i}", a) for i, a in enumerate(args, 1))
        self._relate_values(*values)
        return self.with_annotation(CommandLineArgsAnnotation(values))

    def with_connection_property(self, name: str, value: object) -> Self:
        """Add a connection property (``{NAME}_{PROPERTY}`` on resources that reference this one)."""
        from aspyre._model._dependencies import ConnectionPropertyAnnotation
        res = self._resource
        require(res, IResourceWithConnectionString, "connection-string", "with_connection_property")
        check_type(res, "with_connection_property", "name", name, str, "a str (the property's name)")
        if not name:
            raise invalid(res, "with_connection_property", "the property's name is empty")
        v = _as_value(res, "with_connection_property", f"the value of connection property {name!r}", value)
        return self.with_annotation(ConnectionPropertyAnnotation(name, v))

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
          same, for that endpoint only;
        * an external service (``add_external_service``): ``{NAME}`` and ``services__{name}__{scheme}__0``
          (``{NAME}_{SCHEME}`` when its URL comes from a parameter), its URL.

        Which of these are injected is chosen with :meth:`with_reference_environment`. Adds a
        ``Reference`` relationship.
        """
        res = self._resource
        if type(res) not in WITH_ENVIRONMENT:
            require(res, IResourceWithEnvironment, "environment", "with_reference")
        if connection_name is not None:
            check_type(res, "with_reference", "connection_name", connection_name, str, "a str or None")
        if name is not None:
            check_type(res, "with_reference", "name", name, str, "a str or None")
        if optional is not False:
            check_type(res, "with_reference", "optional", optional, bool, "a bool")
        if connection_name is not None and not connection_name:
            raise ValueError(f"with_reference() on {res.name!r}: connection_name must not be empty")
        if name is not None and not name:
            raise ValueError(f"with_reference() on {res.name!r}: name must not be empty")
        target = unwrap(source)
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
                reference_annotation()(
                    target.resource, None, False, target.endpoint_name, use_connection_string=False, service_name=name
                )
            )
        if not (_RESOURCE_TYPES.get(type(target)) or _is_resource(target)):
            raise TypeError(
                f"with_reference() takes a resource, a resource builder or an endpoint reference, not {target!r}"
            )
        if target is res:
            raise ValueError(f"Resource {res.name!r} cannot reference itself")
        # An external service exists only once its module is loaded (off the builder path): not imported here for
        # every other resource (an import statement costs ~0.7 us even when the module is loaded).
        external = sys.modules.get("aspyre._model._external")
        if external is not None and isinstance(target, external.ExternalServiceResource):
            from aspyre._model._external import ExternalServiceEnvironment, ExternalServiceResource

            assert isinstance(target, ExternalServiceResource)
            if connection_name is not None or optional or name is not None:
                raise ValueError(
                    f"with_reference({target.name!r}) on {res.name!r}: an external service is referenced by its name; "
                    "connection_name=, optional= and name= do not apply"
                )
            self._relate(target, KnownRelationshipTypes.REFERENCE)
            return self.with_annotation(EnvironmentCallbackAnnotation(ExternalServiceEnvironment(target)))
        capabilities = _REFERENCE_CAPABILITIES.get(type(target))
        if capabilities is None:
            capabilities = _reference_capabilities(target)
        has_connection_string, has_service_discovery = capabilities
        if not (has_connection_string or has_service_discovery):
            hint = ""
            if isinstance(target, IResourceWithEndpoints):
                hint = f" Reference one of its endpoints instead: with_reference({target.name}.get_endpoint('<name>'))."
            raise TypeError(
                f"with_reference() needs a resource with the connection-string or the service-discovery capability "
                f"(IResourceWithConnectionString, IResourceWithServiceDiscovery); resource {target.name!r} is "
                f"{a_noun(type(target).__name__)}, which has neither.{hint}"
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
        shared: SharedValues | None = getattr(self._app_builder, "_shared", None)
        if shared is not None and connection_name is None and not optional and service_name is None:
            res.annotations.add(shared.reference(target, has_connection_string, has_service_discovery))
            return self
        return self.with_annotation(
            reference_annotation()(
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
        from aspyre._model._dependencies import ReferenceEnvironmentAnnotation, ReferenceEnvironmentFlags
        require(self._resource, IResourceWithEnvironment, "environment", "with_reference_environment")
        check_type(
            self._resource, "with_reference_environment", "flags", flags, ReferenceEnvironmentFlags,
            "ReferenceEnvironmentFlags (ReferenceEnvironmentFlags.CONNECTION_STRING | ...)",
        )  # fmt: skip
        return self.with_annotation(ReferenceEnvironmentAnnotation(flags), MutationBehavior.REPLACE)

    def with_otlp_exporter(self, protocol: str | None = None, *, enabled: bool = True) -> Self:
        """Send the resource's traces, logs and metrics over OTLP (Aspire's ``WithOtlpExporter``).

        In run mode, when the app has somewhere to send them (``app.options.otlp_endpoint_url``: the
        dashboard sets it, or ``ASPYRE_OTLP_ENDPOINT_URL``), the resource gets the standard ``OTEL_*``
        variables: ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_PROTOCOL``,
        ``OTEL_EXPORTER_OTLP_HEADERS`` (the API key, a secret), ``OTEL_SERVICE_NAME`` (the resource's
        name), ``OTEL_RESOURCE_ATTRIBUTES`` (``service.instance.id``) and short export intervals.
        Processes and session containers do this without being asked; this method is for persistent
        containers, for choosing a ``protocol`` (``"grpc"``, ``"http/protobuf"``, ``"http/json"``), and
        ``enabled=False`` opts the resource out. Publish mode writes nothing (as Aspire).
        """
        from aspyre._model._otlp import OTLP_PROTOCOLS, OtlpExporterAnnotation

        res = self._resource
        require(res, IResourceWithEnvironment, "environment", "with_otlp_exporter")
        if protocol is not None:
            check_type(res, "with_otlp_exporter", "protocol", protocol, str, "a str or None")
            if protocol not in OTLP_PROTOCOLS:
                choices = ", ".join(repr(p) for p in OTLP_PROTOCOLS)
                raise invalid(res, "with_otlp_exporter", f"protocol must be one of {choices} (or None), not {protocol!r}")
        check_type(res, "with_otlp_exporter", "enabled", enabled, bool, "True or False")
        return self.with_annotation(OtlpExporterAnnotation(enabled, protocol), MutationBehavior.REPLACE)
