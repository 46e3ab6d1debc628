"""What the orchestrator asks a runtime to run: fully resolved specs, no annotations, no deferred values.

The orchestrator speaks to the runtimes in these terms only (as Aspire speaks to DCP in ``Container``
and ``Executable`` objects); :mod:`._translate` makes them from a resource's annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import attrs

from .._model._container_annotations import ContainerImagePullPolicy, ContainerLifetime

__all__ = ["BuildSpec", "ContainerSpec", "FileSpec", "MountSpec", "PortSpec", "ProcessSpec"]


@attrs.frozen
class PortSpec:
    """A container port published on 127.0.0.1 (``host_port=None``: a free port chosen by the engine)."""

    target_port: int
    host_port: int | None = None
    protocol: str = "tcp"


@attrs.frozen
class MountSpec:
    """A bind mount (absolute host path) or a volume (``source=None``: an anonymous volume)."""

    type: Literal["bind", "volume"]
    source: str | None
    target: str
    read_only: bool = False


@attrs.frozen(repr=False)
class FileSpec:
    """A file (``contents`` bytes) or a directory (``contents=None``) created in a container before it starts."""

    #: The absolute path in the container.
    path: str
    contents: bytes | None
    mode: int
    uid: int = 0
    gid: int = 0

    def __repr__(self) -> str:  # the contents may be secret
        kind = "dir" if self.contents is None else f"{len(self.contents)} bytes"
        return f"FileSpec({self.path!r}, {kind}, mode={self.mode:o}, uid={self.uid}, gid={self.gid})"


@attrs.frozen(repr=False)
class BuildSpec:
    """An image to build from a Dockerfile, fully resolved (secret values included: never shown)."""

    resource_name: str
    #: The image repository the build is tagged in (the tag is a hash of what goes into the build).
    repository: str
    context: Path
    dockerfile: Path
    stage: str | None = None
    #: ``None`` values are taken from the app host's environment, as ``docker build --build-arg NAME`` does.
    build_args: Mapping[str, str | None] = attrs.field(factory=dict)
    secrets: Mapping[str, str] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return (
            f"BuildSpec({self.resource_name!r}, context={str(self.context)!r}, dockerfile={str(self.dockerfile)!r}, "
            f"stage={self.stage!r}, build_args={sorted(self.build_args)!r}, secrets={sorted(self.secrets)!r})"
        )


@attrs.frozen
class ContainerSpec:
    """Everything needed to run one container resource, fully resolved (no deferred values)."""

    resource_name: str
    #: A full image reference, e.g. ``docker.io/library/redis:7`` or ``redis@sha256:...``.
    image: str
    pull_policy: ContainerImagePullPolicy = ContainerImagePullPolicy.MISSING
    entrypoint: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = attrs.field(factory=dict)
    ports: tuple[PortSpec, ...] = ()
    mounts: tuple[MountSpec, ...] = ()
    #: Extra names on the session network; the resource name is always one.
    network_aliases: tuple[str, ...] = ()
    #: ``docker run`` flags; see :func:`aspyre._model._runargs.parse_runtime_args`.
    runtime_args: tuple[str, ...] = ()
    lifetime: ContainerLifetime = ContainerLifetime.SESSION
    #: Explicit container name; default ``{resource}-{random8}`` (session) or ``{resource}-{apphosthash8}``.
    container_name: str | None = None
    #: Extra labels (keys may not start with ``aspyre.``).
    labels: Mapping[str, str] = attrs.field(factory=dict)
    #: Extra ``/etc/hosts`` entries; the runtime always adds its host gateway name.
    extra_hosts: Mapping[str, str] = attrs.field(factory=dict)
    #: Files and directories created in the container before it starts (``with_container_files``).
    files: tuple[FileSpec, ...] = ()


@attrs.frozen
class ProcessSpec:
    """Everything needed to run one executable resource, fully resolved."""

    resource_name: str
    command: str
    #: The working directory (it must exist).
    cwd: Path
    args: tuple[str, ...] = ()
    #: The resource's own variables (what the dashboard shows).
    env: Mapping[str, str] = attrs.field(factory=dict)
    #: Start from the app host's own environment (``os.environ``), with :attr:`env` on top.
    inherit_environment: bool = True
