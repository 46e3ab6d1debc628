"""The public face: ``aspyre`` holds what an app host needs, public submodules hold the rest, each name lives
in exactly one tier, reports that tier as its module, and the names of 0.1 still resolve (deprecated)."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import textwrap
import types
import warnings

import pytest

import aspyre

TIERS: dict[str, set[str]] = {
    "aspyre": set(
        ["AppOptions", "ConnectionStringParameterResource", "ConnectionStringResource", "ContainerDirectory", "ContainerFile", "ContainerImagePullPolicy", "ContainerLifetime", "ContainerResource", "DistributedApplication", "DistributedApplicationBuilder", "DistributedApplicationException", "DuplicateResourceError", "EndpointNotAllocatedError", "EndpointProperty", "EndpointProtocol", "EndpointReference", "ExecutableResource", "ExecutionContext", "ExternalServiceResource", "GenerateParameterDefault", "HealthCheckContext", "HealthCheckResult", "HealthStatus", "IResource", "IResourceWithArgs", "IResourceWithConnectionString", "IResourceWithEndpoints", "IResourceWithEnvironment", "IResourceWithParent", "IResourceWithServiceDiscovery", "IResourceWithWaitSupport", "IResourceWithoutLifetime", "IconVariant", "InvalidNameError", "KnownRelationshipTypes", "KnownResourceStates", "MissingParameterValueError", "ModelValidationError", "Operation", "ParameterResource", "PythonAppResource", "PythonEntrypointType", "ReferenceEnvironmentFlags", "ReferenceExpression", "Resource", "ResourceBuilder", "ResourceSnapshot", "StateStyle", "UrlDisplayLocation", "UvicornAppResource", "WaitBehavior"]
    ),
    "aspyre.annotations": set(
        ["Annotations", "AutoInstrumentationAnnotation", "CommandLineArgsAnnotation", "CommandLineArgsCallbackAnnotation", "CommandLineArgsCallbackContext", "CommandProbeAnnotation", "ConnectionPropertyAnnotation", "ContainerFilesAnnotation", "ContainerImageAnnotation", "ContainerImagePullPolicyAnnotation", "ContainerLifetimeAnnotation", "ContainerMountAnnotation", "ContainerMountType", "ContainerNameAnnotation", "ContainerNetworkAliasAnnotation", "ContainerRuntimeArgsAnnotation", "DebugpyAnnotation", "DeploymentFileAnnotation", "DockerfileBuildAnnotation", "EndpointAnnotation", "EndpointProbeAnnotation", "EnvironmentAnnotation", "EnvironmentCallbackAnnotation", "EnvironmentCallbackContext", "ExplicitStartAnnotation", "HealthCheckAnnotation", "InstallCommand", "ManifestPublishingCallbackAnnotation", "MutationBehavior", "OtlpExporterAnnotation", "PackageInstallAnnotation", "ProbeAnnotation", "ProbeType", "ProxySupportAnnotation", "PythonPackageManagerAnnotation", "ReferenceAnnotation", "ReferenceEnvironmentAnnotation", "ReplicaAnnotation", "ResourceAnnotation", "ResourceCommandAnnotation", "ResourceIconAnnotation", "ResourceRelationshipAnnotation", "ResourceSnapshotAnnotation", "ResourceUrlAnnotation", "ResourceUrlsCallbackAnnotation", "ResourceUrlsCallbackContext", "WaitAnnotation", "WaitType"]
    ),
    "aspyre.events": set(
        ["AfterEndpointsAllocatedEvent", "AfterPublishEvent", "AfterResourcesCreatedEvent", "App", "BeforePublishEvent", "BeforeResourceStartedEvent", "BeforeStartEvent", "ConnectionStringAvailableEvent", "DistributedApplicationEventing", "Event", "EventDispatchBehavior", "EventSubscription", "ExecuteCommandContext", "InitializeResourceEvent", "ResourceEndpointsAllocatedEvent", "ResourceEvent", "ResourceLoggers", "ResourceNotifications", "ResourceReadyEvent", "ResourceSnapshotChangedEvent", "ResourceStoppedEvent", "ServiceRegistry"]
    ),
    "aspyre.model": set(
        ["AllocatedEndpoint", "ConnectionStringReference", "ContainerFilesCallbackContext", "CustomResourceKnownProperties", "DistributedApplicationModel", "EndpointReferenceExpression", "EnvironmentVariableSnapshot", "HealthReportSnapshot", "KnownNetworks", "KnownProperties", "KnownResourceTypes", "LogLine", "ManifestExpressionProvider", "ReferenceExpressionBuilder", "RelationshipSnapshot", "ReplicaSnapshot", "ResourcePropertySnapshot", "ResourceSnapshotUpdate", "ResourceStateSnapshot", "UrlSnapshot", "ValueContext", "ValueProvider", "ValueWithReferences", "capability_names", "compute_arguments", "compute_environment", "encode_env_name", "find_referrers", "reference_variables", "resolve_value", "validate_model", "validate_name"]
    ),
    "aspyre.plugins": set(
        ["API_VERSION", "HookSpecs", "PluginConflictError", "PluginEntry", "PluginHookError", "PluginLoadError", "PluginProblem", "PluginRegistry", "PluginSelection", "PluginValidationError", "SecretsStore", "StubsOutOfDateWarning", "check_name_available", "check_plugins", "create_default_password_parameter", "create_generated_parameter", "exclude_from_manifest_if_unused", "hookimpl", "hookspec", "lazy_exports", "parse_image", "registry", "resource_extension", "volume_name"]
    ),
    "aspyre.publishing": set(
        ["AmbiguousPublisherError", "DEFAULT_PYTHON_IMAGE", "DeploymentParameter", "Manifest", "ManifestAnnotatedString", "ManifestBindMount", "ManifestBinding", "ManifestBuild", "ManifestBuildSecret", "ManifestContainer", "ManifestExecutable", "ManifestExpressionError", "ManifestExpressionResolver", "ManifestGenerateDefault", "ManifestParameter", "ManifestParameterDefault", "ManifestParameterInput", "ManifestPlaceholder", "ManifestPublisher", "ManifestPublishingContext", "ManifestPublishingError", "ManifestRawResource", "ManifestResource", "ManifestValue", "ManifestVolume", "Publisher", "PublisherOptionsError", "PublishingContext", "PythonDockerfile", "UnknownPublisherError", "build_manifest", "completion_targets", "deployment_parameters", "deployment_service_of", "env_variable_name", "manifest_file_path", "manifest_from_json", "manifest_to_json", "parse_manifest_expression", "parse_publisher_options", "publisher_names", "publisher_options_parser", "python_app_dockerfile", "render_manifest_expression", "resolve_publisher", "write_manifest", "write_private_file"]
    ),
    "aspyre.testing": set(["AppHostLoaded", "AppHostNotFoundError", "PluginTester", "load_app_host"]),
}

#: Every name ``aspyre`` exported in 0.1 (before the tiers), except ``builder_extension`` (removed: it did nothing).
NAMES_0_1 = set(
    ["AfterEndpointsAllocatedEvent", "AfterPublishEvent", "AfterResourcesCreatedEvent", "AllocatedEndpoint", "AmbiguousPublisherError", "Annotations", "AppHostLoaded", "AppHostNotFoundError", "AppOptions", "BeforePublishEvent", "BeforeResourceStartedEvent", "BeforeStartEvent", "CommandLineArgsAnnotation", "CommandLineArgsCallbackAnnotation", "CommandLineArgsCallbackContext", "ConnectionPropertyAnnotation", "ConnectionStringAvailableEvent", "ConnectionStringParameterResource", "ConnectionStringReference", "ConnectionStringResource", "ContainerImageAnnotation", "ContainerImagePullPolicy", "ContainerImagePullPolicyAnnotation", "ContainerLifetime", "ContainerLifetimeAnnotation", "ContainerMountAnnotation", "ContainerMountType", "ContainerNameAnnotation", "ContainerNetworkAliasAnnotation", "ContainerResource", "ContainerRuntimeArgsAnnotation", "DistributedApplication", "DistributedApplicationBuilder", "DistributedApplicationEventing", "DistributedApplicationModel", "DockerfileBuildAnnotation", "DuplicateResourceError", "EndpointAnnotation", "EndpointNotAllocatedError", "EndpointProperty", "EndpointReference", "EndpointReferenceExpression", "EnvironmentAnnotation", "EnvironmentCallbackAnnotation", "EnvironmentCallbackContext", "EnvironmentVariableSnapshot", "Event", "EventDispatchBehavior", "EventSubscription", "ExecutableResource", "ExecutionContext", "ExplicitStartAnnotation", "GenerateParameterDefault", "HealthCheckAnnotation", "HealthCheckContext", "HealthCheckResult", "HealthReportSnapshot", "HealthStatus", "HookSpecs", "IResource", "IResourceWithArgs", "IResourceWithConnectionString", "IResourceWithEndpoints", "IResourceWithEnvironment", "IResourceWithParent", "IResourceWithServiceDiscovery", "IResourceWithWaitSupport", "IResourceWithoutLifetime", "InitializeResourceEvent", "InvalidNameError", "KnownNetworks", "KnownRelationshipTypes", "KnownResourceStates", "KnownResourceTypes", "Manifest", "ManifestAnnotatedString", "ManifestBindMount", "ManifestBinding", "ManifestBuild", "ManifestBuildSecret", "ManifestContainer", "ManifestExecutable", "ManifestExpressionProvider", "ManifestGenerateDefault", "ManifestParameter", "ManifestParameterDefault", "ManifestParameterInput", "ManifestPublisher", "ManifestPublishingCallbackAnnotation", "ManifestPublishingContext", "ManifestPublishingError", "ManifestRawResource", "ManifestResource", "ManifestValue", "ManifestVolume", "MissingParameterValueError", "ModelValidationError", "MutationBehavior", "Operation", "ParameterResource", "PluginEntry", "PluginHookError", "PluginLoadError", "PluginRegistry", "Protocol", "Publisher", "PublishingContext", "PythonAppResource", "ReferenceAnnotation", "ReferenceEnvironmentAnnotation", "ReferenceEnvironmentFlags", "ReferenceExpression", "ReferenceExpressionBuilder", "RelationshipSnapshot", "Resource", "ResourceAnnotation", "ResourceBuilder", "ResourceCommandAnnotation", "ResourceEndpointsAllocatedEvent", "ResourceEvent", "ResourcePropertySnapshot", "ResourceReadyEvent", "ResourceRelationshipAnnotation", "ResourceSnapshot", "ResourceSnapshotAnnotation", "ResourceSnapshotChangedEvent", "ResourceStateSnapshot", "ResourceStoppedEvent", "ResourceUrlAnnotation", "SecretsStore", "StateStyle", "UnknownPublisherError", "UrlSnapshot", "ValueContext", "ValueProvider", "ValueWithReferences", "WaitAnnotation", "WaitBehavior", "WaitType", "build_manifest", "capability_names", "compute_arguments", "compute_environment", "encode_env_name", "find_referrers", "hookimpl", "hookspec", "load_app_host", "manifest_file_path", "manifest_from_json", "manifest_to_json", "parse_image", "plugin_registry", "publisher_names", "reference_variables", "resolve_publisher", "resolve_value", "resource_extension", "validate_model", "validate_name", "volume_name", "write_manifest"]
)


def module(name: str) -> types.ModuleType:
    return importlib.import_module(name)


@pytest.mark.parametrize("name", sorted(TIERS))
def test_each_tier_exports_exactly_its_pinned_public_names(name: str) -> None:
    mod = module(name)
    public = {  # dir(): aspyre imports its names on first use
        n for n in dir(mod) if not n.startswith("_") and not isinstance(getattr(mod, n), types.ModuleType)
    } - {"annotations"}  # the __future__ feature in modules that use it
    assert set(mod.__all__) == public
    assert list(mod.__all__) == sorted(mod.__all__)
    assert set(mod.__all__) == TIERS[name]


def test_the_app_host_tier_stays_small_and_no_name_is_in_two_tiers() -> None:
    assert len(TIERS["aspyre"]) <= 55
    seen: dict[str, str] = {}
    for tier, names in TIERS.items():
        for n in names:
            assert n not in seen, f"{n} is in {seen.get(n)} and {tier}"
            seen[n] = tier


@pytest.mark.parametrize("name", sorted(TIERS))
def test_public_objects_report_their_public_module_and_have_docstrings(name: str) -> None:
    mod = module(name)
    wrong, undocumented = [], []
    for n in mod.__all__:
        obj = getattr(mod, n)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if obj.__module__ != name:
            wrong.append(f"{n}: {obj.__module__}")
        if not inspect.getdoc(obj):
            undocumented.append(n)
    assert wrong == []
    assert undocumented == []


def test_submodules_are_attributes_of_aspyre() -> None:
    for name in TIERS:
        if name != "aspyre":
            assert getattr(aspyre, name.removeprefix("aspyre.")) is module(name)
    assert {t.removeprefix("aspyre.") for t in TIERS if t != "aspyre"} <= set(dir(aspyre))


def test_every_0_1_name_still_resolves_from_aspyre_with_a_deprecation_warning_naming_its_new_home() -> None:
    for old in sorted(NAMES_0_1 - TIERS["aspyre"]):
        with pytest.warns(DeprecationWarning, match=r"aspyre\.\w+ moved to aspyre\.") as record:
            value = getattr(aspyre, old)
        where = str(record[0].message).split(" moved to ")[1].split(";")[0]
        tier, _, new = where.rpartition(".")
        assert getattr(module(tier), new) is value, old
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in TIERS["aspyre"]:
            getattr(aspyre, name)  # the app host tier does not warn


def test_protocol_was_renamed_so_star_imports_do_not_shadow_typing_protocol() -> None:
    assert "Protocol" not in aspyre.__all__
    with pytest.warns(DeprecationWarning, match="EndpointProtocol"):
        assert aspyre.Protocol is aspyre.EndpointProtocol  # type: ignore[attr-defined]
    assert not hasattr(aspyre.plugins, "builder_extension")


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        aspyre.nope  # type: ignore[attr-defined]  # noqa: B018


def test_import_aspyre_imports_its_names_on_first_use() -> None:
    # A name added to aspyre.__all__ needs its module in aspyre._LAZY too.
    assert set(aspyre._LAZY) == set(aspyre.__all__)  # pyright: ignore[reportPrivateUsage]
    code = textwrap.dedent(
        """
        import json, sys
        import aspyre
        before = sorted(m for m in sys.modules if m.startswith("aspyre.") or m in ("attrs", "anyio", "pluggy"))
        from aspyre._model._snapshot import ResourceSnapshot  # reached before any name of aspyre is used
        reached_otherwise = ResourceSnapshot.__module__
        from aspyre import ContainerResource
        print(json.dumps({
            "before": before,
            "module": ContainerResource.__module__,
            "reached_otherwise": reached_otherwise,
            "in_namespace": sorted(n for n in aspyre.__all__ if n in vars(aspyre)),
            "builder_module": aspyre.DistributedApplicationBuilder.__module__,
        }))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {
        # the version, the hook that keeps attrs' compiled methods (attrs itself is not imported yet), and the
        # collector pause the import runs in
        "before": ["aspyre._code_cache", "aspyre._loading_gc", "aspyre._user_cache", "aspyre._version"],
        "module": "aspyre",
        # each module defining names of aspyre presents them when it runs, however they are first reached
        "reached_otherwise": "aspyre",
        "in_namespace": ["ContainerResource"],  # only the name asked for: the others on their first use
        "builder_module": "aspyre",
    }
