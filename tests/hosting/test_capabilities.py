"""Each with_* method is allowed only where the resource has the capability; else a TypeError naming it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import aspyre

Method = Callable[[aspyre.ResourceBuilder[Any]], object]

# method, capability label, capability protocol, a call of it
CAPABILITY_METHODS: list[tuple[str, str, str, Method]] = [
    ("with_environment", "environment", "IResourceWithEnvironment", lambda rb: rb.with_environment("A", "1")),
    ("with_environment", "environment", "IResourceWithEnvironment", lambda rb: rb.with_environment(lambda ctx: None)),
    ("with_args", "args", "IResourceWithArgs", lambda rb: rb.with_args("--x")),
    ("with_reference", "environment", "IResourceWithEnvironment", lambda rb: rb.with_reference(rb)),
    (
        "with_reference_environment",
        "environment",
        "IResourceWithEnvironment",
        lambda rb: rb.with_reference_environment(aspyre.ReferenceEnvironmentFlags.ALL),
    ),
    ("with_endpoint", "endpoints", "IResourceWithEndpoints", lambda rb: rb.with_endpoint(target_port=1)),
    ("with_http_endpoint", "endpoints", "IResourceWithEndpoints", lambda rb: rb.with_http_endpoint()),
    ("with_https_endpoint", "endpoints", "IResourceWithEndpoints", lambda rb: rb.with_https_endpoint()),
    (
        "with_external_http_endpoints",
        "endpoints",
        "IResourceWithEndpoints",
        lambda rb: rb.with_external_http_endpoints(),
    ),
    ("get_endpoint", "endpoints", "IResourceWithEndpoints", lambda rb: rb.get_endpoint("http")),
    ("with_http_health_check", "endpoints", "IResourceWithEndpoints", lambda rb: rb.with_http_health_check()),
    ("wait_for", "wait-support", "IResourceWithWaitSupport", lambda rb: rb.wait_for(rb.resource)),
    ("wait_for_start", "wait-support", "IResourceWithWaitSupport", lambda rb: rb.wait_for_start(rb.resource)),
    (
        "wait_for_completion",
        "wait-support",
        "IResourceWithWaitSupport",
        lambda rb: rb.wait_for_completion(rb.resource),
    ),
    (
        "with_connection_property",
        "connection-string",
        "IResourceWithConnectionString",
        lambda rb: rb.with_connection_property("Host", "h"),
    ),
]

CONTAINER_METHODS: list[tuple[str, Method]] = [
    ("with_image", lambda rb: rb.with_image("redis")),
    ("with_image_tag", lambda rb: rb.with_image_tag("7")),
    ("with_image_registry", lambda rb: rb.with_image_registry("ghcr.io")),
    ("with_image_sha256", lambda rb: rb.with_image_sha256("0" * 64)),
    ("with_entrypoint", lambda rb: rb.with_entrypoint("/bin/sh")),
    ("with_bind_mount", lambda rb: rb.with_bind_mount(".", "/src")),
    ("with_volume", lambda rb: rb.with_volume("data", "/data")),
    ("with_container_runtime_args", lambda rb: rb.with_container_runtime_args("--memory=64m")),
    ("with_lifetime", lambda rb: rb.with_lifetime(aspyre.ContainerLifetime.PERSISTENT)),
    ("with_image_pull_policy", lambda rb: rb.with_image_pull_policy(aspyre.ContainerImagePullPolicy.NEVER)),
    ("with_container_name", lambda rb: rb.with_container_name("xy")),
    ("with_container_network_alias", lambda rb: rb.with_container_network_alias("x")),
]


@pytest.fixture
def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")


def all_kinds(b: aspyre.DistributedApplicationBuilder) -> list[aspyre.ResourceBuilder[Any]]:
    return [
        b.add_container("container", "redis"),
        b.add_executable("exe", "python"),
        b.add_python_app("py", "app.py"),
        b.add_parameter("param"),
        b.add_connection_string("cs", "Host=h"),
        b.add_connection_string("csparam"),
        b.add_resource(aspyre.Resource("bare")),
    ]


PROTOCOLS = {
    "IResourceWithEnvironment": aspyre.IResourceWithEnvironment,
    "IResourceWithArgs": aspyre.IResourceWithArgs,
    "IResourceWithEndpoints": aspyre.IResourceWithEndpoints,
    "IResourceWithWaitSupport": aspyre.IResourceWithWaitSupport,
    "IResourceWithConnectionString": aspyre.IResourceWithConnectionString,
}


@pytest.mark.parametrize(("method", "label", "protocol", "call"), CAPABILITY_METHODS)
def test_capability_methods(
    builder: aspyre.DistributedApplicationBuilder, method: str, label: str, protocol: str, call: Method
) -> None:
    checked = 0
    for rb in all_kinds(builder):
        if isinstance(rb.resource, PROTOCOLS[protocol]):
            continue  # allowed there (other errors are other tests' business)
        with pytest.raises(TypeError) as info:
            call(rb)
        message = str(info.value)
        assert f"{method}() needs a resource with the {label} capability ({protocol})" in message
        kind = type(rb.resource).__name__
        assert f"resource {rb.name!r} is {'an' if kind[0] in 'AEIOU' else 'a'} {kind}" in message
        checked += 1
    assert checked > 0


def test_capabilities_of_the_built_in_resources(builder: aspyre.DistributedApplicationBuilder) -> None:
    caps = {rb.name: aspyre.model.capability_names(rb.resource) for rb in all_kinds(builder)}
    assert caps == {
        "container": ["environment", "args", "endpoints", "wait-support"],
        "exe": ["environment", "args", "endpoints", "service-discovery", "wait-support"],
        "py": ["environment", "args", "endpoints", "service-discovery", "wait-support"],
        "param": ["without-lifetime"],
        "cs": ["wait-support", "connection-string", "without-lifetime"],
        "csparam": ["connection-string", "without-lifetime"],
        "bare": [],
    }


@pytest.mark.parametrize(("method", "call"), CONTAINER_METHODS)
def test_container_methods_need_a_container(
    builder: aspyre.DistributedApplicationBuilder, method: str, call: Method
) -> None:
    exe = builder.add_executable("exe", "python")
    with pytest.raises(
        TypeError,
        match=rf"{method}\(\) needs a container resource \(ContainerResource\); resource 'exe' is an ExecutableResource",
    ):
        call(exe)
    call(builder.add_container("c", "redis"))  # and works on a container


def test_working_directory_needs_an_executable(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"with_working_directory\(\) needs an executable resource"):
        builder.add_container("c", "redis").with_working_directory(".")
    exe = builder.add_executable("exe", "python").with_working_directory("sub")
    assert exe.resource.working_dir == tmp_path / "sub"


def test_methods_every_resource_has(builder: aspyre.DistributedApplicationBuilder) -> None:
    def check(ctx: aspyre.HealthCheckContext) -> bool:
        return True

    for rb in all_kinds(builder):
        rb.with_health_check("ok", check).with_url("http://example.invalid", "docs").with_explicit_start()
        rb.with_command("reset", "Reset", lambda *a: None).exclude_from_manifest()
        rb.with_initial_state(aspyre.ResourceSnapshot("Custom")).with_relationship(rb.resource, "Self")
        anns = rb.resource.annotations
        assert anns.has(aspyre.annotations.HealthCheckAnnotation)
        assert anns.has(aspyre.annotations.ResourceUrlAnnotation)
        assert anns.has(aspyre.annotations.ExplicitStartAnnotation)
        assert anns.has(aspyre.annotations.ResourceCommandAnnotation)
        assert anns.last(aspyre.annotations.ManifestPublishingCallbackAnnotation) == aspyre.annotations.ManifestPublishingCallbackAnnotation(
            None
        )
        assert anns.has(aspyre.annotations.ResourceSnapshotAnnotation)


def test_reference_sources_need_a_connection_string_or_service_discovery(
    builder: aspyre.DistributedApplicationBuilder,
) -> None:
    web = builder.add_executable("web", "python")
    container = builder.add_container("container", "redis").with_endpoint(target_port=6379, name="tcp")
    param = builder.add_parameter("param")
    with pytest.raises(TypeError) as info:
        web.with_reference(container)
    message = str(info.value)
    assert "connection-string or the service-discovery capability" in message
    assert "resource 'container' is a ContainerResource" in message
    assert "with_reference(container.get_endpoint('<name>'))" in message
    with pytest.raises(TypeError, match="resource 'param' is a ParameterResource"):
        web.with_reference(param)
    with pytest.raises(TypeError, match="takes a resource, a resource builder or an endpoint reference"):
        web.with_reference("cache")
    with pytest.raises(ValueError, match="cannot reference itself"):
        web.with_reference(web)
    web.with_reference(container.get_endpoint("tcp"))  # an endpoint of a container is fine


def test_capability_protocols_are_structural(builder: aspyre.DistributedApplicationBuilder) -> None:
    class Duck:
        """Anything with a name and annotations is a resource."""

        def __init__(self) -> None:
            self.name = "duck"
            self.annotations = aspyre.annotations.Annotations()

    duck = builder.add_resource(Duck())
    assert isinstance(duck.resource, aspyre.IResource)
    with pytest.raises(TypeError, match="environment capability"):
        duck.with_environment("A", "1")
    with pytest.raises(TypeError, match=r"add_resource\(\) needs a resource"):
        builder.add_resource(object())  # type: ignore[type-var]


def test_with_dockerfile_applies_to_containers_and_python_apps(tmp_path: Path) -> None:
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    app = b.add_python_app("web", "web/main.py").with_dockerfile("web")
    ann = app.resource.annotations.last(aspyre.annotations.DockerfileBuildAnnotation)
    assert ann is not None and ann.dockerfile == tmp_path / "web" / "Dockerfile"
    exe = b.add_executable("exe", "true")
    with pytest.raises(TypeError, match=r"with_dockerfile\(\) needs a container resource .* or a Python app"):
        exe.with_dockerfile(".")
