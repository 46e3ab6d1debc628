"""A :class:`ContainerSpec` as the engine's create request, and what to read back from a container."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..._model._container_annotations import ContainerLifetime
from ..._model._runargs import RuntimeOptions
from .._specs import ContainerSpec
from ._engine import DockerEngine
from ._errors import (
    APIError,
    Conflict,
    ContainerRuntimeUnavailable,
    ContainerStartError,
    ImageNotFound,
    NotFound,
    explain,
)
from ._images import ImageCache, ensure_image
from ._owner import (
    LABEL_CONFIG_HASH,
    LABEL_MANAGED,
    LABEL_PREFIX,
    LABEL_RESOURCE,
    LABEL_VOLUME_KIND,
    LIFETIME_PERSISTENT,
)
from ._run_options import run_options

__all__ = [
    "anonymous_volumes",
    "config_hash",
    "container_name_of",
    "CreateRequest",
    "create_container",
    "create_request",
    "host_ports",
    "random_suffix",
    "remove_with_volumes",
    "validate",
]

_log = logging.getLogger("aspyre.containers")


def validate(spec: ContainerSpec) -> None:
    """Raise :class:`ValueError` naming the resource for what the engine would refuse or misread."""
    where = f"container resource '{spec.resource_name}'"
    if not spec.image:
        raise ValueError(f"{where} has no image")
    for key in spec.labels:
        if key.startswith(LABEL_PREFIX):
            raise ValueError(f"label {key!r} of {where} uses the prefix {LABEL_PREFIX!r}, which is reserved for aspyre")
    for port in spec.ports:
        if port.protocol not in {"tcp", "udp", "sctp"}:
            raise ValueError(
                f"port {port.target_port} of {where}: protocol must be tcp, udp or sctp, not {port.protocol!r}"
            )
        if not 0 < port.target_port < 65536 or (port.host_port is not None and not 0 < port.host_port < 65536):
            raise ValueError(f"port {port.target_port} of {where}: ports must be between 1 and 65535")
    for mount in spec.mounts:
        if not mount.target.startswith("/"):
            raise ValueError(f"mount target {mount.target!r} of {where} must be an absolute path in the container")
        if mount.type == "bind":
            if not mount.source or not os.path.isabs(mount.source):
                raise ValueError(
                    f"bind mount source {mount.source!r} of {where} must be an absolute host path "
                    "(relative paths are resolved against the app host's directory before this point)"
                )
        elif mount.type != "volume":
            raise ValueError(f"mount type {mount.type!r} of {where} must be 'bind' or 'volume'")


def config_hash(spec: ContainerSpec, image_id: str) -> str:
    """SHA-256 over everything that defines a persistent container (nothing per-run)."""
    document: dict[str, object] = {
        "version": 1,
        "image": image_id,
        "entrypoint": spec.entrypoint,
        "args": list(spec.args),
        "env": sorted(spec.env.items()),
        "ports": sorted([port.target_port, port.protocol, port.host_port or 0] for port in spec.ports),
        "mounts": sorted([m.type, m.source or "", m.target, m.read_only] for m in spec.mounts),
        "runtime_args": list(spec.runtime_args),
        "labels": sorted(spec.labels.items()),
        "extra_hosts": sorted(spec.extra_hosts.items()),
        "aliases": sorted({spec.resource_name, *spec.network_aliases}),
    }
    if spec.files:  # only then: the hash of containers without files stays what it was
        document["files"] = [
            [f.path, f.mode, f.uid, f.gid, None if f.contents is None else hashlib.sha256(f.contents).hexdigest()]
            for f in spec.files
        ]
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def container_name_of(spec: ContainerSpec, app_host_hash: str) -> str:
    """The chosen name (``with_container_name``), else ``<resource>-<app host hash>`` for a persistent
    container, else ``<resource>-<8 random letters>``."""
    if spec.container_name:
        return spec.container_name
    if spec.lifetime is ContainerLifetime.PERSISTENT:
        return f"{spec.resource_name}-{app_host_hash}"
    return f"{spec.resource_name}-{random_suffix()}"


async def create_container(
    engine: DockerEngine,
    images: ImageCache,
    spec: ContainerSpec,
    platform: str | None,
    status: Callable[[str], None],
    request: CreateRequest,
) -> dict[str, Any]:
    """Create the container (*request* from :func:`create_request`); the engine's answer (``Id``, ``Warnings``).

    An image this session found earlier that went away meanwhile is found (or pulled) again, once.
    Raises :class:`ContainerStartError` naming the container, or :class:`ContainerRuntimeUnavailable`.
    """

    def create() -> dict[str, Any]:
        return engine.api().create_container(request.config, name=request.name, platform=request.platform)

    try:
        try:
            return await engine.call(create)
        except ImageNotFound:
            images.drop(spec.image)
            await ensure_image(engine, spec, platform, status, images)
            return await engine.call(create)
    except ContainerRuntimeUnavailable:
        raise
    except Exception as exc:
        raise ContainerStartError(
            f"Cannot create the container {request.name} of resource '{spec.resource_name}': {explain(exc)}"
        ) from exc


def random_suffix() -> str:
    """Eight random lowercase letters (session container names, as Aspire's)."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


@attrs.frozen
class CreateRequest:
    """A container create request: the Engine API body and the query (name, platform)."""

    config: dict[str, Any]
    name: str
    platform: str | None = None


def create_request(
    engine: DockerEngine,
    spec: ContainerSpec,
    options: RuntimeOptions,
    image: dict[str, Any],
    *,
    lifetime: str,
    name: str,
    network: str | None,
    aliases: tuple[str, ...],
    config_hash: str,
) -> CreateRequest:
    """The create request of *spec* (blocking: creates named volumes).

    *network*: the network it is created on under *aliases* (``None``: the engine's default bridge).
    """
    resource_labels = {LABEL_RESOURCE: spec.resource_name}
    anonymous_labels = engine.labels(lifetime, **resource_labels, **{LABEL_VOLUME_KIND: "anonymous"})
    mounts: list[dict[str, Any]] = []
    for mount in spec.mounts:
        if mount.type == "bind":
            mounts.append(_mount(mount.target, mount.source, "bind", mount.read_only))
        elif mount.source:
            _ensure_named_volume(engine, mount.source, spec.resource_name)
            mounts.append(_mount(mount.target, mount.source, "volume", mount.read_only))
        else:
            mounts.append(_mount(mount.target, None, "volume", mount.read_only, anonymous_labels))
    # Volumes the image declares: mount them explicitly so the anonymous volumes carry our labels too.
    targets = {mount.target.rstrip("/") or "/" for mount in spec.mounts}
    for path in sorted((image.get("Config") or {}).get("Volumes") or {}):
        if (path.rstrip("/") or "/") not in targets:
            mounts.append(_mount(path, None, "volume", False, anonymous_labels))

    bindings: dict[str, list[dict[str, str]]] = {}
    for port in spec.ports:
        bindings.setdefault(f"{port.target_port}/{port.protocol}", []).append(
            {"HostIp": "127.0.0.1", "HostPort": "" if port.host_port is None else str(port.host_port)}
        )
    labels = {
        **spec.labels,
        **options.labels,
        **engine.labels(lifetime, **resource_labels, **{LABEL_CONFIG_HASH: config_hash}),
    }
    extra_hosts = {**spec.extra_hosts, **options.extra_hosts}
    config, host_config = run_options(options.kwargs)
    host_config.update(
        {
            "Mounts": mounts,
            "PortBindings": bindings,
            "NetworkMode": network or "default",
        }
    )
    if extra_hosts:
        host_config["ExtraHosts"] = [f"{host}:{address}" for host, address in extra_hosts.items()]
    body: dict[str, Any] = {
        **config,
        "Image": spec.image,
        "Env": [f"{key}={value}" for key, value in spec.env.items()],
        "Labels": labels,
        "ExposedPorts": {key: {} for key in bindings},
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "Tty": False,
        "HostConfig": host_config,
    }
    if spec.args:
        body["Cmd"] = list(spec.args)
    if spec.entrypoint:
        body["Entrypoint"] = [spec.entrypoint]
    if network is not None:
        body["NetworkingConfig"] = {"EndpointsConfig": {network: {"Aliases": list(aliases)}}}
    return CreateRequest(config=body, name=name, platform=options.kwargs.get("platform"))


def _mount(
    target: str, source: str | None, kind: str, read_only: bool, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    mount: dict[str, Any] = {"Target": target, "Type": kind, "ReadOnly": read_only}
    if source:
        mount["Source"] = source
    if labels:
        mount["VolumeOptions"] = {"Labels": labels}
    return mount


def _ensure_named_volume(engine: DockerEngine, name: str, resource_name: str) -> None:
    api = engine.api()
    try:
        api.inspect_volume(name)
    except NotFound:
        labels = engine.labels(LIFETIME_PERSISTENT, **{LABEL_RESOURCE: resource_name, LABEL_VOLUME_KIND: "named"})
        try:
            api.create_volume(name, labels=labels)
        except Conflict:
            pass


def remove_with_volumes(engine: DockerEngine, container_id: str, volumes: tuple[str, ...]) -> None:
    """Remove a container and the anonymous volumes aspyre created for it (blocking)."""
    api = engine.api()
    engine.remove_container(container_id)
    # Engines that keep anonymous volumes created through the mounts API despite v=True: remove ours.
    for volume in volumes:
        try:
            labels = api.inspect_volume(volume).get("Labels") or {}
            if labels.get(LABEL_MANAGED) == "true" and labels.get(LABEL_VOLUME_KIND) == "anonymous":
                api.remove_volume(volume)
        except NotFound:
            pass
        except APIError as exc:
            _log.debug("removing volume %s: %s", volume, exc)


def host_ports(info: Mapping[str, Any]) -> dict[tuple[int, str], int]:
    """``(target port, protocol) -> host port`` on 127.0.0.1 of an inspected container.

    The ports bound now, else (a stopped container) the ports it is configured to bind.
    """
    bindings = ((info.get("NetworkSettings") or {}).get("Ports")) or {}
    if not any(bindings.values()):
        bindings = ((info.get("HostConfig") or {}).get("PortBindings")) or {}
    ports: dict[tuple[int, str], int] = {}
    for key, entries in bindings.items():
        if not entries:
            continue
        port, _, protocol = str(key).partition("/")
        chosen = next((e for e in entries if e.get("HostIp") in {"127.0.0.1", "0.0.0.0", ""}), entries[0])
        if chosen.get("HostPort"):
            ports[(int(port), protocol or "tcp")] = int(chosen["HostPort"])
    return ports


def anonymous_volumes(info: Mapping[str, Any]) -> tuple[str, ...]:
    """The anonymous volumes (64-hex names) mounted in an inspected container."""
    names = []
    for mount in info.get("Mounts") or []:
        name = str(mount.get("Name") or "")
        if mount.get("Type") == "volume" and len(name) == 64 and all(c in "0123456789abcdef" for c in name):
            names.append(name)
    return tuple(names)
