"""Annotations: typed pieces of data attached to a resource, and the collection that holds them."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

import attrs

from aspyre._public import present_top_level as _present_top_level

if TYPE_CHECKING:
    from ._callback_contexts import CommandLineArgsCallbackContext, EnvironmentCallbackContext, HealthCheckContext

# ResourceCommandAnnotation lives in _commands (with_command imports it): off an app host's builder path.
__all__ = [
    "Annotations",
    "CommandLineArgsAnnotation",
    "CommandLineArgsCallbackAnnotation",
    "ContainerImageAnnotation",
    "EnvironmentAnnotation",
    "EnvironmentCallbackAnnotation",
    "HealthCheckAnnotation",
    "KnownRelationshipTypes",
    "ManifestPublishingCallbackAnnotation",
    "MutationBehavior",
    "ResourceAnnotation",
]


class ResourceAnnotation:
    """Optional base class for annotations. Any object can be an annotation; lookups are by type."""

    __slots__ = ()


class MutationBehavior(enum.Enum):
    """How :meth:`Annotations.add` treats existing annotations of the same type."""

    APPEND = "append"
    REPLACE = "replace"


A = TypeVar("A")

#: Which of a tuple of kinds an annotation type is an instance of (``Annotations._group_by``): per tuple of
#: kinds, per type (the tuple is hashed once per call, not once per annotation).
_MATCHES: dict[tuple[type[Any], ...], tuple[frozenset[type[Any]], dict[type[Any], tuple[type[Any], ...]]]] = {}


def _matches(kinds: tuple[type[Any], ...]) -> tuple[frozenset[type[Any]], dict[type[Any], tuple[type[Any], ...]]]:
    table = _MATCHES.get(kinds)
    if table is None:
        table = _MATCHES[kinds] = (frozenset(kinds), {})
    return table


def _grouped_kinds(kinds: tuple[type[Any], ...]) -> frozenset[type[Any]]:
    """What ``Annotations._grouped`` is (this very object) after ``_group_by(kinds)``: callers that grouped by
    ``kinds`` check it to read the groups directly."""
    return _matches(kinds)[0]


#: ``Annotations._grouped`` before any grouping: one shared object (``frozenset()`` makes a new one each time, a
#: tracked object per resource for the collector to scan).
_NO_KINDS: frozenset[type[Any]] = frozenset()
#: ``Annotations._groups`` of a resource without annotations: one shared dict (the groups are only ever read).
_NO_GROUPS: dict[type[Any], list[Any]] = {}
#: ``Annotations._items`` before the first annotation (see ``Annotations.__init__``).
_NO_ITEMS: tuple[()] = ()


class Annotations:
    """The ordered annotations of a resource.

    >>> anns = Annotations()
    >>> _ = anns.add(EnvironmentAnnotation("LOG_LEVEL", "debug"))
    >>> anns.last(EnvironmentAnnotation) is not None
    True
    """

    __slots__ = ("_grouped", "_groups", "_items")

    def __init__(self, items: Sequence[object] = _NO_ITEMS) -> None:
        # No annotations yet: the shared empty tuple, replaced by a list at the first ``add`` (many resources, a
        # model's parameters and connection strings, never get one: a list each would be an object more per
        # resource for the cyclic garbage collector to count and scan while the app host describes its model).
        self._items: list[object] | tuple[()] = _NO_ITEMS if items is _NO_ITEMS else list(items)
        # Set by ``_group_by``: the annotations of some kinds (``_grouped``; only the kinds present are keys),
        # found in one pass; forgotten at every change.
        self._groups: dict[type[Any], list[Any]] | None = None
        self._grouped: frozenset[type[Any]] = _NO_KINDS

    def add(self, annotation: A, behavior: MutationBehavior = MutationBehavior.APPEND) -> A:
        """Add ``annotation``; with ``REPLACE`` first remove every annotation of exactly its type."""
        items = self._items
        if behavior is MutationBehavior.REPLACE:
            self._items = items = [a for a in items if type(a) is not type(annotation)]
        if items:
            items.append(annotation)
        else:  # none yet (the shared empty tuple), or an empty list: a list of its own
            self._items = [annotation]
        self._groups = None
        return annotation

    def remove(self, annotation: object) -> None:
        """Remove ``annotation`` (this very object) if present."""
        self._items = [a for a in self._items if a is not annotation]
        self._groups = None

    def remove_all(self, kind: type[object]) -> None:
        """Remove every annotation that is an instance of ``kind``."""
        self._items = [a for a in self._items if not isinstance(a, kind)]
        self._groups = None

    def _group_by(self, kinds: tuple[type[Any], ...]) -> None:
        """Find the annotations of each of ``kinds`` in one pass, so that :meth:`all`, :meth:`last` and
        :meth:`has` answer for these kinds without looking at every annotation again, until the next change
        (or :meth:`_ungroup`). ``build()`` does this for the kinds that validation and publishing ask about,
        many times each."""
        self._group_with(kinds, _matches(kinds))

    def _group_with(
        self,
        kinds: tuple[type[Any], ...],
        table: tuple[frozenset[type[Any]], dict[type[Any], tuple[type[Any], ...]]],
    ) -> None:
        """:meth:`_group_by`, with the kinds' table (``_matches(kinds)``) looked up by the caller: once for all the
        resources of a model (a tuple of kinds hashes every one of its items at each lookup)."""
        items = self._items
        if not items:  # most parameters and connection strings: one shared empty answer
            self._grouped = table[0]
            self._groups = _NO_GROUPS
            return
        count = len(items)
        groups: dict[type[Any], list[Any]] = {}
        grouped, matches = table
        for a in items:
            matched = matches.get(type(a))
            if matched is None:
                matched = tuple(k for k in kinds if isinstance(a, k))
                if a.__class__ is type(a):
                    matches[type(a)] = matched
            for k in matched:
                found = groups.get(k)
                if found is None:
                    groups[k] = [a]
                else:
                    found.append(a)
        self._grouped = grouped
        self._groups = groups
        if self._items is not items or len(items) != count:  # pragma: no cover - changed by another thread meanwhile
            self._groups = None

    def _ungroup(self) -> None:
        """Forget what :meth:`_group_by` found."""
        self._groups = None

    def all(self, kind: type[A]) -> list[A]:
        """Every annotation that is an instance of ``kind``, in the order they were added."""
        groups = self._groups
        if groups is not None:
            found = groups.get(kind)
            if found is not None:
                return list(found)
            if kind in self._grouped:
                return []
        return [a for a in self._items if isinstance(a, kind)]

    def _view(self, kind: type[A]) -> Sequence[A]:
        """:meth:`all`, for callers in the model room that only read the result (grouped: no copy)."""
        groups = self._groups
        if groups is not None:
            found = groups.get(kind)
            if found is not None:
                return found
            if kind in self._grouped:
                return ()
        return [a for a in self._items if isinstance(a, kind)]

    @overload
    def last(self, kind: type[A]) -> A | None: ...
    @overload
    def last(self, kind: type[A], default: A) -> A: ...
    def last(self, kind: type[A], default: A | None = None) -> A | None:
        """The most recently added annotation of ``kind``, or ``default``."""
        groups = self._groups
        if groups is not None:
            found = groups.get(kind)
            if found is not None:
                return found[-1]  # type: ignore[no-any-return]
            if kind in self._grouped:
                return default
        for a in reversed(self._items):
            if isinstance(a, kind):
                return a
        return default

    def has(self, kind: type[object]) -> bool:
        """Whether any annotation is an instance of ``kind``."""
        groups = self._groups
        if groups is not None:
            if kind in groups:
                return True
            if kind in self._grouped:
                return False
        return any(isinstance(a, kind) for a in self._items)

    def __iter__(self) -> Iterator[object]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, annotation: object) -> bool:
        return any(a is annotation for a in self._items)

    def __repr__(self) -> str:
        return f"Annotations({[type(a).__name__ for a in self._items]})"


# --------------------------------------------------------------------------- environment & args


@attrs.frozen
class EnvironmentAnnotation(ResourceAnnotation):
    """One environment variable: a literal or a deferred value."""

    name: str
    value: object


@attrs.frozen
class EnvironmentCallbackAnnotation(ResourceAnnotation):
    """A callback, sync or async, that adds environment variables when they are computed."""

    callback: Callable[[EnvironmentCallbackContext], Awaitable[None] | None]


@attrs.frozen
class CommandLineArgsAnnotation(ResourceAnnotation):
    """Arguments appended to the command line, literals or deferred values."""

    args: tuple[object, ...]


@attrs.frozen
class CommandLineArgsCallbackAnnotation(ResourceAnnotation):
    """A callback, sync or async, that edits the arguments when they are computed."""

    callback: Callable[[CommandLineArgsCallbackContext], Awaitable[None] | None]


# --------------------------------------------------------------------------- lifecycle


@attrs.frozen
class HealthCheckAnnotation(ResourceAnnotation):
    """A health check of the resource: ``check`` returns a result or a bool, sync or async."""

    key: str
    check: Callable[[HealthCheckContext], Any]


class KnownRelationshipTypes:
    """Aspire's relationship types (any other text is a custom relationship)."""

    WAIT_FOR = "WaitFor"
    REFERENCE = "Reference"
    PARENT = "Parent"


@attrs.frozen
class ManifestPublishingCallbackAnnotation(ResourceAnnotation):
    """Writes the resource's manifest entry itself; ``callback=None`` excludes it from the manifest."""

    callback: Callable[[Any], Awaitable[None] | None] | None

    @classmethod
    def ignore(cls) -> ManifestPublishingCallbackAnnotation:
        return cls(None)


# --------------------------------------------------------------------------- containers


@attrs.frozen
class ContainerImageAnnotation(ResourceAnnotation):
    """``[registry/]image[:tag|@sha256:digest]``."""

    image: str
    tag: str | None = "latest"
    registry: str | None = None
    sha256: str | None = None

    @property
    def full_name(self) -> str:
        base = f"{self.registry}/{self.image}" if self.registry else self.image
        if self.sha256:
            return f"{base}@sha256:{self.sha256}"
        return f"{base}:{self.tag or 'latest'}"


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
