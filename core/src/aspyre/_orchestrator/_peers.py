"""Which containers reach another container by name: they, and the containers they reach, share the session
network; every other container runs on the engine's default bridge (it starts faster there, and an app whose
containers reach no other container needs no network at all).

A container's peers are found twice: from the model before anything starts (references, waits, connection
strings, relationships: the targets are then created on the network from the start), and from the values its environment and
arguments resolved to when its spec is built (what environment and argument callbacks added, hidden until then;
a target already running is then connected to the network, under its name and aliases).
"""

from __future__ import annotations

from collections.abc import Iterable

from .._model._dependencies import ResourceRelationshipAnnotation
from .._model._graph import DistributedApplicationModel, direct_dependencies, lifecycle_parent
from .._model._resources import ContainerResource, ExecutableResource, IResource
from .._model._values import iter_references

__all__ = ["container_of", "containers_reached", "model_peers", "resources_in"]


def container_of(r: IResource) -> ContainerResource | None:
    """The container that serves *r*: *r* itself, or the container it is a child of (a database of a server)."""
    seen: set[int] = set()
    current: IResource | None = r
    while current is not None and id(current) not in seen:
        if isinstance(current, ContainerResource):
            return current
        seen.add(id(current))
        current = lifecycle_parent(current)
    return None


def containers_reached(caller: IResource, found: Iterable[IResource]) -> set[str]:
    """Names of the containers (other than *caller*'s) whose addresses *found* stand for.

    A resource that is neither a container (nor a child of one) nor a process (processes are reached on
    the host, through ``host.docker.internal``), such as a connection string or a parameter, stands for
    what its own values reach.
    """
    out: set[str] = set()
    seen: set[int] = set()
    todo = list(found)
    while todo:
        r = todo.pop()
        if id(r) in seen:
            continue
        seen.add(id(r))
        container = container_of(r)
        if container is not None:
            if container is not caller:
                out.add(container.name)
        elif not isinstance(r, ExecutableResource):
            todo.extend(direct_dependencies(r))
    return out


def resources_in(values: Iterable[object]) -> list[IResource]:
    """The resources *values* (resolved environment and argument values) refer to, nested ones too."""
    out: list[IResource] = []
    for v in values:
        for obj in (v, *iter_references(v)):
            if isinstance(obj, IResource):
                out.append(obj)
    return out


def model_peers(model: DistributedApplicationModel) -> set[str]:
    """Names of the containers the model shows reaching another container, and of the containers reached.

    What a container depends on (references, waits, values, its parent) and what it has a relationship with
    (``with_relationship``: a tool container such as pgAdmin lists its servers by name).
    """
    out: set[str] = set()
    for r in model:
        if isinstance(r, ContainerResource):
            related = [rel.resource for rel in r.annotations.all(ResourceRelationshipAnnotation)]
            reached = containers_reached(r, [*direct_dependencies(r), *related])
            if reached:
                out |= reached | {r.name}
    return out
