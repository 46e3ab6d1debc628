"""A resource's annotations as a :class:`ContainerSpec` or :class:`ProcessSpec`: the one place that reads them.

Environment variables and arguments are resolved here, for the network the resource runs on (a
container sees its peers by resource name, a process sees 127.0.0.1).
"""

from __future__ import annotations

import inspect
import logging
import os
import posixpath
from collections.abc import Iterable, Mapping

import anyio
import attrs

from .._model._container_annotations import (
    ContainerImagePullPolicy,
    ContainerImagePullPolicyAnnotation,
    ContainerMountAnnotation,
    ContainerMountType,
    ContainerNameAnnotation,
    ContainerNetworkAliasAnnotation,
    ContainerRuntimeArgsAnnotation,
    DockerfileBuildAnnotation,
)
from .._model._container_files import (
    ContainerDirectory,
    ContainerFile,
    ContainerFilesAnnotation,
    ContainerFilesCallbackContext,
    ContainerFileSystemEntry,
)
from .._model._endpoints import EndpointAnnotation
from .._model._environment import compute_arguments, compute_environment, is_secret_value
from .._model._exec_limits import LINUX_CONTAINER_LIMITS, ExecLimits, exec_size_problems
from .._model._execution import ExecutionContext
from .._model._python import PythonAppResource
from .._model._resources import ContainerResource, ExecutableResource, IResource
from .._model._value_context import ValueContext
from .._model._values import KnownNetworks, resolve_value
from .._platform import host_exec_limits
from ._otlp import OtlpEnvironment
from ._peers import resources_in
from ._python import python_launch
from ._specs import BuildSpec, ContainerSpec, FileSpec, MountSpec, PortSpec, ProcessSpec

__all__ = ["Resolved", "build_spec", "container_files", "container_name", "container_spec", "process_spec", "resolve"]


@attrs.frozen
class Resolved:
    """A resource's environment and arguments with every value resolved."""

    env: dict[str, str]
    args: tuple[str, ...]
    #: Names of the variables whose value is a secret (shown masked).
    secret: frozenset[str]
    #: Whether an argument is made from a secret (the arguments are then shown masked).
    secret_args: bool = False
    #: The resources the values were made from (callbacks' values too): how the caller finds its peers.
    references: tuple[IResource, ...] = attrs.field(default=(), repr=False, eq=False)


async def resolve(
    r: IResource,
    network: str,
    context: ExecutionContext,
    logger: logging.Logger,
    otlp: OtlpEnvironment | None = None,
) -> Resolved:
    """Run the resource's environment and argument callbacks and resolve every value for *network*.

    ``otlp``: the telemetry variables (:mod:`._otlp`), under the resource's own (which win).
    """
    ctx = ValueContext(caller=r, network=network, execution_context=context)
    env: dict[str, str] = dict(otlp.env) if otlp is not None else {}
    secret: set[str] = set(otlp.secret) if otlp is not None else set()
    raws: list[object] = []
    for key, raw in (await compute_environment(r, context, logger)).items():
        raws.append(raw)
        value = await resolve_value(raw, ctx)
        env[key] = "" if value is None else value
        if is_secret_value(raw):
            secret.add(key)
        else:
            secret.discard(key)
    args: list[str] = []
    secret_args = False
    for raw in await compute_arguments(r, context, logger):
        raws.append(raw)
        value = await resolve_value(raw, ctx)
        args.append("" if value is None else value)
        secret_args = secret_args or is_secret_value(raw)
    return Resolved(env, tuple(args), frozenset(secret), secret_args, tuple(resources_in(raws)))


def _check_exec_size(name: str, args: list[str], env: Mapping[str, str], limits: ExecLimits, inherit: bool) -> None:
    """Refuse, naming the variable, what the operating system would refuse with "Argument list too long"."""
    problems = exec_size_problems(name, args, env, limits, inherited=os.environ if inherit else None)
    if problems:
        more = f" ({len(problems) - 1} more like it)" if len(problems) > 1 else ""
        raise ValueError(problems[0] + more)


async def process_spec(
    r: ExecutableResource, context: ExecutionContext, logger: logging.Logger, otlp: OtlpEnvironment | None = None
) -> tuple[ProcessSpec, Resolved]:
    """The process to run for an executable resource, and its resolved configuration.

    Raises :class:`ValueError` naming the argument or variable when the process's arguments and
    environment are larger than this machine lets a process start with. ``otlp``: the telemetry
    variables, under the resource's own. A Python app runs as :func:`._python.python_launch` says
    (through ``opentelemetry-instrument`` when its environment has it, under debugpy when asked).
    """
    resolved = await resolve(r, KnownNetworks.LOCALHOST, context, logger, otlp)
    command, args = r.command, resolved.args
    if isinstance(r, PythonAppResource):
        command, args = await python_launch(r, args)
    spec = ProcessSpec(r.name, command, r.working_dir, args=args, env=resolved.env)
    _check_exec_size(r.name, [spec.command, *spec.args], spec.env, host_exec_limits(), spec.inherit_environment)
    return spec, resolved


