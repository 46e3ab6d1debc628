"""The validated model, its dependency graph, and the checks ``build()`` runs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from aspyre._public import present as _present
from aspyre._public import present_top_level as _present_top_level

from .._errors import DistributedApplicationException
from ._annotations import CommandLineArgsAnnotation, EnvironmentAnnotation, KnownRelationshipTypes
from ._dependencies import (
    ConnectionPropertyAnnotation,
    ReferenceAnnotation,
    ResourceRelationshipAnnotation,
    WaitAnnotation,
)
from ._endpoint_runtime import EndpointReferenceExpression
from ._endpoints import EndpointAnnotation, EndpointReference
from ._exec_limits import ExecLimits, InheritedEnvironment
from ._names import name_key
from ._parents import lifecycle_parent, parents_of
from ._resources import (
    ContainerResource,
    ExecutableResource,
    IResource,
    IResourceWithConnectionString,
    IResourceWithParent,
    ParameterResource,
)
from ._scan import GROUPED, ResourceScan, group_annotations, scan_resource, walk_value_references
from ._urls import ResourceUrlsCallbackAnnotation
from ._validation import resource_problems
from ._values import ReferenceExpression, ValueWithReferences, has_references, references_of

__all__ = [
    "DistributedApplicationModel",
    "ModelValidationError",
    "connection_string_problem",
    "direct_dependencies",
    "group_annotations",
    "lifecycle_parent",
    "parents_of",
    "start_dependencies",
    "value_objects",
    "value_references",
    "validate_model",
    "validate_scanned",
]


class ModelValidationError(DistributedApplicationException, ValueError):
    """``build()`` found problems in the model; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"The app model has {len(self.problems)} problem(s):\n{lines}")


def value_objects(resource: IResource) -> list[object]:
    """The values ``resource`` is configured with: environment and arguments (callbacks are opaque
    until run time), its connection string and connection properties."""
    values: list[object] = [e.value for e in resource.annotations.all(EnvironmentAnnotation)]
    for a in resource.annotations.all(CommandLineArgsAnnotation):
        values.extend(a.args)
    if isinstance(resource, IResourceWithConnectionString) and connection_string_problem(resource) is None:
        values.append(resource.connection_string_expression)
        values.extend(v for _, v in resource.connection_properties())
    values.extend(a.value for a in resource.annotations.all(ConnectionPropertyAnnotation))
    return values


def connection_string_problem(resource: IResourceWithConnectionString) -> str | None:
    """What is wrong with how ``resource`` implements its connection string, in words (``None``: nothing)."""
    kind = type(resource).__name__
    try:
        expression = resource.connection_string_expression
    except Exception as exc:
        return (
            f"Resource {resource.name!r} ({kind}): reading its connection_string_expression failed: "
            f"{type(exc).__name__}: {exc}"
        )
    if not isinstance(expression, ReferenceExpression):
        return (
            f"Resource {resource.name!r} ({kind}) has a connection string (IResourceWithConnectionString) but its "
            f"connection_string_expression is {expression!r}, not a ReferenceExpression: implement that property "
            "(return ReferenceExpression.format(...))."
        )
    try:
        properties = list(resource.connection_properties())
    except Exception as exc:
        return f"Resource {resource.name!r} ({kind}): connection_properties() failed: {type(exc).__name__}: {exc}"
    if not all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in properties):
        return (
            f"Resource {resource.name!r} ({kind}): connection_properties() must return (name, value) pairs, "
            f"got {properties!r}."
        )
    return None


def _value_resources(values: Iterable[object]) -> Iterator[IResource]:
    for v in values:
        if type(v) is str:
            continue
        if isinstance(v, IResource):
            yield v
        for ref in references_of(v):
            if isinstance(ref, IResource):
                yield ref


def _endpoint_uses(values: Iterable[object]) -> Iterator[EndpointReference]:
    for v in values:
        if type(v) is str:
            continue
        for obj in (v, *references_of(v)):
            if isinstance(obj, EndpointReference):
                yield obj
            elif isinstance(obj, EndpointReferenceExpression):
                yield obj.endpoint


