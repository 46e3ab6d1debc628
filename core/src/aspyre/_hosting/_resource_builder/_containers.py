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
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self, TypeVar

import attrs

from aspyre._hosting._paths import resolve_path
from aspyre._model._annotations import ContainerImageAnnotation, MutationBehavior
from aspyre._model._container_names import (
    container_name_problem,
    digest_problem,
    image_reference_problem,
    parse_image_reference,
    registry_problem,
    tag_problem,
    volume_name_problem,
)
from aspyre._model._names import APP_HOST_HASH_VOLUME
from aspyre._model._resources import ContainerResource, ExecutableResource, IResource, ParameterResource
from aspyre._platform import app_host_hash_of

from ._base import R_co, ResourceBuilderBase, check_type, invalid, require_type

if TYPE_CHECKING:
    from aspyre._model._container_annotations import (
        ContainerImagePullPolicy,
        ContainerLifetime,
        DockerfileBuildAnnotation,
    )
    from aspyre._model._container_files import ContainerFilesCallback, ContainerFileSystemEntry
    from aspyre._model._python import PythonAppResource

    from . import ResourceBuilder

__all__ = ["ContainerMethods", "parse_image", "volume_name"]

#: A builder of a container (or of a subclass: ``ResourceBuilder[RedisResource]``).
_CB = TypeVar("_CB", bound="ResourceBuilderBase[ContainerResource]")
#: A builder of something that can be built from a Dockerfile when published.
_DB = TypeVar("_DB", bound="ResourceBuilderBase[ContainerResource | PythonAppResource]")


def parse_image(reference: str) -> tuple[str | None, str, str | None, str | None]:
    """``[registry/]image[:tag][@sha256:digest]`` -> ``(registry, image, tag, sha256)``.

    The reference must follow the ``docker/distribution`` reference grammar (lower-case repository,
    tags of at most 128 characters, a ``sha256`` digest of 64 hex digits...): :class:`ValueError` says
    why it does not. The registry is the first path segment when it looks like a host (has ``.`` or
    ``:``, or is ``localhost``).
    """
    ref = parse_image_reference(reference)
    return ref.registry, ref.image, ref.tag, ref.sha256


