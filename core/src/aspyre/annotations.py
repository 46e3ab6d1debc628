"""Annotations: the typed data the builder methods attach to resources.

Integrations and lifecycle extensions read and add them (``resource.annotations.last(...)``,
``builder.with_annotation(...)``); an app host rarely needs them directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING

from ._model._annotations import (
    Annotations,
    CommandLineArgsAnnotation,
    CommandLineArgsCallbackAnnotation,
    ContainerImageAnnotation,
    EnvironmentAnnotation,
    EnvironmentCallbackAnnotation,
    HealthCheckAnnotation,
    ManifestPublishingCallbackAnnotation,
    MutationBehavior,
    ResourceAnnotation,
)
from ._model._deployment import CommandProbeAnnotation, ProbeAnnotation, ProbeType
from ._model._endpoints import EndpointAnnotation
from ._public import lazy_exports as _lazy_exports
from ._public import present as _present

if _TYPE_CHECKING:
    from ._model._callback_contexts import CommandLineArgsCallbackContext, EnvironmentCallbackContext
    from ._model._commands import ResourceCommandAnnotation
    from ._model._container_annotations import (
        ContainerImagePullPolicyAnnotation,
        ContainerLifetimeAnnotation,
        ContainerMountAnnotation,
        ContainerMountType,
        ContainerNameAnnotation,
        ContainerNetworkAliasAnnotation,
        ContainerRuntimeArgsAnnotation,
        DockerfileBuildAnnotation,
    )
    from ._model._container_files import ContainerFilesAnnotation
    from ._model._dependencies import (
        ConnectionPropertyAnnotation,
        ExplicitStartAnnotation,
        ReferenceAnnotation,
        ReferenceEnvironmentAnnotation,
        ResourceRelationshipAnnotation,
        WaitAnnotation,
        WaitType,
    )
    from ._model._deployment_extras import DeploymentFileAnnotation, EndpointProbeAnnotation
    from ._model._endpoint_runtime import ProxySupportAnnotation, ReplicaAnnotation
    from ._model._install import InstallCommand, PackageInstallAnnotation
    from ._model._otlp import OtlpExporterAnnotation
    from ._model._python import AutoInstrumentationAnnotation, DebugpyAnnotation, PythonPackageManagerAnnotation
    from ._model._snapshot import ResourceSnapshotAnnotation
    from ._model._urls import (
        ResourceIconAnnotation,
        ResourceUrlAnnotation,
        ResourceUrlsCallbackAnnotation,
        ResourceUrlsCallbackContext,
    )

__all__ = [
    "Annotations",
    "AutoInstrumentationAnnotation",
    "CommandLineArgsAnnotation",
    "CommandLineArgsCallbackAnnotation",
    "CommandLineArgsCallbackContext",
    "CommandProbeAnnotation",
    "ConnectionPropertyAnnotation",
    "ContainerFilesAnnotation",
    "ContainerImageAnnotation",
    "ContainerImagePullPolicyAnnotation",
    "ContainerLifetimeAnnotation",
    "ContainerMountAnnotation",
    "ContainerMountType",
    "ContainerNameAnnotation",
    "ContainerNetworkAliasAnnotation",
    "ContainerRuntimeArgsAnnotation",
    "DebugpyAnnotation",
    "DeploymentFileAnnotation",
    "DockerfileBuildAnnotation",
    "EndpointAnnotation",
    "EndpointProbeAnnotation",
    "EnvironmentAnnotation",
    "EnvironmentCallbackAnnotation",
    "EnvironmentCallbackContext",
    "ExplicitStartAnnotation",
    "HealthCheckAnnotation",
    "InstallCommand",
    "ManifestPublishingCallbackAnnotation",
    "MutationBehavior",
    "OtlpExporterAnnotation",
    "PackageInstallAnnotation",
    "ProbeAnnotation",
    "ProbeType",
    "ProxySupportAnnotation",
    "PythonPackageManagerAnnotation",
    "ReferenceAnnotation",
    "ReferenceEnvironmentAnnotation",
    "ReplicaAnnotation",
    "ResourceAnnotation",
    "ResourceCommandAnnotation",
    "ResourceIconAnnotation",
    "ResourceRelationshipAnnotation",
    "ResourceSnapshotAnnotation",
    "ResourceUrlAnnotation",
    "ResourceUrlsCallbackAnnotation",
    "ResourceUrlsCallbackContext",
    "WaitAnnotation",
    "WaitType",
]

#: Names an app host's builder does not need, imported on first use (references, waits and relationships, containers' runtime options, Python apps'
#: annotations, container files, telemetry export, URLs and icons); their modules present them as ``aspyre.annotations`` themselves.
_LAZY: dict[str, str] = {
    **dict.fromkeys(["DeploymentFileAnnotation", "EndpointProbeAnnotation"], "._model._deployment_extras"),
    **dict.fromkeys(["ResourceCommandAnnotation"], "._model._commands"),
    **dict.fromkeys(["ProxySupportAnnotation", "ReplicaAnnotation"], "._model._endpoint_runtime"),
    **dict.fromkeys(["ResourceSnapshotAnnotation"], "._model._snapshot"),
    **dict.fromkeys(
        [
            "ConnectionPropertyAnnotation",
            "ExplicitStartAnnotation",
            "ReferenceAnnotation",
            "ReferenceEnvironmentAnnotation",
            "ResourceRelationshipAnnotation",
            "WaitAnnotation",
            "WaitType",
        ],
        "._model._dependencies",
    ),
    **dict.fromkeys(["CommandLineArgsCallbackContext", "EnvironmentCallbackContext"], "._model._callback_contexts"),
    **dict.fromkeys(
        [
            "ContainerImagePullPolicyAnnotation",
            "ContainerLifetimeAnnotation",
            "ContainerMountAnnotation",
            "ContainerMountType",
            "ContainerNameAnnotation",
            "ContainerNetworkAliasAnnotation",
            "ContainerRuntimeArgsAnnotation",
            "DockerfileBuildAnnotation",
        ],
        "._model._container_annotations",
    ),
    **dict.fromkeys(["ContainerFilesAnnotation"], "._model._container_files"),
    **dict.fromkeys(["OtlpExporterAnnotation"], "._model._otlp"),
    **dict.fromkeys(
        [
            "ResourceIconAnnotation",
            "ResourceUrlAnnotation",
            "ResourceUrlsCallbackAnnotation",
            "ResourceUrlsCallbackContext",
        ],
        "._model._urls",
    ),
    **dict.fromkeys(["InstallCommand", "PackageInstallAnnotation"], "._model._install"),
    **dict.fromkeys(
        ["AutoInstrumentationAnnotation", "DebugpyAnnotation", "PythonPackageManagerAnnotation"], "._model._python"
    ),
}

_present(globals(), __name__)
__getattr__, __dir__ = _lazy_exports(__name__, _LAZY)