def direct_dependencies(resource: IResource, values: Iterable[object] | None = None) -> list[IResource]:
    """What ``resource`` depends on: its parent, what it waits for, what it references.

    References are found by walking every value in its environment and arguments (callbacks
    are opaque until run time), its ``with_reference`` sources, its connection string and its
    connection properties. Relationships other than the lifecycle parent are informational
    and not dependencies (as in Aspire). ``values``: its :func:`value_objects`, when the caller has them.
    """
    out: list[IResource] = []
    seen = {id(resource)}

    def add(r: IResource) -> None:
        if id(r) not in seen:
            seen.add(id(r))
            out.append(r)

    parent = lifecycle_parent(resource)
    if parent is not None:
        add(parent)
    for w in resource.annotations.all(WaitAnnotation):
        add(w.resource)
    for ref in resource.annotations.all(ReferenceAnnotation):
        add(ref.source)
    for r in _value_resources(value_objects(resource) if values is None else values):
        add(r)
    return out


def value_references(resource: IResource, values: Iterable[object] | None = None) -> list[IResource]:
    """The resources whose values ``resource``'s own values are made from: its environment, arguments,
    connection string, connection properties and ``with_reference`` connection strings, walked through
    nested values. Endpoint references are left out: endpoints may form cycles (as in Aspire). ``values``: its
    :func:`value_objects`, when the caller has them."""
    out: list[IResource] = []
    # Objects walked stay referenced until the end (a value's ``references`` may be made afresh on each access:
    # an id seen earlier must not be reused by a later object, which would then be skipped).
    seen: dict[int, object] = {}
    found = {id(resource)}

    def walk(v: object) -> None:
        if type(v) is str or id(v) in seen or isinstance(v, (EndpointReference, EndpointReferenceExpression)):
            return
        seen[id(v)] = v
        if isinstance(v, IResource):
            if id(v) not in found:
                found.add(id(v))
                out.append(v)
            return
        if has_references(v):
            for ref in cast(ValueWithReferences, v).references:
                walk(ref)

    for v in value_objects(resource) if values is None else values:
        walk(v)
    for ref in resource.annotations.all(ReferenceAnnotation):
        if ref.endpoint_name is None and ref.use_connection_string and isinstance(ref.source, IResourceWithConnectionString):
            walk(ref.source)
    return out


def start_dependencies(resource: IResource) -> list[IResource]:
    """What must happen before ``resource`` starts: its lifecycle parent starts, its waits are satisfied."""
    out: list[IResource] = []
    parent = lifecycle_parent(resource)
    if parent is not None:
        out.append(parent)
    for w in resource.annotations.all(WaitAnnotation):
        if all(w.resource is not o for o in out):
            out.append(w.resource)
    return out


def _find_cycle(nodes: Sequence[IResource], edges: dict[int, list[IResource]]) -> list[list[IResource]]:
    """The cycles found by a depth-first search (one per back edge), as lists of resources.

    Iterative, so a long chain of waits cannot exhaust the interpreter's recursion limit.
    """
    if not any(edges.values()):
        return []  # no edges, no cycles (the common case for parents and waits)
    white, grey, black = 0, 1, 2
    color = {id(n): white for n in nodes}
    path: list[IResource] = []
    position: dict[int, int] = {}
    cycles: list[list[IResource]] = []
    seen_keys: set[frozenset[int]] = set()

    for root in nodes:
        if color[id(root)] != white:
            continue
        if id(root) not in edges:  # no edges: nothing to explore from it
            color[id(root)] = black
            continue
        color[id(root)] = grey
        position[id(root)] = 0
        path.append(root)
        todo: list[Iterator[IResource]] = [iter(edges.get(id(root), ()))]
        while todo:
            m = next(todo[-1], None)
            if m is None:  # every edge of the node on top explored
                todo.pop()
                done = path.pop()
                del position[id(done)]
                color[id(done)] = black
                continue
            c = color.get(id(m))
            if c == grey:
                cycle = path[position[id(m)] :]
                key = frozenset(id(x) for x in cycle)
                if key not in seen_keys:
                    seen_keys.add(key)
                    cycles.append(list(cycle))
            elif c == white:
                color[id(m)] = grey
                position[id(m)] = len(path)
                path.append(m)
                todo.append(iter(edges.get(id(m), ())))
    return cycles


def _has_cycle(resources: Sequence[IResource], scans: Mapping[int, ResourceScan], ids: set[int]) -> bool:
    """Whether the resources' dependencies (within the model) form a cycle: a depth-first search, iterative.

    Most models are described in order (a resource is made before those that use it): when every dependency comes
    earlier in the model's order than its dependant, the dependencies all point backwards and form no cycle. That is
    checked first, with one lookup per dependency; the search runs only when some dependency comes later.
    """
    position = dict(zip(map(id, resources), range(len(resources)), strict=True))
    where = position.get
    for i, r in enumerate(resources):
        for d in scans[id(r)].dependencies:
            if where(id(d), -1) >= i:  # itself or a later resource (one outside the model: -1, not an edge)
                break
        else:
            continue
        break
    else:
        return False
    done: set[int] = set()
    for root in resources:
        if id(root) in done:
            continue
        on_path = {id(root)}
        stack: list[tuple[int, Iterator[IResource]]] = [(id(root), iter(scans[id(root)].dependencies))]
        while stack:
            node, deps = stack[-1]
            for d in deps:
                key = id(d)
                if key in on_path:
                    return True
                if key in done or key not in ids:
                    continue
                on_path.add(key)
                stack.append((key, iter(scans[key].dependencies)))
                break
            else:
                stack.pop()
                on_path.discard(node)
                done.add(node)
    return False