def volume_name(builder: ResourceBuilder[IResource], suffix: str) -> str:
    """A volume name unique to the app host and the resource: ``{app}-{hash}-{resource}-{suffix}``.

    ``app`` is the app host's directory name (characters Docker does not allow in volume names
    become ``_``), ``hash`` the first 10 hex digits of the app host hash (the SHA-256 of the app host's
    path, lower-cased where its file system ignores case), as Aspire names generated data volumes:
    stable across runs of one app host, never shared by two app hosts by accident. Integrations use it
    for ``with_data_volume()``.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", suffix):
        raise ValueError(f"volume name suffix {suffix!r} must match [A-Za-z0-9][A-Za-z0-9_.-]*")
    path = builder.application_builder.app_host_path
    app = re.sub(r"[^A-Za-z0-9_.-]", "_", path.parent.name).lstrip("_.-").lower() or "aspyre"
    digest = app_host_hash_of(path, APP_HOST_HASH_VOLUME)
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


def _check(resource: IResource, method: str, problem: str | None) -> None:
    if problem is not None:
        raise invalid(resource, method, problem)


#: The image annotations made for valid ``(image, tag)`` strings (a bounded memo): immutable, so containers of the
#: same image share one, checked and parsed once.
_IMAGES: dict[tuple[str, str | None], ContainerImageAnnotation] = {}
_IMAGES_MAX = 256


def check_image(resource: IResource, method: str, image: object, tag: object = None) -> ContainerImageAnnotation:
    """The image annotation for ``image`` (and ``tag``), or an error naming ``resource`` and what is wrong."""
    if type(image) is str and (tag is None or type(tag) is str):
        key = (image, tag)
        known = _IMAGES.get(key)
        if known is None:
            known = _check_image(resource, method, image, tag)
            if len(_IMAGES) < _IMAGES_MAX:
                _IMAGES[key] = known
        return known
    return _check_image(resource, method, image, tag)


def _check_image(resource: IResource, method: str, image: object, tag: object) -> ContainerImageAnnotation:
    check_type(resource, method, "image", image, str, "a str ([registry/]name[:tag][@sha256:digest])")
    assert isinstance(image, str)
    problem = image_reference_problem(image)
    if problem is not None:
        raise invalid(resource, method, f"the image {image!r} is not a valid image reference: {problem}")
    ref = parse_image_reference(image)
    tag_text: str | None = None
    if tag is not None:
        check_type(resource, method, "tag", tag, str, "a str")
        assert isinstance(tag, str)
        _check(resource, method, tag_problem(tag))
        if ref.tag:
            raise invalid(resource, method, f"the image {image!r} already has a tag; do not also pass tag={tag!r}")
        tag_text = tag
    return ContainerImageAnnotation(
        ref.image, None if ref.sha256 else (ref.tag or tag_text or "latest"), ref.registry, ref.sha256
    )


def _build_annotation(builder: ResourceBuilderBase[Any], method: str) -> DockerfileBuildAnnotation:
    from aspyre._model._container_annotations import DockerfileBuildAnnotation
    resource: IResource = builder.resource
    ann = resource.annotations.last(DockerfileBuildAnnotation)
    if ann is None:
        raise invalid(
            builder.resource, method, "the resource is not built from a Dockerfile: call with_dockerfile() first"
        )
    return ann


def _absolute_target(resource: IResource, method: str, target: object) -> str:
    check_type(resource, method, "target", target, str, "a str (an absolute path in the container)")
    assert isinstance(target, str)
    if not target.startswith("/"):
        raise invalid(resource, method, f"the target {target!r} must be an absolute path in the container ('/data')")
    if target.rstrip("/") == "":
        raise invalid(resource, method, "the target cannot be '/': mount at a directory such as '/data'")
    return target


class ContainerMethods(ResourceBuilderBase[R_co]):
    """``with_image*``, ``with_entrypoint``, ``with_bind_mount``, ``with_volume``, ``with_lifetime``,
    ``with_container_*``, ``with_image_pull_policy``, ``with_dockerfile``, ``with_build_arg``, ``with_build_secret``,
    ``with_container_files``, ``with_endpoint_proxy_support``."""

    __slots__ = ()

    # -- image ----------------------------------------------------------------------------------------
    def with_image(self: _CB, image: str, tag: str | None = None) -> _CB:
        """Use ``image`` (``[registry/]name[:tag]``); ``tag`` defaults to the one in ``image`` or ``latest``.

        The reference must follow Docker's reference grammar (lower-case repository names, valid tags
        and ``sha256`` digests): a bad one raises :class:`ValueError` here, not when the container starts.
        """
        c = _container(self, "with_image")
        ann = check_image(c, "with_image", image, tag)
        old = c.annotations.last(ContainerImageAnnotation)
        if ann.registry is None and old is not None and old.registry is not None:
            ann = attrs.evolve(ann, registry=old.registry)  # as Aspire: a registry set earlier stays
        return self.with_annotation(ann, MutationBehavior.REPLACE)

    def with_image_tag(self: _CB, tag: str) -> _CB:
        """Use another tag of the image (clears a digest)."""
        img = _image(self, "with_image_tag")
        check_type(self.resource, "with_image_tag", "tag", tag, str, "a str")
        _check(self.resource, "with_image_tag", tag_problem(tag))
        return self.with_annotation(attrs.evolve(img, tag=tag, sha256=None), MutationBehavior.REPLACE)

    def with_image_registry(self: _CB, registry_name: str | None) -> _CB:
        """Pull the image from ``registry_name`` (``host[:port]``; ``None``: the default registry)."""
        img = _image(self, "with_image_registry")
        if registry_name is not None:
            check_type(self.resource, "with_image_registry", "registry_name", registry_name, str, "a str or None")
            _check(self.resource, "with_image_registry", registry_problem(registry_name))
        return self.with_annotation(attrs.evolve(img, registry=registry_name), MutationBehavior.REPLACE)

    def with_image_sha256(self: _CB, digest: str) -> _CB:
        """Pin the image to a digest (``sha256:...`` or the bare 64 hex digits; clears the tag)."""
        img = _image(self, "with_image_sha256")
        check_type(self.resource, "with_image_sha256", "digest", digest, str, "a str")
        _check(self.resource, "with_image_sha256", digest_problem(digest))
        sha = digest.rpartition(":")[2].lower()
        return self.with_annotation(attrs.evolve(img, sha256=sha, tag=None), MutationBehavior.REPLACE)

    def with_image_pull_policy(self: _CB, policy: ContainerImagePullPolicy) -> _CB:
        """When to pull the image: missing (default), always, never."""
        from aspyre._model._container_annotations import ContainerImagePullPolicy, ContainerImagePullPolicyAnnotation
        c = _container(self, "with_image_pull_policy")
        try:
            value = ContainerImagePullPolicy(policy)
        except ValueError:
            choices = ", ".join(f"ContainerImagePullPolicy.{p.name} ({p.value!r})" for p in ContainerImagePullPolicy)
            raise invalid(c, "with_image_pull_policy", f"{policy!r} is not a pull policy; use one of {choices}") from None
        return self.with_annotation(ContainerImagePullPolicyAnnotation(value), MutationBehavior.REPLACE)

    def with_entrypoint(self: _CB, entrypoint: str) -> _CB:
        """Replace the image's entrypoint (one program; its arguments go in ``with_args``)."""
        c = _container(self, "with_entrypoint")
        check_type(
            c, "with_entrypoint", "entrypoint", entrypoint, str, "a str (one program)",
            hint="pass the program here and its arguments with with_args()",
        )  # fmt: skip
        if not entrypoint:
            raise invalid(c, "with_entrypoint", "the entrypoint is empty; name the program to run")
        c.entrypoint = entrypoint
        return self

    # -- mounts ---------------------------------------------------------------------------------------
    def with_bind_mount(self: _CB, source: str | os.PathLike[str], target: str, read_only: bool = False) -> _CB:
        """Mount a host path (``~`` is expanded; a relative ``source`` is taken from the app host's directory)."""
        from aspyre._model._container_annotations import ContainerMountAnnotation, ContainerMountType
        c = _container(self, "with_bind_mount")
        try:
            src = self.application_builder.resolve_path(source)
        except (TypeError, ValueError) as exc:
            raise invalid(c, "with_bind_mount", f"source: {exc}", type(exc)) from None
        mount_point = _absolute_target(c, "with_bind_mount", target)
        check_type(c, "with_bind_mount", "read_only", read_only, bool, "a bool")
        return self.with_annotation(
            ContainerMountAnnotation(str(src), mount_point, ContainerMountType.BIND_MOUNT, read_only)
        )

    def with_volume(self: _CB, name: str | None, target: str | None = None, read_only: bool = False) -> _CB:
        """A named volume (``with_volume("data", "/data")``) or an anonymous one (``with_volume("/data")``).

        A volume name matches Docker's ``[a-zA-Z0-9][a-zA-Z0-9_.-]+``; the target is an absolute path.
        """
        from aspyre._model._container_annotations import ContainerMountAnnotation, ContainerMountType
        c = _container(self, "with_volume")
        volume: str | None
        if target is None:
            if name is None:
                raise invalid(c, "with_volume", "give a target path: with_volume('/data') or with_volume('name', '/data')")
            check_type(c, "with_volume", "the volume name or target", name, str, "a str")
            volume, mount_point = None, name
        else:
            if name is not None:
                check_type(c, "with_volume", "name", name, str, "a str or None")
                _check(c, "with_volume", volume_name_problem(name))
            volume, mount_point = name, target
        mount_point = _absolute_target(c, "with_volume", mount_point)
        check_type(c, "with_volume", "read_only", read_only, bool, "a bool")
        if volume is None and read_only:
            raise invalid(c, "with_volume", "an anonymous volume cannot be read-only; give it a name")
        return self.with_annotation(ContainerMountAnnotation(volume, mount_point, ContainerMountType.VOLUME, read_only))

    # -- how it runs ----------------------------------------------------------------------------------
    def with_container_runtime_args(self: _CB, *args: str) -> _CB:
        """Extra container options, as ``docker run`` flags (see docs for the supported ones).

        Each flag is its own argument (``with_container_runtime_args("--cpus", "1")``); a flag that
        cannot be expressed raises :class:`ValueError` here, naming it.
        """
        from aspyre._model._container_annotations import ContainerRuntimeArgsAnnotation
        c = _container(self, "with_container_runtime_args")
        for i, a in enumerate(args, 1):
            check_type(
                c, "with_container_runtime_args", f"argument {i}", a, str, "a str",
                hint="pass each flag as its own argument (with_container_runtime_args('--cpus', '1')), or unpack a "
                "list with *flags",
            )  # fmt: skip
        from aspyre._model._runargs import parse_runtime_args  # the flag grammar: loaded by the first call

        try:
            parse_runtime_args(args)
        except (TypeError, ValueError) as exc:
            raise invalid(c, "with_container_runtime_args", str(exc), type(exc)) from None
        return self.with_annotation(ContainerRuntimeArgsAnnotation(tuple(args)))

    def with_lifetime(self: _CB, lifetime: ContainerLifetime) -> _CB:
        """``ContainerLifetime.PERSISTENT`` keeps the container across runs (reused while unchanged)."""
        from aspyre._model._container_annotations import ContainerLifetime, ContainerLifetimeAnnotation
        c = _container(self, "with_lifetime")
        try:
            value = ContainerLifetime(lifetime)
        except ValueError:
            choices = " or ".join(f"ContainerLifetime.{x.name} ({x.value!r})" for x in ContainerLifetime)
            raise invalid(c, "with_lifetime", f"{lifetime!r} is not a lifetime; use {choices}") from None
        return self.with_annotation(ContainerLifetimeAnnotation(value), MutationBehavior.REPLACE)

    def with_container_name(self: _CB, name: str) -> _CB:
        """Give the container this exact name (no suffix is added; Docker's ``[a-zA-Z0-9][a-zA-Z0-9_.-]+``)."""
        from aspyre._model._container_annotations import ContainerNameAnnotation
        c = _container(self, "with_container_name")
        check_type(c, "with_container_name", "name", name, str, "a str")
        _check(c, "with_container_name", container_name_problem(name))
        return self.with_annotation(ContainerNameAnnotation(name), MutationBehavior.REPLACE)

    def with_container_network_alias(self: _CB, alias: str) -> _CB:
        """Another name the container answers to on the container network."""
        from aspyre._model._container_annotations import ContainerNetworkAliasAnnotation
        c = _container(self, "with_container_network_alias")
        check_type(c, "with_container_network_alias", "alias", alias, str, "a str")
        if not alias or any(ch.isspace() for ch in alias):
            raise invalid(c, "with_container_network_alias", f"the alias {alias!r} must be a non-empty host name")
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
        from aspyre._model._container_annotations import DockerfileBuildAnnotation
        from aspyre._model._python import PythonAppResource
        require_type(
            self.resource,
            (ContainerResource, PythonAppResource),
            "a container resource (ContainerResource) or a Python app (PythonAppResource)",
            "with_dockerfile",
        )
        try:
            ctx = self.application_builder.resolve_path(context)
            df = resolve_path(dockerfile, ctx)
        except (TypeError, ValueError) as exc:
            raise invalid(self.resource, "with_dockerfile", str(exc), type(exc)) from None
        if stage is not None:
            check_type(self.resource, "with_dockerfile", "stage", stage, str, "a str or None")
        old = self.resource.annotations.last(DockerfileBuildAnnotation)
        kept = {} if old is None else {"build_args": old.build_args, "build_secrets": old.build_secrets}
        return self.with_annotation(DockerfileBuildAnnotation(ctx, df, stage, **kept), MutationBehavior.REPLACE)

    def _build_annotation(self, method: str) -> DockerfileBuildAnnotation:
        from aspyre._model._container_annotations import DockerfileBuildAnnotation
        ann = self.resource.annotations.last(DockerfileBuildAnnotation)
        if ann is None:
            raise invalid(
                self.resource, method, "the resource is not built from a Dockerfile: call with_dockerfile() first"
            )
        return ann

    def with_build_arg(self: _DB, name: str, value: object = None) -> _DB:
        """A build argument (``ARG name`` in the Dockerfile): a str, a number, a parameter or any value; ``None``
        takes it from the app host's environment at build time, as ``docker build --build-arg NAME`` does.

        Build arguments are recorded in the image's history: pass secrets with :meth:`with_build_secret`.
        """
        ann = _build_annotation(self, "with_build_arg")
        check_type(self.resource, "with_build_arg", "name", name, str, "a str (the ARG's name)")
        if not name or "=" in name:
            raise invalid(
                self.resource, "with_build_arg", f"the build argument name {name!r} must be non-empty, without '='"
            )
        from ._base import unwrap

        value = unwrap(value)
        if isinstance(value, ParameterResource) and value.secret:
            raise invalid(
                self.resource, "with_build_arg",
                f"parameter {value.name!r} is secret: build arguments stay in the image's history; use "
                f"with_build_secret({name!r}, ...) instead",
            )  # fmt: skip
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        args = (*((k, v) for k, v in ann.build_args if k != name), (name, value))
        self._relate_values(value)
        return self.with_annotation(attrs.evolve(ann, build_args=args), MutationBehavior.REPLACE)

    def with_build_secret(self: _DB, name: str, parameter: object) -> _DB:
        """A build secret from a (secret) parameter: the build sees it as the build argument ``name`` (``ARG name``),
        and aspyre removes its value from the image's history and configuration once the image is built.

        Publish mode writes it as Aspire does (``build.secrets.{name}`` of type ``env``).
        """
        ann = _build_annotation(self, "with_build_secret")
        check_type(self.resource, "with_build_secret", "name", name, str, "a str")
        from ._base import unwrap

        param = unwrap(parameter)
        check_type(
            self.resource, "with_build_secret", "parameter", param, ParameterResource, "a parameter (add_parameter)"
        )
        if not name or "=" in name:
            raise invalid(
                self.resource, "with_build_secret", f"the secret name {name!r} must be non-empty, without '='"
            )
        secrets = (*((k, v) for k, v in ann.build_secrets if k != name), (name, param))
        self._relate_values(param)
        return self.with_annotation(attrs.evolve(ann, build_secrets=secrets), MutationBehavior.REPLACE)

    # -- files and proxies ----------------------------------------------------------------------------
    def with_container_files(
        self: _CB,
        destination: str,
        entries: Iterable[ContainerFileSystemEntry] | ContainerFilesCallback,
        *,
        default_owner: int | None = None,
        default_group: int | None = None,
        umask: int = 0o022,
    ) -> _CB:
        """Create files and directories under ``destination`` in the container before it starts (Aspire's
        ``WithContainerFiles``).

        ``entries`` are :class:`~aspyre.ContainerFile` / :class:`~aspyre.ContainerDirectory` objects, or a function
        (sync or async) of a :class:`~aspyre.model.ContainerFilesCallbackContext` that returns them when the
        container starts (for contents made from live values). Entries without an owner, group or mode get
        ``default_owner`` / ``default_group`` (numeric ids, default root) and 0o666 / 0o777 less ``umask``.
        Unlike a bind mount, nothing is written on the host.
        """
        from aspyre._model._container_files import ContainerFilesAnnotation, container_file_problems

        c = _container(self, "with_container_files")
        check_type(
            c, "with_container_files", "destination", destination, str, "a str (an absolute path in the container)"
        )
        try:
            if callable(entries):
                ann = ContainerFilesAnnotation(
                    destination, callback=entries, default_owner=default_owner, default_group=default_group, umask=umask
                )
            else:
                if isinstance(entries, (str, bytes)):
                    raise TypeError("entries must be ContainerFile/ContainerDirectory objects or a function, not text")
                ann = ContainerFilesAnnotation(destination, tuple(entries), None, default_owner, default_group, umask)
        except (TypeError, ValueError) as exc:
            raise invalid(c, "with_container_files", str(exc), type(exc)) from None
        problems = container_file_problems(ann)
        if problems:
            raise invalid(c, "with_container_files", "; ".join(problems))
        return self.with_annotation(ann)

    def with_endpoint_proxy_support(self, enabled: bool) -> Self:
        """Whether the resource's endpoints go through aspyre's endpoint proxy (Aspire's ``WithEndpointProxySupport``).

        A process's endpoints are proxied by default (``False`` makes the process listen on its endpoints' ports
        itself); a container's are not (Docker publishes its ports), unless this says ``True``: then the proxy
        listens on the endpoint's port and the address stays while the container is restarted.
        """
        from aspyre._model._endpoint_runtime import ProxySupportAnnotation
        require_type(
            self.resource, (ContainerResource, ExecutableResource), "a container or an executable resource",
            "with_endpoint_proxy_support",
        )  # fmt: skip
        check_type(self.resource, "with_endpoint_proxy_support", "enabled", enabled, bool, "a bool")
        return self.with_annotation(ProxySupportAnnotation(enabled), MutationBehavior.REPLACE)
