"""Containers: image, entrypoint, mounts, lifetime, runtime options, Dockerfile
(Aspire's ``ContainerResourceBuilderExtensions``), and the image and volume naming rules.

These methods apply only to builders of containers: ``self`` is annotated with a builder of
:class:`ContainerResource` (covariant, so ``ResourceBuilder[RedisResource]`` qualifies and keeps its
type), and type checkers reject them on other builders. They also check at run time, for untyped
callers.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from aspyre._hosting._paths import resolve_path
from aspyre._model._annotations import (
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
    MutationBehavior,
)
from aspyre._model._names import APP_HOST_HASH_VOLUME, app_host_hash
from aspyre._model._resources import ContainerResource, IResource, PythonAppResource

from ._base import R_co, ResourceBuilderBase, require_type

if TYPE_CHECKING:
    from . import ResourceBuilder

__all__ = ["ContainerMethods", "parse_image", "volume_name"]

#: A builder of a container (or of a subclass: ``ResourceBuilder[RedisResource]``).
_CB = TypeVar("_CB", bound="ResourceBuilderBase[ContainerResource]")
#: A builder of something that can be built from a Dockerfile when published.
_DB = TypeVar("_DB", bound="ResourceBuilderBase[ContainerResource | PythonAppResource]")

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


def volume_name(builder: ResourceBuilder[IResource], suffix: str) -> str:
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
    digest = app_host_hash(path, APP_HOST_HASH_VOLUME)
    return f"{app}-{digest}-{builder.resource.name}-{suffix}"


def _container(builder: ResourceBuilderBase[Any], method: str) -> ContainerResource:
    """The builder's container; ``TypeError`` for any other resource (callers without a type checker)."""
    resource = builder.resource
    require_type(resource, (ContainerResource,), "a container resource (ContainerResource)", method)
    assert isinstance(resource, ContainerResource)
    return resource


def _image(builder: ResourceBuilderBase[Any], method: str) -> ContainerImageAnnotation:
    c = _container(builder, method)
    img = c.annotations.last(ContainerImageAnnotation)
    if img is None:
        raise ValueError(f"{method}(): container {c.name!r} has no image; call with_image() first")
    return img