def _path(cycle: list[IResource]) -> str:
    names = [f"'{r.name}'" for r in [*cycle, cycle[0]]]
    if len(names) > 12:  # a long cycle: its start and end are enough to find it
        names = [*names[:6], f"... ({len(names) - 9} more) ...", *names[-3:]]
    return " -> ".join(names)


def _names(resources: Iterable[IResource]) -> str:
    return ", ".join(repr(r.name) for r in resources)


def validate_model(
    resources: Sequence[IResource],
    *,
    host_limits: ExecLimits | None = None,
    inherited_environment: Mapping[str, str] | None = None,
    dependencies: Mapping[int, list[IResource]] | None = None,
    values: Mapping[int, list[object]] | None = None,
) -> list[str]:
    """Every problem in the model, in words. Empty when the model is valid.

    Checked: duplicate names (case-insensitive); connection strings that are not implemented (no
    ``connection_string_expression``, bad ``connection_properties()``); references, waits, parents and
    relationships to resources that are not in the model; endpoints used (in values, references and
    ``with_url_for_endpoint``) that the resource does not declare; value reference cycles (endpoint
    references may form cycles); a resource with more than one parent; parent cycles; waits on oneself
    or on one's parent; wait cycles (including "a child starts after its parent"). And each resource's
    own configuration: image references, volume and container names, mount targets, container runtime
    arguments, ``None`` values, and the size of its known arguments and environment against the
    limits of a Linux container, or for executables ``host_limits`` (the machine's, which ``build()``
    passes with the app host's environment as ``inherited_environment``). ``dependencies`` are the
    :func:`direct_dependencies` of resources (by ``id``) that the caller computed already, ``values`` their
    :func:`value_objects`.
    """
    scans: dict[int, ResourceScan] = {}
    complete = True
    for r in resources:
        scan = scan_resource(r)
        known_values = values.get(id(r)) if values is not None else None
        if known_values is not None:
            scan.values = known_values
            scan.endpoint_uses = list(_endpoint_uses(known_values))
        known = dependencies.get(id(r)) if dependencies is not None else None
        if known is not None:
            scan.dependencies = known
            complete = False
        scans[id(r)] = scan
    return validate_scanned(
        resources,
        scans,
        host_limits=host_limits,
        inherited_environment=inherited_environment,
        dependencies_complete=complete and values is None,
    )


#: The resources whose own configuration :func:`resource_problems` checks whatever annotations they have.
_CONFIGURED = (ContainerResource, ExecutableResource)


