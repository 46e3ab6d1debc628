"""What ``build()`` learns about each resource in one pass over its annotations and values.

Validation asks the same questions of every resource several times (its values, what they refer to,
which endpoints they use, what it depends on). :func:`scan_resource` answers them together, walking
each value once; :func:`~._graph.validate_model` and the builder's adoption of free-standing parameters
share the answers. A scan is made for one ``build()`` and never kept: a model changed afterwards is
scanned afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ._annotations import (
    CommandLineArgsAnnotation,
    CommandLineArgsCallbackAnnotation,
    EnvironmentAnnotation,
    EnvironmentCallbackAnnotation,
    ManifestPublishingCallbackAnnotation,
    _grouped_kinds,
    _matches,
)
from ._container_annotations import DockerfileBuildAnnotation
from ._dependencies import (
    ConnectionPropertyAnnotation,
    ReferenceAnnotation,
    ReferenceEnvironmentAnnotation,
    ResourceRelationshipAnnotation,
    WaitAnnotation,
)
from ._endpoint_runtime import EndpointReferenceExpression
from ._endpoints import EndpointAnnotation, EndpointReference
from ._resources import IResource, IResourceWithConnectionString, IResourceWithParent
from ._urls import ResourceUrlsCallbackAnnotation
from ._validation import VALIDATION_KINDS
from ._values import ReferenceExpression, has_references

__all__ = ["GROUPED", "ResourceScan", "connection_facts", "group_annotations", "scan_resource", "walk_value_references"]

#: The annotation kinds that validation and publishing ask every resource about (most of them several times).
_GRAPH_KINDS = (
    ResourceRelationshipAnnotation,
    WaitAnnotation,
    ReferenceAnnotation,
    EnvironmentAnnotation,
    CommandLineArgsAnnotation,
    ConnectionPropertyAnnotation,
    ResourceUrlsCallbackAnnotation,
    EndpointAnnotation,
    *VALIDATION_KINDS,
    ReferenceEnvironmentAnnotation,
    EnvironmentCallbackAnnotation,
    CommandLineArgsCallbackAnnotation,
    ManifestPublishingCallbackAnnotation,
    DockerfileBuildAnnotation,
)
_KINDS = tuple(dict.fromkeys(_GRAPH_KINDS))
#: ``Annotations._grouped`` of a resource grouped by :func:`group_annotations` (this very object): its groups can
#: be read directly, a kind without a group has no annotation.
GROUPED = _grouped_kinds(_KINDS)


def group_annotations(resources: Iterable[IResource]) -> None:
    """Find each resource's annotations of the kinds validation and publishing ask about in one pass
    (``Annotations._group_by``) rather than once per question; a change to a resource's annotations forgets
    its groups (``build()`` groups the model's resources once)."""
    table = _matches(_KINDS)
    for r in resources:
        r.annotations._group_with(_KINDS, table)


class ResourceScan:
    """One resource's values and what they use, found in one pass (see :func:`scan_resource`)."""

    __slots__ = ("connection_problem", "dependencies", "endpoint_uses", "parent", "values")

    def __init__(
        self,
        values: list[object],
        dependencies: list[IResource],
        endpoint_uses: list[EndpointReference],
        connection_problem: str | None,
        parent: IResource | None,
    ) -> None:
        #: What :func:`~._graph.value_objects` gives.
        self.values = values
        #: What :func:`~._graph.direct_dependencies` gives.
        self.dependencies = dependencies
        #: The endpoints the values use (an endpoint reference, or one property of one), in value order.
        self.endpoint_uses = endpoint_uses
        #: What :func:`~._graph.connection_string_problem` says (``None`` also without a connection string).
        self.connection_problem = connection_problem
        #: The lifecycle parent (:func:`~._graph.lifecycle_parent`).
        self.parent = parent


# What an object met while walking values is, by type (flags): a resource, an endpoint reference, one property of
# an endpoint (or none of these), and whether it has references to walk.
_RESOURCE, _ENDPOINT, _ENDPOINT_PROPERTY, _REFERENCES = 1, 2, 4, 8
_FLAGS: dict[type, int] = {str: 0}


def _flags(obj: object) -> int:
    if isinstance(obj, IResource):
        flags = _RESOURCE
    elif isinstance(obj, EndpointReference):
        flags = _ENDPOINT
    elif isinstance(obj, EndpointReferenceExpression):
        flags = _ENDPOINT_PROPERTY
    else:
        flags = 0
    if has_references(obj):
        flags |= _REFERENCES
    if obj.__class__ is type(obj):  # not a proxy that claims another class: the answer holds for its type
        _FLAGS[type(obj)] = flags
    return flags


# The capabilities ``scan_resource`` asks every resource about, by its type (flags; a protocol's ``isinstance`` is
# Python code): a connection string, a parent.
_WITH_CONNECTION_STRING, _WITH_PARENT = 1, 2
_CAPABILITIES: dict[type, int] = {}


def _capabilities(resource: object) -> int:
    found = _WITH_CONNECTION_STRING if isinstance(resource, IResourceWithConnectionString) else 0
    if isinstance(resource, IResourceWithParent):
        found |= _WITH_PARENT
    if resource.__class__ is type(resource):  # not a proxy that claims another class: the answer holds for its type
        _CAPABILITIES[type(resource)] = found
    return found


def connection_facts(resource: IResourceWithConnectionString) -> tuple[str | None, ReferenceExpression | None, list[Any]]:
    """What is wrong with how ``resource`` implements its connection string, in words (``None``: nothing),
    and, when nothing is, its expression and connection properties (each read once)."""
    kind = type(resource).__name__
    try:
        expression = resource.connection_string_expression
    except Exception as exc:
        return (
            f"Resource {resource.name!r} ({kind}): reading its connection_string_expression failed: "
            f"{type(exc).__name__}: {exc}"
        ), None, []
    if not isinstance(expression, ReferenceExpression):
        return (
            f"Resource {resource.name!r} ({kind}) has a connection string (IResourceWithConnectionString) but its "
            f"connection_string_expression is {expression!r}, not a ReferenceExpression: implement that property "
            "(return ReferenceExpression.format(...))."
        ), None, []
    try:
        properties = list(resource.connection_properties())
    except Exception as exc:
        return (
            f"Resource {resource.name!r} ({kind}): connection_properties() failed: {type(exc).__name__}: {exc}",
            None,
            [],
        )
    if not all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in properties):
        return (
            f"Resource {resource.name!r} ({kind}): connection_properties() must return (name, value) pairs, "
            f"got {properties!r}."
        ), None, []
    return None, expression, properties


