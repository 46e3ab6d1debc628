"""Removing what app hosts that no longer run left behind (session containers, networks, volumes)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ._client import EngineClient
from ._errors import APIError, NotFound, explain
from ._owner import (
    LABEL_APP_HOST,
    LABEL_LIFETIME,
    LABEL_MANAGED,
    LABEL_OWNER_HOST,
    LABEL_OWNER_PID,
    LABEL_OWNER_START_TIME,
    LABEL_SESSION,
    LIFETIME_SESSION,
    owner_alive,
)

__all__ = ["sweep_orphans"]

_log = logging.getLogger("aspyre.containers")


def sweep_orphans(api: EngineClient, *, session_id: str, this_host: str) -> list[str]:
    """Remove session objects (containers, networks, anonymous volumes) of app hosts that no longer run.

    Blocking (run it in a worker thread). Only objects labelled ``aspyre.lifetime=session`` whose owner
    labels name a process on *this_host* that has exited (or whose PID now belongs to another process)
    are removed; the session *session_id* is the caller's own. Objects of live app hosts, of other
    machines, persistent containers and named volumes are never touched. Returns one description per
    removed object.
    """
    removed: list[str] = []
    verdicts: dict[tuple[str, str, str], bool | None] = {}

    def dead(labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        if labels.get(LABEL_SESSION) == session_id or labels.get(LABEL_LIFETIME) != LIFETIME_SESSION:
            return False
        key = (
            labels.get(LABEL_OWNER_HOST, ""),
            labels.get(LABEL_OWNER_PID, ""),
            labels.get(LABEL_OWNER_START_TIME, ""),
        )
        if key not in verdicts:
            verdicts[key] = owner_alive(labels, this_host=this_host)
        return verdicts[key] is False

    def owner_text(labels: Mapping[str, str]) -> str:
        return (
            f"app host {labels.get(LABEL_APP_HOST, '?')}, pid {labels.get(LABEL_OWNER_PID, '?')}, "
            f"session {labels.get(LABEL_SESSION, '?')}"
        )

    label_filter = {"label": [f"{LABEL_MANAGED}=true", f"{LABEL_LIFETIME}={LIFETIME_SESSION}"]}
    for summary in api.containers(all=True, filters=label_filter):
        labels = summary.get("Labels") or {}
        if not dead(labels):
            continue
        name = (summary.get("Names") or [summary["Id"][:12]])[0].lstrip("/")
        try:
            api.remove_container(summary["Id"], v=True, force=True)
        except NotFound:
            continue
        except APIError as exc:
            _log.warning("could not remove orphaned container %s: %s", name, explain(exc))
            continue
        removed.append(f"container {name} ({owner_text(labels)})")
    for network in api.networks(filters=label_filter):
        labels = network.get("Labels") or {}
        if not dead(labels):
            continue
        try:
            details = api.inspect_network(network["Id"])
            for container_id in details.get("Containers") or {}:
                try:
                    api.disconnect_container_from_network(container_id, network["Id"], force=True)
                except APIError as exc:
                    _log.debug("disconnecting %s from %s: %s", container_id, network["Name"], exc)
            api.remove_network(network["Id"])
        except NotFound:
            continue
        except APIError as exc:
            _log.warning("could not remove orphaned network %s: %s", network["Name"], explain(exc))
            continue
        removed.append(f"network {network['Name']} ({owner_text(labels)})")
    for volume in api.volumes(filters=label_filter).get("Volumes") or []:
        labels = volume.get("Labels") or {}
        if not dead(labels):
            continue
        try:
            api.remove_volume(volume["Name"])
        except NotFound:
            continue
        except APIError as exc:
            _log.warning("could not remove orphaned volume %s: %s", volume["Name"], explain(exc))
            continue
        removed.append(f"volume {volume['Name']} ({owner_text(labels)})")
    for line in removed:
        _log.info("removed orphaned %s", line)
    return removed