def validate_scanned(
    resources: Sequence[IResource],
    scans: Mapping[int, ResourceScan],
    *,
    host_limits: ExecLimits | None = None,
    inherited_environment: Mapping[str, str] | None = None,
    dependencies_complete: bool = True,
) -> list[str]:
    """:func:`validate_model`, with each resource's :func:`~._scan.scan_resource` (by ``id``) made already.

    ``dependencies_complete``: the scans' dependencies are all of each resource's (as :func:`~._scan.scan_resource`
    finds them), so that they include its value references."""
    problems: list[str] = []
    seen: set[str] = set()

    def problem(text: str) -> None:
        if text not in seen:
            seen.add(text)
            problems.append(text)

    inherited: Mapping[str, str] | InheritedEnvironment | None = inherited_environment
    if inherited_environment is not None and host_limits is not None:  # measured once, not per executable
        inherited = InheritedEnvironment(inherited_environment, host_limits.per_string)

    by_key: dict[str, list[IResource]] = {}
    for r in resources:
        by_key.setdefault(name_key(r.name), []).append(r)
    for group in by_key.values():
        if len(group) > 1:
            names = ", ".join(f"{r.name!r} ({type(r).__name__})" for r in group)
            problem(
                f"Multiple resources with the name {group[0].name!r}: {names}. Resource names are "
                "case-insensitive; rename all but one."
            )
    ids = {id(r) for r in resources}
    # The edges of the three graphs that must have no cycles (only resources with some).
    reference_edges: dict[int, list[IResource]] = {}
    parent_edges: dict[int, list[IResource]] = {}
    start_edges: dict[int, list[IResource]] = {}
    # id(resource) -> the keys of its endpoints' names, when asked
    endpoint_keys: dict[int, set[str]] = {}

    kinds_of: Any  # (kind, default) -> the resource's annotations of that kind
    for r in resources:
        scan = scans[id(r)]
        annotations = r.annotations
        groups = annotations._groups
        if groups is not None and annotations._grouped is GROUPED:  # grouped by build(): read directly
            kinds_of = groups.get
            own = EnvironmentAnnotation in groups or CommandLineArgsAnnotation in groups or isinstance(r, _CONFIGURED)
        else:
            view = annotations._view
            kinds_of = lambda kind, _default, view=view: view(kind)  # noqa: E731
            own = True
        if scan.connection_problem is not None:
            problem(scan.connection_problem)
        if own:  # else nothing of its own to check (a parameter, a connection string...): no values, no process
            for text in resource_problems(r, host_limits=host_limits, inherited_environment=inherited, kinds_of=kinds_of):
                problem(text)
        missing: list[IResource] = []
        for dep in scan.dependencies:
            if id(dep) not in ids:
                missing.append(dep)
                problem(_not_in_model(r, dep, by_key))
        for url in kinds_of(ResourceUrlsCallbackAnnotation, ()):
            if url.endpoint_name is not None and not EndpointReference(r, url.endpoint_name).exists:
                declared = [e.name for e in r.annotations.all(EndpointAnnotation)]
                problem(
                    f"Resource {r.name!r} customises the URL of its endpoint {url.endpoint_name!r} "
                    f"(with_url_for_endpoint), which it does not declare (its endpoints: "
                    f"{', '.join(declared) if declared else 'none'})."
                )
        relationships: Sequence[ResourceRelationshipAnnotation] = kinds_of(ResourceRelationshipAnnotation, ())
        has_parent_relationship = False
        for rel in relationships:
            if id(rel.resource) not in ids and all(rel.resource is not m for m in missing):
                problem(
                    f"Resource {r.name!r} has a {rel.type!r} relationship to resource {rel.resource.name!r}, which "
                    "is not part of this app model."
                )
            if rel.type == KnownRelationshipTypes.PARENT:
                has_parent_relationship = True
        used = scan.endpoint_uses
        references: Sequence[ReferenceAnnotation] = kinds_of(ReferenceAnnotation, ())
        for a in references:
            if a.endpoint_name is not None:
                used = [*used, *(EndpointReference(a.source, a.endpoint_name) for a in references if a.endpoint_name is not None)]
                break
        for ep in used:
            owner = ep.resource
            if id(owner) not in ids:
                continue
            keys = endpoint_keys.get(id(owner))
            if keys is None:
                keys = endpoint_keys[id(owner)] = {name_key(e.name) for e in owner.annotations._view(EndpointAnnotation)}
            if name_key(ep.endpoint_name) not in keys:
                declared = [e.name for e in owner.annotations.all(EndpointAnnotation)]
                problem(
                    f"Resource {r.name!r} uses endpoint {ep.endpoint_name!r} of resource {owner.name!r}, "
                    f"which has no such endpoint (its endpoints: {', '.join(declared) if declared else 'none'})."
                )
        parent = scan.parent
        waits: Sequence[WaitAnnotation] = kinds_of(WaitAnnotation, ())
        if parent is None and not has_parent_relationship and not waits:
            continue  # no parent, no waits: nothing more to check (most resources)
        parents = [] if parent is None else [parent]
        for rel in relationships:
            if rel.type == KnownRelationshipTypes.PARENT and all(rel.resource is not p for p in parents):
                parents.append(rel.resource)
        if len(parents) > 1:
            problem(
                f"Resource {r.name!r} has {len(parents)} parents ({_names(parents)}); a resource can have only "
                "one parent."
            )
        in_model = [p for p in parents if id(p) in ids]
        if in_model:
            parent_edges[id(r)] = in_model
        starts = [] if parent is None else [parent]
        for w in waits:
            if w.resource is r:
                problem(f"The {r.name!r} resource cannot wait for itself; remove that wait.")
            elif w.resource is parent:
                problem(
                    f"The {r.name!r} resource cannot wait for its parent {w.resource.name!r}; a child already "
                    "starts after its parent, remove that wait."
                )
            if all(w.resource is not o for o in starts):
                starts.append(w.resource)
        starts = [d for d in starts if id(d) in ids and d is not r]
        if starts:
            start_edges[id(r)] = starts

    # Value references: each resource's are among its dependencies; without a cycle of dependencies there is none
    # of value references to look for (the common case, and it saves walking every value again).
    if not dependencies_complete or _has_cycle(resources, scans, ids):
        for r in resources:
            refs = [d for d in walk_value_references(r, scans[id(r)].values) if id(d) in ids]
            if refs:
                reference_edges[id(r)] = refs

    # Value references: a value cannot be made from itself (endpoint references may form cycles).
    for cycle in _find_cycle(resources, reference_edges):
        problem(
            f"Resources refer to each other's values in a cycle: {_path(cycle)}. None of these values could be "
            "resolved; remove one of the references (only endpoint references may form cycles)."
        )

    # Parent cycles (every kind of parent).
    for cycle in _find_cycle(resources, parent_edges):
        problem(f"Resources form a parent cycle: {_path(cycle)}. Parents must form a tree.")

    # Start-order cycles: waits, plus "a child starts after its parent" (self-waits reported above).
    for cycle in _find_cycle(resources, start_edges):
        if all(
            isinstance(c, IResourceWithParent) and cycle[(i + 1) % len(cycle)] is c.parent for i, c in enumerate(cycle)
        ):
            continue  # a pure parent cycle, reported above
        problem(
            f"Resources wait for each other in a cycle: {_path(cycle)}. None of them could ever start; "
            "remove one of the waits."
        )
    return problems


