"""aspyre: .NET Aspire's hosting app model, in Python.

Describe an app (containers, processes, parameters, connection strings) in one ``apphost.py``,
run it (``python apphost.py``), publish it (``--publisher manifest``), or drive it from tests.

The names an app host needs are here. The rest is tiered into public submodules, each imported on
first use (``aspyre.events.BeforeStartEvent`` works after ``import aspyre``):

* :mod:`aspyre.annotations`: the annotations builder methods attach to resources;
* :mod:`aspyre.events`: lifecycle events and the eventing bus;
* :mod:`aspyre.model`: values, snapshots and model checks, for integrations and tools;
* :mod:`aspyre.plugins`: hook implementations, extension methods, the plugin registry, helpers;
* :mod:`aspyre.publishing`: the publisher contract and the Aspire manifest;
* :mod:`aspyre.testing`: loading an app host without running it.
"""

from ._loading_gc import gc_paused as _gc_paused

# typing and the code cache make thousands of objects that live as long as the process: the collector need not
# scan them as they are made (see aspyre._loading_gc).
with _gc_paused():
    import importlib as _importlib
    import warnings as _warnings
    from typing import TYPE_CHECKING as _TYPE_CHECKING

    # Before any of aspyre's attrs classes exists: their generated methods compiled once, kept on disk.
    from ._code_cache import install as _install_code_cache
    from ._version import __version__ as __version__

    _install_code_cache()

if _TYPE_CHECKING:
    from ._errors import DistributedApplicationException
    from ._hosting._app import DistributedApplication
    from ._hosting._builder import DistributedApplicationBuilder
    from ._hosting._integrations import DuplicateResourceError
    from ._hosting._resource_builder import ResourceBuilder
    from ._model._annotations import (
        KnownRelationshipTypes,
    )
    from ._model._callback_contexts import HealthCheckContext, HealthCheckResult, HealthStatus
    from ._model._connection_strings import ConnectionStringParameterResource, ConnectionStringResource
    from ._model._container_annotations import ContainerImagePullPolicy, ContainerLifetime
    from ._model._container_files import ContainerDirectory, ContainerFile
    from ._model._dependencies import ReferenceEnvironmentFlags, WaitBehavior
    from ._model._endpoints import EndpointNotAllocatedError, EndpointProperty, EndpointProtocol, EndpointReference
    from ._model._execution import ExecutionContext, Operation
    from ._model._external import ExternalServiceResource
    from ._model._graph import ModelValidationError
    from ._model._known import IconVariant, KnownResourceStates, StateStyle, UrlDisplayLocation
    from ._model._names import InvalidNameError
    from ._model._python import PythonAppResource, PythonEntrypointType, UvicornAppResource
    from ._model._resources import (
        ContainerResource,
        ExecutableResource,
        GenerateParameterDefault,
        IResource,
        IResourceWithArgs,
        IResourceWithConnectionString,
        IResourceWithEndpoints,
        IResourceWithEnvironment,
        IResourceWithoutLifetime,
        IResourceWithParent,
        IResourceWithServiceDiscovery,
        IResourceWithWaitSupport,
        MissingParameterValueError,
        ParameterResource,
        Resource,
    )
    from ._model._snapshot import ResourceSnapshot
    from ._model._values import ReferenceExpression
    from ._orchestrator._options import AppOptions

if _TYPE_CHECKING:
    from . import annotations as annotations
    from . import events as events
    from . import model as model
    from . import plugins as plugins
    from . import publishing as publishing
    from . import testing as testing

__all__ = [
    "AppOptions",
    "ConnectionStringParameterResource",
    "ConnectionStringResource",
    "ContainerDirectory",
    "ContainerFile",
    "ContainerImagePullPolicy",
    "ContainerLifetime",
    "ContainerResource",
    "DistributedApplication",
    "DistributedApplicationBuilder",
    "DistributedApplicationException",
    "DuplicateResourceError",
    "EndpointNotAllocatedError",
    "EndpointProperty",
    "EndpointProtocol",
    "EndpointReference",
    "ExecutableResource",
    "ExecutionContext",
    "ExternalServiceResource",
    "GenerateParameterDefault",
    "HealthCheckContext",
    "HealthCheckResult",
    "HealthStatus",
    "IResource",
    "IResourceWithArgs",
    "IResourceWithConnectionString",
    "IResourceWithEndpoints",
    "IResourceWithEnvironment",
    "IResourceWithParent",
    "IResourceWithServiceDiscovery",
    "IResourceWithWaitSupport",
    "IResourceWithoutLifetime",
    "IconVariant",
    "InvalidNameError",
    "KnownRelationshipTypes",
    "KnownResourceStates",
    "MissingParameterValueError",
    "ModelValidationError",
    "Operation",
    "ParameterResource",
    "PythonAppResource",
    "PythonEntrypointType",
    "ReferenceEnvironmentFlags",
    "ReferenceExpression",
    "Resource",
    "ResourceBuilder",
    "ResourceSnapshot",
    "StateStyle",
    "UrlDisplayLocation",
    "UvicornAppResource",
    "WaitBehavior",
]

