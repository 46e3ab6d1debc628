"""The app model for tools and integrations: values and how they resolve, snapshots, graph validation.

What an app host writes lives in :mod:`aspyre`; this module has the parts integrations, publishers and
tools build on: :class:`ValueContext` and :func:`resolve_value`, the value protocols, the pieces of a
:class:`~aspyre.ResourceSnapshot`, the environment and argument computation, and the model checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING

from ._model._known import CustomResourceKnownProperties, KnownProperties, KnownResourceTypes
from ._model._names import validate_name
from ._model._resources import capability_names
from ._model._values import (
    KnownNetworks,
    ManifestExpressionProvider,
    ReferenceExpressionBuilder,
    ValueProvider,
    ValueWithReferences,
    resolve_value,
)
from ._public import lazy_exports as _lazy_exports
from ._public import present as _present

if _TYPE_CHECKING:
    from ._model._connection_strings import ConnectionStringReference
    from ._model._container_files import ContainerFilesCallbackContext
    from ._model._endpoint_runtime import AllocatedEndpoint, EndpointReferenceExpression
    from ._model._environment import (
        compute_arguments,
        compute_environment,
        encode_env_name,
        find_referrers,
        reference_variables,
    )
    from ._model._graph import DistributedApplicationModel, validate_model
    from ._model._snapshot import (
        EnvironmentVariableSnapshot,
        HealthReportSnapshot,
        LogLine,
        RelationshipSnapshot,
        ReplicaSnapshot,
        ResourcePropertySnapshot,
        ResourceSnapshotUpdate,
        ResourceStateSnapshot,
        UrlSnapshot,
    )
    from ._model._value_context import ValueContext

__all__ = [
    "AllocatedEndpoint",
    "ConnectionStringReference",
    "ContainerFilesCallbackContext",
    "CustomResourceKnownProperties",
    "DistributedApplicationModel",
    "EndpointReferenceExpression",
    "EnvironmentVariableSnapshot",
    "HealthReportSnapshot",
    "KnownNetworks",
    "KnownProperties",
    "KnownResourceTypes",
    "LogLine",
    "ManifestExpressionProvider",
    "ReferenceExpressionBuilder",
    "RelationshipSnapshot",
    "ReplicaSnapshot",
    "ResourcePropertySnapshot",
    "ResourceSnapshotUpdate",
    "ResourceStateSnapshot",
    "UrlSnapshot",
    "ValueContext",
    "ValueProvider",
    "ValueWithReferences",
    "capability_names",
    "compute_arguments",
    "compute_environment",
    "encode_env_name",
    "find_referrers",
    "reference_variables",
    "resolve_value",
    "validate_model",
    "validate_name",
]

#: Names an app host's builder does not need, imported on first use (the environment and argument computation, the
#: graph checks ``build()`` runs, the snapshots of run mode). Their modules present them as ``aspyre.model`` themselves.
_LAZY: dict[str, str] = {
    **dict.fromkeys(["ValueContext"], "._model._value_context"),
    **dict.fromkeys(["AllocatedEndpoint", "EndpointReferenceExpression"], "._model._endpoint_runtime"),
    **dict.fromkeys(["ConnectionStringReference"], "._model._connection_strings"),
    **dict.fromkeys(
        ["compute_arguments", "compute_environment", "encode_env_name", "find_referrers", "reference_variables"],
        "._model._environment",
    ),
    **dict.fromkeys(["ContainerFilesCallbackContext"], "._model._container_files"),
    **dict.fromkeys(["DistributedApplicationModel", "validate_model"], "._model._graph"),
    **dict.fromkeys([
        "EnvironmentVariableSnapshot",
        "HealthReportSnapshot",
        "LogLine",
        "RelationshipSnapshot",
        "ReplicaSnapshot",
        "ResourcePropertySnapshot",
        "ResourceSnapshotUpdate",
        "ResourceStateSnapshot",
        "UrlSnapshot",
    ], "._model._snapshot"),
}

_present(globals(), __name__)
__getattr__, __dir__ = _lazy_exports(__name__, _LAZY)