async def container_spec(
    r: ContainerResource,
    context: ExecutionContext,
    logger: logging.Logger,
    otlp: OtlpEnvironment | None = None,
    *,
    image_reference: str | None = None,
    host_ports: Mapping[str, int | None] | None = None,
) -> tuple[ContainerSpec, Resolved]:
    """The container to run for a container resource (endpoints allocated already), and its configuration.

    ``image_reference`` replaces the resource's image (an image built from its Dockerfile); ``host_ports``
    replaces the host port of endpoints by name (``None``: a free port chosen by the engine, behind a proxy).
    """
    resolved = await resolve(r, KnownNetworks.CONTAINER, context, logger, otlp)
    entry = [r.entrypoint] if r.entrypoint else []
    _check_exec_size(r.name, [*entry, *resolved.args], resolved.env, LINUX_CONTAINER_LIMITS, False)
    image = r.image
    if image is None and image_reference is None:
        raise RuntimeError(f"container {r.name!r} has no image: call with_image()")
    overrides = host_ports or {}
    ports = tuple(
        PortSpec(
            ep.target_port or 0,
            overrides[ep.name] if ep.name in overrides else ep.allocated[KnownNetworks.LOCALHOST].port,
            ep.protocol.value,
        )
        for ep in r.annotations.all(EndpointAnnotation)
    )
    mounts = tuple(
        MountSpec("bind" if m.type is ContainerMountType.BIND_MOUNT else "volume", m.source, m.target, m.read_only)
        for m in r.annotations.all(ContainerMountAnnotation)
    )
    runtime_args: list[str] = []
    for a in r.annotations.all(ContainerRuntimeArgsAnnotation):
        runtime_args.extend(a.args)
    pull = r.annotations.last(ContainerImagePullPolicyAnnotation)
    spec = ContainerSpec(
        resource_name=r.name,
        image=image_reference if image_reference is not None else image.full_name,  # type: ignore[union-attr]
        pull_policy=pull.policy if pull is not None else ContainerImagePullPolicy.MISSING,
        entrypoint=r.entrypoint,
        args=resolved.args,
        env=resolved.env,
        ports=ports,
        mounts=mounts,
        network_aliases=tuple(a.alias for a in r.annotations.all(ContainerNetworkAliasAnnotation)),
        runtime_args=tuple(runtime_args),
        lifetime=r.lifetime,
        container_name=container_name(r),
        files=await container_files(r, context),
    )
    return spec, resolved


def container_name(r: ContainerResource) -> str | None:
    """The container name the user chose (``with_container_name``), if any."""
    ann = r.annotations.last(ContainerNameAnnotation)
    return ann.name if ann is not None else None


async def build_spec(r: ContainerResource, context: ExecutionContext) -> BuildSpec | None:
    """The image to build for *r* (``with_dockerfile``), values resolved; ``None`` when it has none."""
    ann = r.annotations.last(DockerfileBuildAnnotation)
    if ann is None:
        return None
    ctx = ValueContext(caller=r, network=KnownNetworks.LOCALHOST, execution_context=context)
    args: dict[str, str | None] = {}
    for key, raw in ann.build_args:
        args[key] = None if raw is None else await resolve_value(raw, ctx)
    secrets: dict[str, str] = {}
    for key, raw in ann.build_secrets:
        secrets[key] = await resolve_value(raw, ctx) or ""
    return BuildSpec(
        resource_name=r.name,
        repository=r.name.lower(),
        context=ann.context,
        dockerfile=ann.dockerfile,
        stage=ann.stage,
        build_args=args,
        secrets=secrets,
    )


async def _entries(
    ann: ContainerFilesAnnotation, r: IResource, context: ExecutionContext
) -> list[ContainerFileSystemEntry]:
    entries: list[ContainerFileSystemEntry] = list(ann.entries)
    if ann.callback is not None:
        made = ann.callback(ContainerFilesCallbackContext(r, context))
        if inspect.isawaitable(made):
            made = await made
        entries.extend(made if isinstance(made, Iterable) else ())
    return entries


async def _flatten(
    r: IResource, ann: ContainerFilesAnnotation, entries: Iterable[object], where: str, out: list[FileSpec]
) -> None:
    owner = ann.default_owner or 0
    group = ann.default_group if ann.default_group is not None else owner
    for e in entries:
        if not isinstance(e, (ContainerFile, ContainerDirectory)):
            raise TypeError(
                f"container files of {r.name!r}: expected ContainerFile or ContainerDirectory entries, got {e!r}"
            )
        path = posixpath.join(where, e.name)
        uid = owner if e.owner is None else e.owner
        gid = group if e.group is None else e.group
        if isinstance(e, ContainerDirectory):
            out.append(FileSpec(path, None, (0o777 & ~ann.umask) if e.mode is None else e.mode, uid, gid))
            await _flatten(r, ann, e.entries, path, out)
            continue
        if e.contents is not None:
            data = e.contents.encode("utf-8") if isinstance(e.contents, str) else e.contents
        else:
            data = await anyio.Path(e.source_path).read_bytes()  # type: ignore[arg-type]
        out.append(FileSpec(path, data, (0o666 & ~ann.umask) if e.mode is None else e.mode, uid, gid))


async def container_files(r: IResource, context: ExecutionContext) -> tuple[FileSpec, ...]:
    """The files and directories ``with_container_files`` creates in *r*'s container (callbacks run here)."""
    out: list[FileSpec] = []
    for ann in r.annotations.all(ContainerFilesAnnotation):
        await _flatten(r, ann, await _entries(ann, r, context), ann.normalised_destination, out)
    return tuple(out)
