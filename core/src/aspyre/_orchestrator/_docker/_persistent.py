"""Reusing a persistent container: one rule for every start, at app start or by the Start command.

An existing container of that name, created by this app host, with the same configuration hash is
reused: followed as it is when it runs, started again when it is stopped. A changed configuration (or a
container that will not run again) is stopped gracefully, then removed, so that the caller creates it anew. A container of that
name that aspyre or this app host did not create is never touched.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import anyio

from .._specs import ContainerSpec
from ._create import anonymous_volumes, host_ports
from ._engine import DockerEngine
from ._errors import APIError, ContainerStartError, NotFound
from ._handle import ContainerHandle
from ._logread import log_end
from ._monitor import Monitor
from ._owner import LABEL_APP_HOST, LABEL_APP_HOST_HASH, LABEL_CONFIG_HASH, LABEL_MANAGED

__all__ = ["existing_host_ports", "reuse_persistent", "stop_own_persistent"]

_log = logging.getLogger("aspyre.containers")


async def reuse_persistent(
    engine: DockerEngine,
    session_network: str | None,
    spec: ContainerSpec,
    *,
    name: str,
    config_hash: str,
    aliases: tuple[str, ...],
    on_log: Callable[[str, bool], None],
    status: Callable[[str], None],
    grace: float = 10.0,
    on_engine: Callable[[bool, str], None] | None = None,
) -> ContainerHandle | None:
    """The existing persistent container *name*, followed again, or ``None`` when it must be created.

    *session_network*: the session network it joins (``None``: it stays off it).
    One that must be recreated is stopped gracefully first (*grace* seconds before SIGKILL), then removed.
    """
    existing = await engine.call(engine.inspect_container, name)
    if existing is None:
        return None
    labels = existing["Config"].get("Labels") or {}
    owner = None
    if labels.get(LABEL_MANAGED) != "true":
        owner = "was not created by aspyre"
    elif labels.get(LABEL_APP_HOST_HASH) != engine.app_host_hash:
        owner = f"belongs to another app host ({labels.get(LABEL_APP_HOST, '?')})"
    if owner is not None:
        raise ContainerStartError(
            f"A container named {name} exists but {owner}, so the persistent container resource "
            f"'{spec.resource_name}' cannot use that name. Remove it (`docker rm -f {name}`) or choose "
            "another name with with_container_name()."
        )
    if labels.get(LABEL_CONFIG_HASH) == config_hash:
        running = bool(existing["State"].get("Running"))
        handle = await _follow(
            engine, session_network, spec, existing, aliases, on_log, start=not running, on_engine=on_engine
        )
        if handle is not None:
            how = "Reusing" if running else "Starting again"
            status(f"{how} persistent container {name} (configuration unchanged)")
            return handle
        reason = "it stopped while aspyre attached to it" if running else "it could not be started again"
    else:
        reason = "its configuration changed"
    if existing["State"].get("Running"):
        # Stopped the way any stop is (the image's stop signal, then SIGKILL after the grace period), so
        # that a database saves its last writes (Redis saves on SIGTERM) before the container goes.
        status(
            f"Recreating persistent container {name}: {reason}; stopping it first (grace period {math.ceil(grace)} s)"
        )
        try:
            await engine.call(engine.api().stop, existing["Id"], timeout=max(0, math.ceil(grace)))
        except NotFound:
            pass
        except APIError as exc:
            _log.warning("stopping container %s before recreating it failed: %s", name, exc)
    else:
        status(f"Recreating persistent container {name}: {reason}")
    await engine.call(engine.remove_container, existing["Id"])
    return None


async def _follow(
    engine: DockerEngine,
    session_network: str | None,
    spec: ContainerSpec,
    existing: dict[str, Any],
    aliases: tuple[str, ...],
    on_log: Callable[[str, bool], None],
    *,
    start: bool,
    on_engine: Callable[[bool, str], None] | None = None,
) -> ContainerHandle | None:
    """Follow an existing persistent container (starting it first if *start*); ``None`` if that fails."""
    container_id = str(existing["Id"])
    name = str(existing["Name"]).lstrip("/")
    api = engine.api()
    networks = (existing.get("NetworkSettings") or {}).get("Networks") or {}
    monitor = Monitor(api, container_id, name, on_log, on_engine)
    try:
        if session_network is not None and session_network not in networks:
            await engine.call(api.connect_container_to_network, container_id, session_network, aliases=list(aliases))
        # Where its log ends before this start: from there on, it holds what the attach delivers (see Monitor.start).
        tty = bool((existing.get("Config") or {}).get("Tty"))
        floor = await engine.call(log_end, api, container_id, tty=tty) if start else None
        # Attached before the start, so the new run's first lines are not missed; earlier runs' are not replayed.
        stream = await engine.call(monitor.open_stream)
        if start:
            await engine.call(api.start, container_id)
        info = await engine.call(api.inspect_container, container_id)
    except APIError as exc:
        _log.debug("following container %s again failed: %s", name, exc)
        monitor.close(detach=False)
        return None
    except BaseException:  # cancelled (the caller stops the container by name if it must), or the engine went
        monitor.close(detach=False)
        raise
    if not start and not info["State"].get("Running"):
        monitor.close(detach=False)
        return None
    monitor.start(stream, str(info["State"].get("StartedAt", "")), log_floor=floor)
    return ContainerHandle(
        id=container_id,
        name=name,
        resource_name=spec.resource_name,
        reused=True,
        persistent=True,
        host_ports=host_ports(info),
        image_id=str(info.get("Image", "")),
        config_hash=str((info["Config"].get("Labels") or {}).get(LABEL_CONFIG_HASH, "")),
        network_aliases=aliases,
        monitor=monitor,
        anonymous_volumes=anonymous_volumes(info),
    )


async def stop_own_persistent(engine: DockerEngine, name: str, app_host_hash: str, grace: float) -> None:
    """Stop container *name* if it runs and belongs to the app host with *app_host_hash* (shielded)."""
    with anyio.CancelScope(shield=True):
        info = await engine.call(engine.inspect_container, name)
        if info is None or not info["State"].get("Running"):
            return
        labels = info["Config"].get("Labels") or {}
        if labels.get(LABEL_APP_HOST_HASH) != app_host_hash:
            return
        await engine.call(engine.api().stop, info["Id"], timeout=max(0, math.ceil(grace)))


async def existing_host_ports(engine: DockerEngine, name: str) -> dict[tuple[int, str], int]:
    """Host ports of container *name*, running or stopped (empty: there is none)."""
    info = await engine.call(engine.inspect_container, name)
    return {} if info is None else host_ports(info)