#: Where each name of ``__all__`` is defined. Each is imported on first use (``import aspyre`` alone costs next to
#: nothing: the pytest plugin and ``aspyre --help`` import it too), with only the modules it needs, and kept here.
#: Those modules present their names as ``aspyre.NAME`` (``__module__``) when they run
#: (:func:`aspyre._public.present_top_level`), however a class is first reached, as the eager imports of 0.1 did.
_LAZY: dict[str, str] = {
    **dict.fromkeys(["DistributedApplicationException"], "._errors"),
    **dict.fromkeys(["DistributedApplication"], "._hosting._app"),
    **dict.fromkeys(["DistributedApplicationBuilder"], "._hosting._builder"),
    **dict.fromkeys(["DuplicateResourceError"], "._hosting._integrations"),
    **dict.fromkeys(["ResourceBuilder"], "._hosting._resource_builder"),
    **dict.fromkeys(
        [
            "KnownRelationshipTypes",
        ],
        "._model._annotations",
    ),
    **dict.fromkeys(
        ["EndpointNotAllocatedError", "EndpointProperty", "EndpointProtocol", "EndpointReference"], "._model._endpoints"
    ),
    **dict.fromkeys(["HealthCheckContext", "HealthCheckResult", "HealthStatus"], "._model._callback_contexts"),
    **dict.fromkeys(["ContainerImagePullPolicy", "ContainerLifetime"], "._model._container_annotations"),
    **dict.fromkeys(["ConnectionStringParameterResource", "ConnectionStringResource"], "._model._connection_strings"),
    **dict.fromkeys(["ReferenceEnvironmentFlags", "WaitBehavior"], "._model._dependencies"),
    **dict.fromkeys(["ContainerDirectory", "ContainerFile"], "._model._container_files"),
    **dict.fromkeys(["PythonAppResource", "PythonEntrypointType", "UvicornAppResource"], "._model._python"),
    **dict.fromkeys(["ExecutionContext", "Operation"], "._model._execution"),
    **dict.fromkeys(["ExternalServiceResource"], "._model._external"),
    **dict.fromkeys(["ModelValidationError"], "._model._graph"),
    **dict.fromkeys(["InvalidNameError"], "._model._names"),
    **dict.fromkeys(
        [
            "ContainerResource",
            "ExecutableResource",
            "GenerateParameterDefault",
            "IResource",
            "IResourceWithArgs",
            "IResourceWithConnectionString",
            "IResourceWithEndpoints",
            "IResourceWithEnvironment",
            "IResourceWithoutLifetime",
            "IResourceWithParent",
            "IResourceWithServiceDiscovery",
            "IResourceWithWaitSupport",
            "MissingParameterValueError",
            "ParameterResource",
            "Resource",
        ],
        "._model._resources",
    ),
    **dict.fromkeys(["IconVariant", "KnownResourceStates", "StateStyle", "UrlDisplayLocation"], "._model._known"),
    **dict.fromkeys(["ResourceSnapshot"], "._model._snapshot"),
    **dict.fromkeys(["ReferenceExpression"], "._model._values"),
    **dict.fromkeys(["AppOptions"], "._orchestrator._options"),
}


