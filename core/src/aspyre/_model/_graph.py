"""The validated model, its dependency graph, and the checks ``build()`` runs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from ._annotations import (
    CommandLineArgsAnnotation,
    EnvironmentAnnotation,
    KnownRelationshipTypes,
    ReferenceAnnotation,
    ResourceRelationshipAnnotation,
    WaitAnnotation,
)
from ._names import name_key
from ._resources import IResource, IResourceWithConnectionString, IResourceWithParent
from ._values import iter_references

__all__ = [
    "DistributedApplicationModel",
    "ModelValidationError",
    "direct_dependencies",
    "parents_of",
    "start_dependencies",
    "validate_model",
]


class ModelValidationError(ValueError):
    """``build()`` found problems in the model; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"The app model has {len(self.problems)} problem(s):\n{lines}")


def parents_of(resource: IResource) -> list[IResource]:
    """Every distinct parent declared for ``resource`` (a valid model has at most one)."""
    found: list[IResource] = []
    if isinstance(resource, IResourceWithParent):
        found.append(resource.parent)
    for rel in resource.annotations.all(ResourceRelationshipAnnotation):
        if rel.type == KnownRelationshipTypes.PARENT and all(rel.resource is not p for p in found):
            found.append(rel.resource)
    return found


def _value_resources(values: Iterable[object]) -> Iterator[IResource]:
    for v in values:
        if isinstance(v, IResource):
            yield v
        for ref in iter_references(v):
            if isinstance(ref, IResource):
                yield ref


def direct_dependencies(resource: IResource) -> list[IResource]:
    """What ``resource`` depends on: its parent, what it waits for, what it references.

    References are found by walking every value in its environment and arguments (callbacks
    are opaque until run time), its ``with_reference`` sources and its connection string.
    """
    out: list[IResource] = []

    def add(r: IResource) -> None:
        if r is not resource and all(r is not o for o in out):
            out.append(r)

    for p in parents_of(resource):
        add(p)
    for w in resource.annotations.all(WaitAnnotation):
        add(w.resource)
    for ref in resource.annotations.all(ReferenceAnnotation):
        add(ref.source)
    values: list[object] = [e.value for e in resource.annotations.all(EnvironmentAnnotation)]
    for a in resource.annotations.all(CommandLineArgsAnnotation):
        values.extend(a.args)
    if isinstance(resource, IResourceWithConnectionString):
        values.append(resource.connection_string_expression)
    for r in _value_resources(values):
        add(r)
    return out


def start_dependencies(resource: IResource) -> list[IResource]:
    """What must happen before ``resource`` starts: its parent starts, its waits are satisfied."""
    out = list(parents_of(resource))
    for w in resource.annotations.all(WaitAnnotation):
        if all(w.resource is not o for o in out):
            out.append(w.resource)
    return out


def _find_cycle(nodes: Sequence[IResource], edges: dict[int, list[IResource]]) -> list[list[IResource]]:
    """Every elementary cycle found by a DFS (one per back edge), as lists of resources."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {id(n): WHITE for n in nodes}
    stack: list[IResource] = []
    cycles: list[list[IResource]] = []
    seen_keys: set[frozenset[int]] = set()

    def visit(n: IResource) -> None:
        color[id(n)] = GREY
        stack.append(n)
        for m in edges.get(id(n), []):
            c = color.get(id(m))
            if c is None:
                continue
            if c == GREY:
                i = next(i for i, s in enumerate(stack) if s is m)
                cycle = stack[i:]
                key = frozenset(id(x) for x in cycle)
                if key not in seen_keys:
                    seen_keys.add(key)
                    cycles.append(list(cycle))
            elif c == WHITE:
                visit(m)
        stack.pop()
        color[id(n)] = BLACK

    for n in nodes:
        if color[id(n)] == WHITE:
            visit(n)
    return cycles


def _path(cycle: list[IResource]) -> str:
    return " -> ".join(f"'{r.name}'" for r in [*cycle, cycle[0]])


def validate_model(resources: Sequence[IResource]) -> list[str]:
    """Every problem in the model, in words. Empty when the model is valid."""
    problems: list[str] = []
    by_key: dict[str, list[IResource]] = {}
    for r in resources:
        by_key.setdefault(name_key(r.name), []).append(r)
    for group in by_key.values():
        if len(group) > 1:
            names = ", ".join(f"'{r.name}' ({type(r).__name__})" for r in group)
            problems.append(
                f"Multiple resources are named {group[0].name!r}: {names}. Resource names are case-insensitive; "
                "rename all but one."
            )
    ids = {id(r) for r in resources}

    for r in resources:
        for dep in direct_dependencies(r):
            if id(dep) not in ids:
                problems.append(
                    f"Resource {r.name!r} refers to resource {dep.name!r}, which is not part of this app model. "
                    "Add it with the same builder (builder.add_resource(...))."
                )
        for rel in r.annotations.all(ResourceRelationshipAnnotation):
            if id(rel.resource) not in ids and rel.type != KnownRelationshipTypes.PARENT:
                problems.append(
                    f"Resource {r.name!r} has a {rel.type!r} relationship to {rel.resource.name!r}, which is not "
                    "part of this app model."
                )
        parents = parents_of(r)
        if len(parents) > 1:
            problems.append(
                f"Resource {r.name!r} has {len(parents)} parents ({', '.join(repr(p.name) for p in parents)}); "
                "a resource can have only one parent."
            )
        for w in r.annotations.all(WaitAnnotation):
            if w.resource is r:
                problems.append(f"Resource {r.name!r} waits for itself; remove that wait.")
            elif any(w.resource is p for p in parents):
                problems.append(
                    f"Resource {r.name!r} waits for its own parent {w.resource.name!r}; a child already starts "
                    "after its parent, remove that wait."
                )

    # Parent cycles.
    parent_edges = {id(r): [p for p in parents_of(r) if id(p) in ids] for r in resources}
    parent_cycles = _find_cycle(resources, parent_edges)
    for cycle in parent_cycles:
        problems.append(f"Resources form a parent cycle: {_path(cycle)}. Parents must form a tree.")

    # Start-order cycles (waits, plus "a child starts after its parent"); self-waits reported above.
    if not parent_cycles:
        start_edges = {
            id(r): [d for d in start_dependencies(r) if id(d) in ids and d is not r] for r in resources
        }
        for cycle in _find_cycle(resources, start_edges):
            problems.append(
                f"Resources wait for each other in a cycle: {_path(cycle)}. None of them could ever start; "
                "remove one of the waits."
            )
    return problems


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
        return self._by_key.get(name_key(name))

    def of_type(self, kind: type) -> list[IResource]:
        return [r for r in self._resources if isinstance(r, kind)]

    def children_of(self, resource: IResource) -> list[IResource]:
        return [r for r in self._resources if any(p is resource for p in parents_of(r))]

    def dependencies(self, resource: IResource | str, *, recursive: bool = False) -> list[IResource]:
        """What ``resource`` depends on (parent, waits, references), directly or transitively."""
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