def _not_in_model(r: IResource, dep: IResource, by_key: dict[str, list[IResource]]) -> str:
    if isinstance(dep, ParameterResource) and name_key(dep.name) in by_key:
        # A parameter made outside the model is added to it by build(), unless its name is taken.
        return (
            f"Resource {r.name!r} uses the parameter {dep.name!r}, which is not part of this app model, and another "
            f"resource is already called {dep.name!r}; give the parameter another name."
        )
    return (
        f"Resource {r.name!r} refers to resource {dep.name!r}, which is not part of this app model. "
        "Add it with the same builder (builder.add_resource(...))."
    )


class DistributedApplicationModel:
    """The immutable view of a built app's resources (the resources themselves stay objects).

    >>> model["cache"]                       # case-insensitive lookup  # doctest: +SKIP
    >>> [r.name for r in model]              # model order              # doctest: +SKIP
    """

    __slots__ = ("_by_key", "_resources")

    def __init__(self, resources: Iterable[IResource]) -> None:
        self._resources = tuple(resources)
        self._by_key = {name_key(r.name): r for r in self._resources}

    @property
    def resources(self) -> tuple[IResource, ...]:
        """The resources, in the order they were added."""
        return self._resources

    def __iter__(self) -> Iterator[IResource]:
        return iter(self._resources)

    def __len__(self) -> int:
        return len(self._resources)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return name_key(item) in self._by_key
        return any(item is r for r in self._resources)

    def __getitem__(self, name: str) -> IResource:
        try:
            return self._by_key[name_key(name)]
        except KeyError:
            raise KeyError(f"No resource named {name!r} in the app model") from None

    def get(self, name: str) -> IResource | None:
        """The resource called ``name`` (case-insensitive), or ``None``."""
        return self._by_key.get(name_key(name))

    def of_type(self, kind: type) -> list[IResource]:
        """The resources that are instances of ``kind`` (a class or a capability protocol)."""
        return [r for r in self._resources if isinstance(r, kind)]

    def children_of(self, resource: IResource) -> list[IResource]:
        """The resources whose parent (lifecycle or relationship) is ``resource``."""
        return [r for r in self._resources if any(p is resource for p in parents_of(r))]

    def dependencies(self, resource: IResource | str, *, recursive: bool = False) -> list[IResource]:
        """What ``resource`` depends on (parent, waits, references in values), directly or transitively.

        See :func:`direct_dependencies`; with ``recursive=True`` the closure, nearest first.
        """
        r = self[resource] if isinstance(resource, str) else resource
        if not recursive:
            return direct_dependencies(r)
        out: list[IResource] = []
        todo = list(direct_dependencies(r))
        while todo:
            d = todo.pop(0)
            if d is r or any(d is o for o in out):
                continue
            out.append(d)
            todo.extend(direct_dependencies(d))
        return out

    def __repr__(self) -> str:
        return f"DistributedApplicationModel({[r.name for r in self._resources]})"


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
_present(globals(), "aspyre.model", names=["DistributedApplicationModel", "validate_model"])  # its _LAZY names