def scan_resource(resource: IResource) -> ResourceScan:
    """``resource``'s values (environment, arguments, connection string and properties), its direct
    dependencies (parent, waits, references, what the values use) and the endpoints its values use."""
    annotations = resource.annotations
    groups = annotations._groups
    capabilities = _CAPABILITIES.get(type(resource))
    if capabilities is None:
        capabilities = _capabilities(resource)
    kinds_of: Any  # (kind, default) -> the annotations of that kind
    if groups is not None and annotations._grouped is GROUPED:  # grouped by build(): read directly
        if not groups and not capabilities:  # no annotation it is asked about, no connection string, no parent
            return ResourceScan([], [], [], None, None)
        kinds_of = groups.get
    else:
        view = annotations._view
        kinds_of = lambda kind, _default: view(kind)  # noqa: E731

    values: list[object] = [e.value for e in kinds_of(EnvironmentAnnotation, ())]
    for a in kinds_of(CommandLineArgsAnnotation, ()):
        values.extend(a.args)
    problem: str | None = None
    if capabilities & _WITH_CONNECTION_STRING:
        problem, expression, properties = connection_facts(resource)  # type: ignore[arg-type]
        if problem is None:
            values.append(expression)
            if properties:
                values.extend(v for _, v in properties)
    extra = kinds_of(ConnectionPropertyAnnotation, ())
    if extra:
        values.extend(a.value for a in extra)

    dependencies: list[IResource] = []
    seen = {id(resource)}
    parent = resource.parent if capabilities & _WITH_PARENT else None  # type: ignore[attr-defined]
    if parent is not None:
        seen.add(id(parent))
        dependencies.append(parent)
    for w in kinds_of(WaitAnnotation, ()):
        if id(w.resource) not in seen:
            seen.add(id(w.resource))
            dependencies.append(w.resource)
    for ref in kinds_of(ReferenceAnnotation, ()):
        if id(ref.source) not in seen:
            seen.add(id(ref.source))
            dependencies.append(ref.source)
    uses: list[EndpointReference] = []
    table = _FLAGS
    for v in values:
        if type(v) is str:
            continue
        flags = table.get(type(v))
        if flags is None:
            flags = _flags(v)
        if flags & _RESOURCE:
            if id(v) not in seen:
                seen.add(id(v))
                dependencies.append(v)  # type: ignore[arg-type]
        elif flags & _ENDPOINT:
            uses.append(v)  # type: ignore[arg-type]
        elif flags & _ENDPOINT_PROPERTY:
            uses.append(v.endpoint)  # type: ignore[attr-defined]
        if not flags & _REFERENCES:
            continue
        refs = v.references  # type: ignore[attr-defined]
        if type(refs) is tuple and len(refs) == 1 and table.get(type(refs[0])) == _RESOURCE:
            if id(refs[0]) not in seen:  # one resource that refers to nothing (an endpoint's): the whole walk
                seen.add(id(refs[0]))
                dependencies.append(refs[0])
            continue
        # What the value refers to, depth first, each object once (``references_of``), inline. The objects walked
        # stay referenced until the end: a value's ``references`` may be made afresh on each access, and an id
        # seen earlier must not be reused by a later object (which would then be skipped).
        walked: dict[int, object] = {}
        stack: list[Iterator[Any]] = [iter(refs)]
        while stack:
            for obj in stack[-1]:
                if id(obj) in walked:
                    continue
                walked[id(obj)] = obj
                flags = table.get(type(obj))
                if flags is None:
                    flags = _flags(obj)
                if flags & _RESOURCE:
                    if id(obj) not in seen:
                        seen.add(id(obj))
                        dependencies.append(obj)
                elif flags & _ENDPOINT:
                    uses.append(obj)
                elif flags & _ENDPOINT_PROPERTY:
                    uses.append(obj.endpoint)
                if flags & _REFERENCES:
                    stack.append(iter(obj.references))
                    break  # its references first; then on with this iterator where it stopped
            else:
                stack.pop()
    return ResourceScan(values, dependencies, uses, problem, parent)


