"""The annotations of containers' runtime options: mounts, lifetime, pull policy, names, network aliases, ``docker run``
options, and images built from a Dockerfile.

Imported where used (``with_volume``, ``with_lifetime``...; run and publish mode), not by every app host's builder.
"""

from __future__ import annotations

import enum
from pathlib import Path

import attrs

from aspyre._public import present as _present
from aspyre._public import present_top_level as _present_top_level

from ._annotations import ResourceAnnotation

__all__ = [
    "ContainerImagePullPolicy",
    "ContainerImagePullPolicyAnnotation",
    "ContainerLifetime",
    "ContainerLifetimeAnnotation",
    "ContainerMountAnnotation",
    "ContainerMountType",
    "ContainerNameAnnotation",
    "ContainerNetworkAliasAnnotation",
    "ContainerRuntimeArgsAnnotation",
    "DockerfileBuildAnnotation",
]


class ContainerMountType(enum.Enum):
    """A bind mount of a host path, or a volume."""

    BIND_MOUNT = "bind"
    VOLUME = "volume"


@attrs.frozen
class ContainerMountAnnotation(ResourceAnnotation):
    """A bind mount (``source`` is a path) or a volume (``source`` is a name, ``None`` = anonymous)."""

    source: str | None
    target: str
    type: ContainerMountType
    read_only: bool = False


class ContainerLifetime(enum.Enum):
    """Whether a container lives for one run of the app host or across runs."""

    #: Removed when the app host stops (the default).
    SESSION = "session"
    #: Kept across runs of the app host, reused while its configuration is unchanged.
    PERSISTENT = "persistent"


@attrs.frozen
class ContainerLifetimeAnnotation(ResourceAnnotation):
    """``with_lifetime``."""

    lifetime: ContainerLifetime


class ContainerImagePullPolicy(enum.Enum):
    """When the image is pulled: if missing (default), always, or never."""

    MISSING = "missing"
    ALWAYS = "always"
    NEVER = "never"


@attrs.frozen
class ContainerImagePullPolicyAnnotation(ResourceAnnotation):
    """``with_image_pull_policy``."""

    policy: ContainerImagePullPolicy


@attrs.frozen
class ContainerNameAnnotation(ResourceAnnotation):
    """An explicit container name (``with_container_name``; no suffix is added)."""

    name: str


@attrs.frozen
class ContainerNetworkAliasAnnotation(ResourceAnnotation):
    """An extra name the container has on the container network."""

    alias: str


@attrs.frozen
class ContainerRuntimeArgsAnnotation(ResourceAnnotation):
    """Extra options for creating the container, as ``docker run`` flags (``--memory=256m``)."""

    args: tuple[str, ...]


@attrs.frozen
class DockerfileBuildAnnotation(ResourceAnnotation):
    """Build the resource's image from a Dockerfile: in run mode before the container first starts (tagged by a
    hash of the context and arguments), in publish mode as ``container.v1`` with ``build``.

    ``build_args`` are ``(name, value)`` pairs (a value is a str, a parameter or any value; ``None`` lets the
    build read it from the environment); ``build_secrets`` are ``(name, parameter)`` pairs, given to the build
    as build arguments and removed from the image's history and configuration afterwards.
    """

    context: Path
    dockerfile: Path
    stage: str | None = None
    build_args: tuple[tuple[str, object], ...] = ()
    build_secrets: tuple[tuple[str, object], ...] = ()


# aspyre.annotations and aspyre import these on first use (their _LAZY): they report it however they are reached.
_present(globals(), "aspyre.annotations", names=[n for n in __all__ if n not in ("ContainerImagePullPolicy", "ContainerLifetime")])
_present_top_level(globals())