def _load(name: str) -> object:
    """Import ``name`` of ``__all__`` from the module defining it and keep it in this module's namespace."""
    from ._loading_gc import loading

    with loading():
        value = getattr(_importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


#: The public submodules, imported on first attribute access.
_SUBMODULES = ("annotations", "events", "model", "plugins", "publishing", "testing")

#: Names that lived here before the public face was tiered (0.1): where each lives now. They still
#: resolve, with a DeprecationWarning, for one release.
_MOVED: dict[str, str] = {
    **dict.fromkeys(
        ["Annotations", "CommandLineArgsAnnotation", "CommandLineArgsCallbackAnnotation", "CommandLineArgsCallbackContext", "ConnectionPropertyAnnotation", "ContainerImageAnnotation", "ContainerImagePullPolicyAnnotation", "ContainerLifetimeAnnotation", "ContainerMountAnnotation", "ContainerMountType", "ContainerNameAnnotation", "ContainerNetworkAliasAnnotation", "ContainerRuntimeArgsAnnotation", "DockerfileBuildAnnotation", "EndpointAnnotation", "EnvironmentAnnotation", "EnvironmentCallbackAnnotation", "EnvironmentCallbackContext", "ExplicitStartAnnotation", "HealthCheckAnnotation", "ManifestPublishingCallbackAnnotation", "MutationBehavior", "ReferenceAnnotation", "ReferenceEnvironmentAnnotation", "ResourceAnnotation", "ResourceCommandAnnotation", "ResourceRelationshipAnnotation", "ResourceSnapshotAnnotation", "ResourceUrlAnnotation", "WaitAnnotation", "WaitType"],
        "annotations",
    ),
    **dict.fromkeys(
        ["AfterEndpointsAllocatedEvent", "AfterPublishEvent", "AfterResourcesCreatedEvent", "BeforePublishEvent", "BeforeResourceStartedEvent", "BeforeStartEvent", "ConnectionStringAvailableEvent", "DistributedApplicationEventing", "Event", "EventDispatchBehavior", "EventSubscription", "InitializeResourceEvent", "ResourceEndpointsAllocatedEvent", "ResourceEvent", "ResourceReadyEvent", "ResourceSnapshotChangedEvent", "ResourceStoppedEvent"],
        "events",
    ),
    **dict.fromkeys(
        ["AllocatedEndpoint", "ConnectionStringReference", "DistributedApplicationModel", "EndpointReferenceExpression", "EnvironmentVariableSnapshot", "HealthReportSnapshot", "KnownNetworks", "KnownResourceTypes", "ManifestExpressionProvider", "ReferenceExpressionBuilder", "RelationshipSnapshot", "ResourcePropertySnapshot", "ResourceStateSnapshot", "UrlSnapshot", "ValueContext", "ValueProvider", "ValueWithReferences", "capability_names", "compute_arguments", "compute_environment", "encode_env_name", "find_referrers", "reference_variables", "resolve_value", "validate_model", "validate_name"],
        "model",
    ),
    **dict.fromkeys(
        ["HookSpecs", "PluginEntry", "PluginHookError", "PluginLoadError", "PluginRegistry", "SecretsStore", "hookimpl", "hookspec", "parse_image", "resource_extension", "volume_name"],
        "plugins",
    ),
    **dict.fromkeys(
        ["AmbiguousPublisherError", "Manifest", "ManifestAnnotatedString", "ManifestBindMount", "ManifestBinding", "ManifestBuild", "ManifestBuildSecret", "ManifestContainer", "ManifestExecutable", "ManifestGenerateDefault", "ManifestParameter", "ManifestParameterDefault", "ManifestParameterInput", "ManifestPublisher", "ManifestPublishingContext", "ManifestPublishingError", "ManifestRawResource", "ManifestResource", "ManifestValue", "ManifestVolume", "Publisher", "PublishingContext", "UnknownPublisherError", "build_manifest", "manifest_file_path", "manifest_from_json", "manifest_to_json", "publisher_names", "resolve_publisher", "write_manifest"],
        "publishing",
    ),
    **dict.fromkeys(["AppHostLoaded", "AppHostNotFoundError", "load_app_host"], "testing"),
}

#: Names renamed when the public face was tiered: old name -> (module, new name).
_RENAMED: dict[str, tuple[str, str]] = {
    "Protocol": ("", "EndpointProtocol"),
    "plugin_registry": ("plugins", "registry"),
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return _load(name)
    if name in _SUBMODULES:
        from ._loading_gc import loading

        with loading():
            return _importlib.import_module(f"{__name__}.{name}")
    if name in _MOVED or name in _RENAMED:
        module, new = _RENAMED.get(name, (_MOVED.get(name, ""), name))
        where = f"aspyre.{module}.{new}" if module else f"aspyre.{new}"
        _warnings.warn(
            f"aspyre.{name} moved to {where}; import it from there (the old name goes away in aspyre 0.3)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(_importlib.import_module(f"{__name__}.{module}"), new) if module else __getattr__(new)
    raise AttributeError(f"module 'aspyre' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})
