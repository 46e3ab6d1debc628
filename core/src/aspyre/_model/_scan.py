"""What ``build()`` learns about each resource in one pass over its annotations and values.

Validation asks the same questions of every resource several times (its values, what they refer to,
which endpoints they use, what it depends on). :func:`scan_resource` answers them together, walking
each value once; :func:`~._graph.validate_model` and the builder's adoption of free-standing parameters
share the answers. A scan is made for one ``build()`` and never kept: a model changed afterwards is
scanned afresh.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ._annotations import (
    CommandLineArgsAnnotation,
    ConnectionPropertyAnnotation,
    EnvironmentAnnotation,
    ReferenceAnnotation,
    WaitAnnotation,
)
from ._endpoints import EndpointReference, EndpointReferenceExpression
from ._resources import IResource, IResourceWithConnectionString, IResourceWithParent
from ._values import ReferenceExpression, has_references, references_of

__all__ = ["ResourceScan", "connection_facts", "scan_resource", "walk_value_references"]


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


# What an object met while walking values is, by type: a resource, an endpoint reference, one property of an
# endpoint, or something else.
_OTHER, _RESOURCE, _ENDPOINT, _ENDPOINT_PROPERTY = 0, 1, 2, 3
_KINDS: dict[type, int] = {str: _OTHER}


def _kind(obj: object) -> int:
    kind = _KINDS.get(type(obj))
    if kind is None:
        if isinstance(obj, IResource):
            kind = _RESOURCE
        elif isinstance(obj, EndpointReference):
            kind = _ENDPOINT
        elif isinstance(obj, EndpointReferenceExpression):
            kind = _ENDPOINT_PROPERTY
        else:
            kind = _OTHER
        if obj.__class__ is type(obj):  # not a proxy that claims another class: the answer holds for its type
            _KINDS[type(obj)] = kind
    return kind


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
    view = annotations._view
    values: list[object] = [e.value for e in view(EnvironmentAnnotation)]
    for a in view(CommandLineArgsAnnotation):
        values.extend(a.args)
    problem: str | None = None
    if isinstance(resource, IResourceWithConnectionString):
        problem, expression, properties = connection_facts(resource)
        if problem is None:
            values.append(expression)
            values.extend(v for _, v in properties)
    values.extend(a.value for a in view(ConnectionPropertyAnnotation))

    dependencies: list[IResource] = []
    seen = {id(resource)}
    parent = resource.parent if isinstance(resource, IResourceWithParent) else None
    if parent is not None:
        seen.add(id(parent))
        dependencies.append(parent)
    for w in view(WaitAnnotation):
        if id(w.resource) not in seen:
            seen.add(id(w.resource))
            dependencies.append(w.resource)
    for ref in view(ReferenceAnnotation):
        if id(ref.source) not in seen:
            seen.add(id(ref.source))
            dependencies.append(ref.source)
    uses: list[EndpointReference] = []
    kinds = _KINDS
    for v in values:
        if type(v) is str:
            continue
        for obj in (v, *references_of(v)) if has_references(v) else (v,):
            kind = kinds.get(type(obj))
            if kind is None:
                kind = _kind(obj)
            if kind == _RESOURCE:
                if id(obj) not in seen:
                    seen.add(id(obj))
                    dependencies.append(obj)  # type: ignore[arg-type]
            elif kind == _ENDPOINT:
                uses.append(obj)  # type: ignore[arg-type]
            elif kind == _ENDPOINT_PROPERTY:
                uses.append(obj.endpoint)  # type: ignore[attr-defined]
    return ResourceScan(values, dependencies, uses, problem, parent)


def walk_value_references(resource: IResource, values: Sequence[object]) -> list[IResource]:
    """:func:`~._graph.value_references` of ``resource`` whose :func:`~._graph.value_objects` are ``values``."""
    out: list[IResource] = []
    # Objects walked stay referenced until the end (a value's ``references`` may be made afresh on each access:
    # an id seen earlier must not be reused by a later object, which would then be skipped).
    seen: dict[int, object] = {}
    found = {id(resource)}
    kinds = _KINDS
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
            kind = kinds.get(type(v))
            if kind is None:
                kind = _kind(v)
            if kind >= _ENDPOINT:  # an endpoint, or one property of one: endpoints may form cycles
                continue
            seen[id(v)] = v
            if kind == _RESOURCE:
                if id(v) not in found:
                    found.add(id(v))
                    out.append(v)
            elif has_references(v):
                stack.append(iter(v.references))
                break
        else:
            stack.pop()
    return out
