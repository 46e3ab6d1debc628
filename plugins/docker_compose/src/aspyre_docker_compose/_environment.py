"""``builder.add_docker_compose_environment(...)`` and ``resource.publish_as_docker_compose_service(fn)``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import attrs

import aspyre

from ._service import ComposeFile, ComposeService

__all__ = [
    "DockerComposeEnvironmentResource",
    "DockerComposeServiceCustomizationAnnotation",
    "add_docker_compose_environment",
    "publish_as_docker_compose_service",
]

R = TypeVar("R", bound=aspyre.IResource)


@attrs.define(eq=False, repr=False)
class DockerComposeEnvironmentResource(aspyre.Resource, aspyre.IResourceWithoutLifetime):
    """The Docker Compose deployment target (Aspire's ``DockerComposeEnvironmentResource``).

    It only carries options for ``aspyre publish -p docker-compose``; it runs nothing and is not
    in the manifest. Publishing works without one (with the defaults).
    """

    resource_type: ClassVar[str] = "DockerComposeEnvironment"

    #: The network every service joins (Compose names it ``<project>_<network>``).
    network: str = attrs.field(default="aspire", kw_only=True)
    #: A wheelhouse inside each Python app's directory: dependencies are installed from it alone.
    wheelhouse: str | None = attrs.field(default=None, kw_only=True)
    #: The base image of the Dockerfiles generated for Python apps.
    python_image: str = attrs.field(default="python:3.11-slim", kw_only=True)
    #: Called with the whole compose file before it is written (after the per-service callbacks).
    configure: Callable[[ComposeFile], None] | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class DockerComposeServiceCustomizationAnnotation(aspyre.annotations.ResourceAnnotation):
    """``publish_as_docker_compose_service(fn)``: ``fn(resource, service)`` may change the generated service."""

    callback: Callable[[Any, ComposeService], None]


def add_docker_compose_environment(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    *,
    network: str = "aspire",
    wheelhouse: str | Path | None = None,
    python_image: str = "python:3.11-slim",
    configure: Callable[[ComposeFile], None] | None = None,
) -> aspyre.ResourceBuilder[DockerComposeEnvironmentResource]:
    """Deploy this app with Docker Compose: the options of ``aspyre publish -p docker-compose``.

    * ``network``: the Compose network of the services (default ``aspire``, as Aspire);
    * ``wheelhouse``: a directory of wheels inside each Python app's directory (``"wheels"``); the
      generated Dockerfiles install dependencies from it only (for builds without a package index);
    * ``python_image``: the base image of the generated Dockerfiles;
    * ``configure``: ``fn(compose_file)`` changes the whole file before it is written.

    The resource runs nothing and is left out of the manifest. One per app.
    """
    for existing in builder.resources:
        if isinstance(existing, DockerComposeEnvironmentResource):
            raise aspyre.DuplicateResourceError(
                f"Cannot add Docker Compose environment {name!r}: the app already has one ({existing.name!r}); "
                "an app is published to one Compose file"
            )
    if not network or not all(c.isalnum() or c in "-_." for c in network):
        raise ValueError(f"Docker Compose environment {name!r}: invalid network name {network!r}")
    resource = DockerComposeEnvironmentResource(
        name,
        network=network,
        wheelhouse=None if wheelhouse is None else str(wheelhouse),
        python_image=python_image,
        configure=configure,
    )
    rb = builder.add_resource(resource)
    rb.exclude_from_manifest()
    return rb


@aspyre.plugins.resource_extension(aspyre.ContainerResource, aspyre.ExecutableResource)
def publish_as_docker_compose_service(
    builder: aspyre.ResourceBuilder[R], configure: Callable[[R, ComposeService], None]
) -> aspyre.ResourceBuilder[R]:
    """Change the Compose service generated for this resource: ``configure(resource, service)``.

    Called once per publish with the typed :class:`ComposeService` (``environment``, ``ports``,
    ``healthcheck``, ``extra`` for any other Compose key...), after aspyre filled it in. Several
    callbacks run in the order they were added.
    """
    if not callable(configure):
        raise TypeError(
            f"publish_as_docker_compose_service() of resource {builder.name!r} needs a function "
            "(resource, service) -> None"
        )
    return builder.with_annotation(DockerComposeServiceCustomizationAnnotation(configure))
