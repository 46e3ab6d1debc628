"""How resources look before and while they run: first snapshots, parameter states, snapshot updates."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping

from .._model._annotations import KnownRelationshipTypes
from .._model._connection_strings import ConnectionStringParameterResource, ConnectionStringResource
from .._model._container_annotations import ContainerLifetime
from .._model._dependencies import ResourceRelationshipAnnotation
from .._model._endpoints import EndpointAnnotation
from .._model._python import PythonAppResource
from .._model._resources import (
    ContainerResource,
    ExecutableResource,
    IResource,
    IResourceWithParent,
    MissingParameterValueError,
    ParameterResource,
    resource_type_name,
)
from .._model._snapshot import (
    EnvironmentVariableSnapshot,
    HealthReportSnapshot,
    KnownProperties,
    KnownResourceStates,
    RelationshipSnapshot,
    ResourceSnapshot,
    ResourceSnapshotAnnotation,
    StateStyle,
    UrlSnapshot,
)
from .._model._urls import ResourceIconAnnotation
from ._health import pending_reports

__all__ = [
    "env_snapshot",
    "has_lifecycle",
    "initial_snapshot",
    "mirror_state",
    "parameter_update",
    "with_urls",
]

S = KnownResourceStates
P = KnownProperties
Update = Callable[[ResourceSnapshot], ResourceSnapshot]


def has_lifecycle(r: IResource) -> bool:
    """Whether the orchestrator runs *r* itself (a container or a process)."""
    return isinstance(r, ContainerResource | ExecutableResource)


def initial_snapshot(r: IResource) -> ResourceSnapshot:
    """The first snapshot of *r*: its ``ResourceSnapshotAnnotation``, relationships, and what it runs."""
    ann = r.annotations.last(ResourceSnapshotAnnotation)
    rels = [
        RelationshipSnapshot(rel.resource.name, rel.type) for rel in r.annotations.all(ResourceRelationshipAnnotation)
    ]
    if isinstance(r, IResourceWithParent) and all(
        not (x.resource_name == r.parent.name and x.type == KnownRelationshipTypes.PARENT) for x in rels
    ):
        rels.append(RelationshipSnapshot(r.parent.name, KnownRelationshipTypes.PARENT))
    if ann is not None:
        snap = ann.initial_snapshot
        snap = snap.evolve(relationships=tuple(snap.relationships) + tuple(rels))
    else:
        snap = ResourceSnapshot(resource_type_name(r), relationships=tuple(rels))
        if has_lifecycle(r) or isinstance(r, ConnectionStringResource):
            snap = snap.with_state(S.NOT_STARTED)
    icon = r.annotations.last(ResourceIconAnnotation)
    if icon is not None:
        snap = snap.evolve(icon_name=icon.icon_name, icon_variant=icon.icon_variant.value)
    if isinstance(r, ContainerResource):
        image = getattr(r, "image", None)
        if image is not None:
            snap = snap.with_property(P.Container.IMAGE, image.full_name)
            snap = _with_default_source(snap, image.full_name)
        ports = [e.target_port for e in r.annotations.all(EndpointAnnotation) if e.target_port is not None]
        snap = snap.with_property(P.Container.PORTS, ports)
        snap = snap.with_property(P.Container.LIFETIME, getattr(r, "lifetime", ContainerLifetime.SESSION).value)
    elif isinstance(r, ExecutableResource):
        snap = snap.with_property(P.Executable.PATH, r.command)
        snap = snap.with_property(P.Executable.WORK_DIR, str(r.working_dir))
        snap = _with_default_source(snap, _executable_source(r))
    return snap


def _with_default_source(snap: ResourceSnapshot, source: str) -> ResourceSnapshot:
    """``resource.source`` as dashboards show it, unless the resource's initial state set one."""
    if snap.property_value(P.Resource.SOURCE) is not None:
        return snap
    return snap.with_property(P.Resource.SOURCE, source)


def _executable_source(r: ExecutableResource) -> str:
    if isinstance(r, PythonAppResource):
        return f"-m {r.module}" if r.module is not None else str(r.script_path)
    return r.command


def _parameter_running(
    key: str, value: str, secret: bool, pending: tuple[HealthReportSnapshot, ...], s: ResourceSnapshot
) -> ResourceSnapshot:
    running = s.with_state(S.RUNNING, StateStyle.SUCCESS).with_property(key, value, is_sensitive=secret)
    return running.evolve(health_reports=pending)


def _value_missing(s: ResourceSnapshot) -> ResourceSnapshot:
    return s.with_state("Value missing", StateStyle.WARNING)


def parameter_update(r: ParameterResource, logger: logging.Logger) -> Update:
    """The parameter's state: Running with its value (masked when secret), or "Value missing" (logged)."""
    # The builder installed the parameter's lookup (environment, secrets store, defaults): reading
    # the value runs it, so run mode needs nothing from the hosting layer.
    try:
        value: str | None = r.value
    except MissingParameterValueError:
        value = None
    except Exception as exc:  # e.g. an unreadable secrets store
        value = None
        logger.error("%s", exc)
    if value is None:
        logger.warning("Parameter %r has no value: set the environment variable %s", r.name, r.configuration_key)
        return _value_missing
    key = P.Resource.CONNECTION_STRING if isinstance(r, ConnectionStringParameterResource) else P.Parameter.VALUE
    # Its health checks (an external service behind a connection string) start out pending.
    return functools.partial(_parameter_running, key, value, r.secret, pending_reports(r))


def mirror_state(
    parent: ResourceSnapshot, pending: tuple[HealthReportSnapshot, ...], s: ResourceSnapshot
) -> ResourceSnapshot:
    """A lifecycle-less child follows its parent's state; its checks start out pending when it runs."""
    return s.evolve(state=parent.state, exit_code=parent.exit_code, health_reports=pending)


def with_urls(urls: tuple[UrlSnapshot, ...], s: ResourceSnapshot) -> ResourceSnapshot:
    return s.evolve(urls=urls)


def env_snapshot(env: Mapping[str, str], secret: frozenset[str]) -> tuple[EnvironmentVariableSnapshot, ...]:
    """The environment as shown: sorted, secret values marked sensitive."""
    return tuple(EnvironmentVariableSnapshot(k, v, True, k in secret) for k, v in sorted(env.items()))
