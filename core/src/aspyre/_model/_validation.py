"""Checks of one resource's own configuration that ``build()`` runs (the graph checks are in ``_graph``):
what an engine or the operating system would otherwise refuse only when the resource starts.

* container images: the image reference grammar (:mod:`._container_names`);
* volume names, mount targets and container names;
* container runtime arguments: the parser the container runtime uses (:mod:`._runargs`);
* ``None`` as the value of an environment variable or an argument;
* the size of the arguments and environment known now against the limits of the operating system
  (:mod:`._exec_limits`): a container's process is checked against Linux's, an executable against the
  limits the caller passes (the machine's, which the model room does not look up).

The builder methods run the same checks at the call; these catch annotations added directly (by an
integration, or ``with_annotation``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._annotations import CommandLineArgsAnnotation, ContainerImageAnnotation, EnvironmentAnnotation
from ._container_annotations import (
    ContainerMountAnnotation,
    ContainerMountType,
    ContainerNameAnnotation,
    ContainerRuntimeArgsAnnotation,
)
from ._container_files import ContainerFilesAnnotation, container_file_problems
from ._container_names import container_name_problem, image_reference_problem, volume_name_problem
from ._endpoint_runtime import ProxySupportAnnotation, ReplicaAnnotation
from ._endpoints import EndpointAnnotation, EndpointProtocol
from ._exec_limits import LINUX_CONTAINER_LIMITS, ExecLimits, InheritedEnvironment, exec_size_problems
from ._python import PythonAppResource
from ._resources import ContainerResource, ExecutableResource, IResource
from ._runargs import parse_runtime_args
from ._values import none_value_error

__all__ = ["VALIDATION_KINDS", "KindsOf", "resource_problems"]

#: ``kinds_of(kind, default)``: a resource's annotations of ``kind``, or ``default`` when it has none.
KindsOf = Callable[[type, Any], Any]

#: The annotation kinds :func:`resource_problems` asks about.
VALIDATION_KINDS: tuple[type, ...] = (
    ContainerImageAnnotation,
    ContainerMountAnnotation,
    ContainerNameAnnotation,
    ContainerRuntimeArgsAnnotation,
    ContainerFilesAnnotation,
    ReplicaAnnotation,
    ProxySupportAnnotation,
    EnvironmentAnnotation,
    CommandLineArgsAnnotation,
    EndpointAnnotation,
)


def _container_problems(r: ContainerResource, kinds_of: KindsOf) -> list[str]:
    problems: list[str] = []
    images = kinds_of(ContainerImageAnnotation, None)
    if images:
        image = images[-1]
        why = image_reference_problem(image.full_name)
        if why is not None:
            problems.append(f"Resource {r.name!r}: the image {image.full_name!r} is not a valid image reference: {why}")
    for m in kinds_of(ContainerMountAnnotation, ()):
        if m.type is ContainerMountType.VOLUME and m.source is not None:
            why = volume_name_problem(m.source)
            if why is not None:
                problems.append(f"Resource {r.name!r}: volume {m.source!r}: {why}")
        if not isinstance(m.target, str) or not m.target.startswith("/") or m.target.rstrip("/") == "":
            problems.append(
                f"Resource {r.name!r}: the mount target {m.target!r} must be an absolute path in the container other "
                "than '/' (such as '/data')"
            )
    names = kinds_of(ContainerNameAnnotation, None)
    if names:
        why = container_name_problem(names[-1].name)
        if why is not None:
            problems.append(f"Resource {r.name!r}: {why}")
    runtime = kinds_of(ContainerRuntimeArgsAnnotation, None)
    runtime_args = [a for ann in runtime for a in ann.args] if runtime else []
    if runtime_args:
        try:
            parse_runtime_args(runtime_args)
        except (TypeError, ValueError) as exc:
            problems.append(f"Resource {r.name!r}: container runtime args: {exc}")
    for files in kinds_of(ContainerFilesAnnotation, ()):
        problems.extend(f"Resource {r.name!r}: with_container_files(): {p}" for p in container_file_problems(files))
    return problems


def _replica_problems(r: ExecutableResource, replicas: int) -> list[str]:
    """With several replicas every endpoint is proxied and hands each replica its port through ``env=``."""
    problems: list[str] = []
    support = r.annotations.last(ProxySupportAnnotation)
    if support is not None and not support.enabled:
        problems.append(
            f"Resource {r.name!r}: with_replicas({replicas}) needs the endpoint proxy, but "
            "with_endpoint_proxy_support(False) switched it off"
        )
    for ep in r.annotations.all(EndpointAnnotation):
        why = None
        if ep.protocol is not EndpointProtocol.TCP:
            why = "is not TCP (the proxy forwards TCP)"
        elif not ep.is_proxied or (ep.port is not None and ep.port == ep.target_port):
            why = "is not proxied (is_proxied=False, or port given alone): the replicas cannot share it"
        elif ep.target_port is not None:
            why = f"fixes target_port={ep.target_port}: each replica needs a port of its own (leave it out)"
        elif not ep.env:
            why = "has no env= variable to tell each replica its port (with_http_endpoint(env='PORT'))"
        if why is not None:
            problems.append(f"Resource {r.name!r}: with_replicas({replicas}): endpoint {ep.name!r} {why}")
    return problems


def _known_args(r: IResource, arg_annotations: Sequence[CommandLineArgsAnnotation]) -> list[str]:
    """The command line as far as it is known before run time (literal arguments)."""
    args: list[str] = []
    if isinstance(r, ExecutableResource):
        args.append(r.command)
        if isinstance(r, PythonAppResource):
            args.extend(a for a in r.entry_args() if isinstance(a, str))
    elif isinstance(r, ContainerResource) and r.entrypoint:
        args.append(r.entrypoint)
    for ann in arg_annotations:
        args.extend(a for a in ann.args if type(a) is str or isinstance(a, str))
    return args


def resource_problems(
    r: IResource,
    *,
    host_limits: ExecLimits | None = None,
    inherited_environment: Mapping[str, str] | InheritedEnvironment | None = None,
    kinds_of: KindsOf | None = None,
) -> list[str]:
    """Every problem of ``r``'s own configuration, in words naming it and the fix.

    ``kinds_of(kind, default)`` gives the resource's annotations of a kind (``default`` when it has none): the
    caller's way to read them when it knows a faster one than ``Annotations._view`` (their groups).
    """
    problems: list[str] = []
    if kinds_of is None:
        view = r.annotations._view
        kinds_of = lambda kind, _default: view(kind)  # noqa: E731
    is_container = isinstance(r, ContainerResource)
    is_executable = not is_container and isinstance(r, ExecutableResource)
    if is_container:
        problems.extend(_container_problems(r, kinds_of))  # type: ignore[arg-type]
    replicas = kinds_of(ReplicaAnnotation, None)
    if replicas and replicas[-1].replicas > 1 and is_executable:
        problems.extend(_replica_problems(r, replicas[-1].replicas))  # type: ignore[arg-type]
    env_annotations: Sequence[EnvironmentAnnotation] = kinds_of(EnvironmentAnnotation, ())
    for env_ann in env_annotations:
        if env_ann.value is None:
            problems.append(str(none_value_error(r, f"environment variable {env_ann.name!r}", "an EnvironmentAnnotation")))
    arg_annotations: Sequence[CommandLineArgsAnnotation] = kinds_of(CommandLineArgsAnnotation, ())
    if arg_annotations:
        for i, value in enumerate(a for ann in arg_annotations for a in ann.args):
            if value is None:
                problems.append(str(none_value_error(r, f"argument {i + 1}", "a CommandLineArgsAnnotation")))
    limits = LINUX_CONTAINER_LIMITS if is_container else host_limits
    if limits is not None and (is_container or is_executable):
        inherited = inherited_environment if is_executable else None
        if not _far_below(r, env_annotations, arg_annotations, limits, inherited):
            env = {e.name: e.value for e in env_annotations if type(e.value) is str or isinstance(e.value, str)}
            problems.extend(
                exec_size_problems(r.name, _known_args(r, arg_annotations), env, limits, inherited=inherited, known_only=True)
            )
    return problems


def _far_below(
    r: IResource,
    env_annotations: Sequence[EnvironmentAnnotation],
    arg_annotations: Sequence[CommandLineArgsAnnotation],
    limits: ExecLimits,
    inherited: Mapping[str, str] | InheritedEnvironment | None,
) -> bool:
    """Whether the known arguments and environment are surely within ``limits`` (what most processes are), told
    from the lengths of the strings alone: a character is at most 4 bytes in UTF-8, and every variable and argument
    is counted (a variable set twice too). ``False`` sends the process to the exact count."""
    if isinstance(r, PythonAppResource) or (inherited is not None and not isinstance(inherited, InheritedEnvironment)):
        return False
    host = inherited
    if host is not None and limits.per_string is not None and host.oversized:
        return False  # told by the exact count (the process may set the variable itself)
    longest = total = count = 0
    command = r.command if isinstance(r, ExecutableResource) else getattr(r, "entrypoint", None)
    if isinstance(command, str):
        longest = total = len(command)
        count = 1
    for ann in arg_annotations:
        for a in ann.args:
            if type(a) is str or isinstance(a, str):
                size = len(a)
                if size > longest:
                    longest = size
                total += size
                count += 1
    for e in env_annotations:
        value = e.value
        if type(value) is str or isinstance(value, str):
            size = len(e.name) + len(value) + 1
            if size > longest:
                longest = size
            total += size
            count += 1
    if limits.per_string is not None and 4 * longest + 1 > limits.per_string:
        return False
    if limits.total is None:
        return True
    host_total, host_count = (host.total, len(host.sizes)) if host is not None else (0, 0)
    return 4 * total + count + host_total + limits.pointer_size * (count + host_count + 2) <= limits.total