def walk_value_references(resource: IResource, values: Sequence[object]) -> list[IResource]:
    """:func:`~._graph.value_references` of ``resource`` whose :func:`~._graph.value_objects` are ``values``."""
    out: list[IResource] = []
    # Objects walked stay referenced until the end (a value's ``references`` may be made afresh on each access:
    # an id seen earlier must not be reused by a later object, which would then be skipped).
    seen: dict[int, object] = {}
    found = {id(resource)}
    table = _FLAGS
    starts: list[object] = list(values)
    starts.extend(
        ref.source
        for ref in resource.annotations._view(ReferenceAnnotation)
        if ref.endpoint_name is None and ref.use_connection_string and isinstance(ref.source, IResourceWithConnectionString)
    )
    # Depth first, iteratively (a recursive closure would leave a reference cycle per call for the collector).
    stack: list[Iterator[Any]] = [iter(starts)]
    while stack:
        for v in stack[-1]:
            if type(v) is str or id(v) in seen:
                continue
            flags = table.get(type(v))
            if flags is None:
                flags = _flags(v)
            if flags & (_ENDPOINT | _ENDPOINT_PROPERTY):  # endpoints may form cycles
                continue
            seen[id(v)] = v
            if flags & _RESOURCE:
                if id(v) not in found:
                    found.add(id(v))
                    out.append(v)
            elif flags & _REFERENCES:
                stack.append(iter(v.references))
                break
        else:
            stack.pop()
    return out