class ContainerMethods(ResourceBuilderBase[R_co]):
    """``with_image*``, ``with_entrypoint``, ``with_bind_mount``, ``with_volume``, ``with_lifetime``,
    ``with_container_*``, ``with_image_pull_policy``, ``with_dockerfile``."""

    __slots__ = ()

    # -- image ----------------------------------------------------------------------------------------
    def with_image(self: _CB, image: str, tag: str | None = None) -> _CB:
        """Use ``image`` (``[registry/]name[:tag]``); ``tag`` defaults to the one in ``image`` or ``latest``."""
        c = _container(self, "with_image")
        registry_, name, inline_tag, sha = parse_image(image)
        if inline_tag and tag:
            raise ValueError(f"Container {c.name!r}: image {image!r} already has a tag; do not also pass tag={tag!r}")
        old = c.annotations.last(ContainerImageAnnotation)
        if registry_ is None and old is not None:
            registry_ = old.registry  # as Aspire: a registry set earlier stays
        ann = ContainerImageAnnotation(name, None if sha else (tag or inline_tag or "latest"), registry_, sha)
        return self.with_annotation(ann, MutationBehavior.REPLACE)

    def with_image_tag(self: _CB, tag: str) -> _CB:
        """Use another tag of the image (clears a digest)."""
        img = _image(self, "with_image_tag")
        return self.with_annotation(attrs.evolve(img, tag=tag, sha256=None), MutationBehavior.REPLACE)

    def with_image_registry(self: _CB, registry_name: str | None) -> _CB:
        """Pull the image from ``registry_name`` (``None``: the default registry)."""
        img = _image(self, "with_image_registry")
        return self.with_annotation(attrs.evolve(img, registry=registry_name), MutationBehavior.REPLACE)

    def with_image_sha256(self: _CB, digest: str) -> _CB:
        """Pin the image to a digest (``sha256:...`` or the bare hex; clears the tag)."""
        img = _image(self, "with_image_sha256")
        return self.with_annotation(
            attrs.evolve(img, sha256=digest.removeprefix("sha256:"), tag=None), MutationBehavior.REPLACE
        )

    def with_image_pull_policy(self: _CB, policy: ContainerImagePullPolicy) -> _CB:
        """When to pull the image: missing (default), always, never."""
        _container(self, "with_image_pull_policy")
        return self.with_annotation(
            ContainerImagePullPolicyAnnotation(ContainerImagePullPolicy(policy)), MutationBehavior.REPLACE
        )

    def with_entrypoint(self: _CB, entrypoint: str) -> _CB:
        """Replace the image's entrypoint."""
        _container(self, "with_entrypoint").entrypoint = entrypoint
        return self

    # -- mounts ---------------------------------------------------------------------------------------
    def with_bind_mount(self: _CB, source: str | os.PathLike[str], target: str, read_only: bool = False) -> _CB:
        """Mount a host path (``~`` is expanded; a relative ``source`` is taken from the app host's directory)."""
        _container(self, "with_bind_mount")
        src = self.application_builder.resolve_path(source)
        return self.with_annotation(
            ContainerMountAnnotation(str(src), target, ContainerMountType.BIND_MOUNT, read_only)
        )

    def with_volume(self: _CB, name: str | None, target: str | None = None, read_only: bool = False) -> _CB:
        """A named volume (``with_volume("data", "/data")``) or an anonymous one (``with_volume("/data")``)."""
        c = _container(self, "with_volume")
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

    # -- how it runs ----------------------------------------------------------------------------------
    def with_container_runtime_args(self: _CB, *args: str) -> _CB:
        """Extra container options, as ``docker run`` flags (see docs for the supported ones)."""
        _container(self, "with_container_runtime_args")
        return self.with_annotation(ContainerRuntimeArgsAnnotation(tuple(str(a) for a in args)))

    def with_lifetime(self: _CB, lifetime: ContainerLifetime) -> _CB:
        """``ContainerLifetime.PERSISTENT`` keeps the container across runs (reused while unchanged)."""
        _container(self, "with_lifetime")
        return self.with_annotation(ContainerLifetimeAnnotation(ContainerLifetime(lifetime)), MutationBehavior.REPLACE)

    def with_container_name(self: _CB, name: str) -> _CB:
        """Give the container this exact name (no suffix is added)."""
        _container(self, "with_container_name")
        return self.with_annotation(ContainerNameAnnotation(name), MutationBehavior.REPLACE)

    def with_container_network_alias(self: _CB, alias: str) -> _CB:
        """Another name the container answers to on the container network."""
        _container(self, "with_container_network_alias")
        return self.with_annotation(ContainerNetworkAliasAnnotation(alias))

    # -- publishing -----------------------------------------------------------------------------------
    def with_dockerfile(
        self: _DB,
        context: str | os.PathLike[str],
        dockerfile: str | os.PathLike[str] = "Dockerfile",
        stage: str | None = None,
    ) -> _DB:
        """Build the image from a Dockerfile when published (``container.v1``).

        ``context`` is taken from the app host's directory, ``dockerfile`` from ``context`` (``~``
        is expanded in both). Applies to containers and to Python apps (published as a container
        built from the app's Dockerfile instead of as an executable).
        """
        require_type(
            self.resource,
            (ContainerResource, PythonAppResource),
            "a container resource (ContainerResource) or a Python app (PythonAppResource)",
            "with_dockerfile",
        )
        ctx = self.application_builder.resolve_path(context)
        df = resolve_path(dockerfile, ctx)
        return self.with_annotation(DockerfileBuildAnnotation(ctx, df, stage), MutationBehavior.REPLACE)
