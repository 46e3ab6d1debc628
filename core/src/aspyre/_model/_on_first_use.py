"""Classes kept off an app host's builder path, for the code that makes or checks them many times over.

A module the builder path does not need is imported where it is used, on first use. An import statement in a
function that runs once per resource costs about 0.5 µs per call even when the module is loaded (about 25 ms
over a 10,000-resource model): these accessors import once, then answer from their cache (about 0.05 µs).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._callback_contexts import CommandLineArgsCallbackContext, EnvironmentCallbackContext
    from ._connection_strings import ConnectionStringParameterResource, ConnectionStringResource
    from ._dependencies import ReferenceAnnotation, ResourceRelationshipAnnotation
    from ._endpoint_runtime import EndpointReferenceExpression

__all__ = [
    "command_line_args_callback_context",
    "connection_string_parameter_resource",
    "connection_string_resource",
    "endpoint_reference_expression",
    "environment_callback_context",
    "reference_annotation",
    "relationship_annotation",
]


@functools.cache
def relationship_annotation() -> type[ResourceRelationshipAnnotation]:
    """:class:`~aspyre.annotations.ResourceRelationshipAnnotation`."""
    from ._dependencies import ResourceRelationshipAnnotation

    return ResourceRelationshipAnnotation


@functools.cache
def reference_annotation() -> type[ReferenceAnnotation]:
    """:class:`~aspyre.annotations.ReferenceAnnotation`."""
    from ._dependencies import ReferenceAnnotation

    return ReferenceAnnotation


@functools.cache
def endpoint_reference_expression() -> type[EndpointReferenceExpression]:
    """:class:`~aspyre.model.EndpointReferenceExpression`."""
    from ._endpoint_runtime import EndpointReferenceExpression

    return EndpointReferenceExpression


@functools.cache
def connection_string_resource() -> type[ConnectionStringResource]:
    """:class:`~aspyre.ConnectionStringResource`."""
    from ._connection_strings import ConnectionStringResource

    return ConnectionStringResource


@functools.cache
def connection_string_parameter_resource() -> type[ConnectionStringParameterResource]:
    """:class:`~aspyre.ConnectionStringParameterResource`."""
    from ._connection_strings import ConnectionStringParameterResource

    return ConnectionStringParameterResource


@functools.cache
def environment_callback_context() -> type[EnvironmentCallbackContext]:
    """:class:`~aspyre.annotations.EnvironmentCallbackContext`."""
    from ._callback_contexts import EnvironmentCallbackContext

    return EnvironmentCallbackContext


@functools.cache
def command_line_args_callback_context() -> type[CommandLineArgsCallbackContext]:
    """:class:`~aspyre.annotations.CommandLineArgsCallbackContext`."""
    from ._callback_contexts import CommandLineArgsCallbackContext

    return CommandLineArgsCallbackContext
