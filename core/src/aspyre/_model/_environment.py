"""Computing a resource's environment and arguments from its annotations (still as deferred values)."""

from __future__ import annotations

import inspect
import re
from typing import Any

from ._annotations import (
    CommandLineArgsAnnotation,
    CommandLineArgsCallbackAnnotation,
    CommandLineArgsCallbackContext,
    EnvironmentAnnotation,
    EnvironmentCallbackAnnotation,
    EnvironmentCallbackContext,
    ReferenceAnnotation,
    ReferenceEnvironmentAnnotation,
    ReferenceEnvironmentFlags,
)
from ._endpoints import EndpointAnnotation, EndpointProperty, EndpointReference
from ._resources import (
    ConnectionStringReference,
    IResource,
    IResourceWithConnectionString,
    IResourceWithEndpoints,
    IResourceWithServiceDiscovery,
    ParameterResource,
    PythonAppResource,
)
from ._values import iter_references

__all__ = [
    "compute_arguments",
    "compute_environment",
    "encode_env_name",
    "is_secret_value",
    "reference_variables",
]

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def encode_env_name(name: str) -> str:
    """Aspire's environment-variable name encoding: non-alphanumerics become ``_``."""
    if _PLAIN_NAME.match(name):
        return name
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if out and out[0].isdigit():
        out = "_" + out
    return out


def is_secret_value(value: object) -> bool:
    """Whether ``value`` is, or is made from, a secret parameter."""
    if isinstance(value, ParameterResource):
        return value.secret
    return any(isinstance(r, ParameterResource) and r.secret for r in iter_references(value))


def reference_variables(
    annotation: ReferenceAnnotation, flags: ReferenceEnvironmentFlags = ReferenceEnvironmentFlags.ALL
) -> list[tuple[str, object]]:
    """The variables ``with_reference`` injects for one reference, as ``(name, value)`` pairs."""
    source = annotation.source
    out: list[tuple[str, object]] = []
    name = annotation.connection_name or source.name
    if annotation.use_connection_string and isinstance(source, IResourceWithConnectionString):
        if flags & ReferenceEnvironmentFlags.CONNECTION_STRING:
            var = getattr(source, "environment_variable", None) or f"ConnectionStrings__{name}"
            out.append((var, ConnectionStringReference(source, annotation.optional)))
        if flags & ReferenceEnvironmentFlags.CONNECTION_PROPERTIES:
            prefix = encode_env_name(name).upper()
            for prop, value in source.connection_properties():
                out.append((f"{prefix}_{encode_env_name(prop).upper()}", value))
    discoverable = isinstance(source, IResourceWithServiceDiscovery) or (
        annotation.endpoint_name is not None and isinstance(source, IResourceWithEndpoints)
    )
    if annotation.use_service_discovery and discoverable:
        endpoints = source.annotations.all(EndpointAnnotation)
        if annotation.endpoint_name is not None:
            endpoints = [e for e in endpoints if e.name.casefold() == annotation.endpoint_name.casefold()]
        per_scheme: dict[str, int] = {}
        for ep in endpoints:
            ref = EndpointReference(source, ep.name)
            if flags & ReferenceEnvironmentFlags.SERVICE_DISCOVERY:
                i = per_scheme.get(ep.scheme, 0)
                per_scheme[ep.scheme] = i + 1
                out.append((f"services__{name}__{ep.scheme}__{i}", ref))
            if flags & ReferenceEnvironmentFlags.ENDPOINTS:
                out.append((f"{encode_env_name(name).upper()}_{encode_env_name(ep.name).upper()}", ref))
    return out


async def _call(callback: Any, context: Any) -> None:
    result = callback(context)
    if inspect.isawaitable(result):
        await result


async def compute_environment(
    resource: IResource, execution_context: Any = None, logger: Any = None
) -> dict[str, object]:
    """The resource's environment, from its annotations in order, with values still deferred.

    Endpoints with ``env=`` contribute their target port; ``with_reference`` contributes the
    reference variables; callbacks run here (sync or async).
    """
    env: dict[str, object] = {}
    flags_ann = resource.annotations.last(ReferenceEnvironmentAnnotation)
    flags = ReferenceEnvironmentFlags.ALL if flags_ann is None else flags_ann.flags
    for ann in resource.annotations:
        if isinstance(ann, EndpointAnnotation) and ann.env:
            env[ann.env] = EndpointReference(resource, ann.name).property(EndpointProperty.TARGET_PORT)
        elif isinstance(ann, EnvironmentAnnotation):
            env[ann.name] = ann.value
        elif isinstance(ann, ReferenceAnnotation):
            for k, v in reference_variables(ann, flags):
                env[k] = v
        elif isinstance(ann, EnvironmentCallbackAnnotation):
            await _call(ann.callback, EnvironmentCallbackContext(resource, env, execution_context, logger))
    return env


async def compute_arguments(resource: IResource, execution_context: Any = None, logger: Any = None) -> list[object]:
    """The resource's arguments (after the command), values still deferred."""
    args: list[object] = []
    if isinstance(resource, PythonAppResource):
        args.extend(resource.entry_args())
    for ann in resource.annotations:
        if isinstance(ann, CommandLineArgsAnnotation):
            args.extend(ann.args)
        elif isinstance(ann, CommandLineArgsCallbackAnnotation):
            await _call(ann.callback, CommandLineArgsCallbackContext(resource, args, execution_context, logger))
    return args
