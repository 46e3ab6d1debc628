"""Extension methods seen from the builders: looked up by name among the entry points, checked for conflicts.

``builder.add_redis`` and ``resource_builder.with_persistence`` are not attributes of the builder
classes: their ``__getattr__`` asks the functions here, which find them among the installed entry
points (:mod:`aspyre._plugins`) that the builder's plugin selection allows. A broken plugin must not make
``hasattr`` or ``getattr(..., default)`` raise: the lookup raises :class:`AttributeError` carrying the
plugin's error (its message, and the :class:`~aspyre.plugins.PluginLoadError` as ``__cause__``), so
``builder.add_broken(...)`` still says which distribution to fix.

Two distributions providing the same method, or a plugin method named like one of aspyre's own (which
could never be called), is a :class:`~aspyre.plugins.PluginConflictError` (an ``AttributeError``) when the
name is used. For aspyre's own names the builder installs guards (:func:`conflict_guards`): calling the
method raises, naming both sides.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from aspyre._errors import DistributedApplicationException
from aspyre._plugin_declarations import APPLIES_TO_ATTR, applies_to_now, declared_type_name
from aspyre._plugins import (
    GROUP_BUILDER_METHODS,
    GROUP_RESOURCE_METHODS,
    PluginConflictError,
    PluginEntry,
    PluginLoadError,
    conflict_message,
    normalize_distribution,
    registry,
)

from ._resource_builder._base import a_noun

if TYPE_CHECKING:
    from aspyre._plugin_selection import PluginSelection

    from ._builder import DistributedApplicationBuilder
    from ._resource_builder import ResourceBuilder

__all__ = [
    "StubsOutOfDateWarning",
    "builder_method",
    "conflict_guards",
    "core_conflicts",
    "public_names",
    "resource_method",
    "warn_if_stubs_stale",
]


class StubsOutOfDateWarning(DistributedApplicationException, UserWarning):
    """The type stubs ``aspyre stubs`` generated describe other plugins than the ones installed now.

    A warning (raised only where warnings are errors), and one of aspyre's errors as every other it emits."""


def public_names(cls: type) -> list[str]:
    """The public attribute names of ``cls`` (the built-in methods, for "did you mean" hints)."""
    return [n for n in dir(cls) if not n.startswith("_")]


def _unavailable(name: str, owner: object, error: PluginLoadError) -> AttributeError:
    """The error for a method whose plugin is broken: an ``AttributeError`` with the plugin's message."""
    return AttributeError(str(error), name=name, obj=owner)


def _switched_off(what: str, name: str, owner: object, entries: list[PluginEntry], sel: PluginSelection) -> NoReturn:
    """Raise the ``AttributeError`` for a method whose only providers the selection leaves out."""
    raise AttributeError(
        f"{what} comes from {entries[0].distribution}, but {sel.reason(entries[0])}", name=name, obj=owner
    )


def builder_method(builder: DistributedApplicationBuilder, name: str) -> Callable[..., Any]:
    """``builder.<name>``: the ``aspyre.builder_methods`` function, bound to ``builder``."""
    reg = registry()
    sel = builder.plugin_selection
    try:
        fn = reg.builder_method(name, sel)
    except PluginLoadError as error:
        raise _unavailable(name, builder, error) from error
    if fn is None:
        provided = reg.find(GROUP_BUILDER_METHODS, name)
        if provided:
            _switched_off(f"builder.{name}()", name, builder, provided, sel)
        hint = reg.suggestions(name, GROUP_BUILDER_METHODS, public_names(type(builder)))
        raise AttributeError(
            f"DistributedApplicationBuilder has no method {name!r}" + (f"; {hint}" if hint else ""),
            name=name,
            obj=builder,
        )
    return functools.partial(fn, builder)


def resource_method(builder: ResourceBuilder[Any], name: str) -> Callable[..., Any]:
    """``resource_builder.<name>``: the most specific ``aspyre.resource_methods`` function for its resource."""
    reg = registry()
    resource = builder.resource
    sel = builder.application_builder.plugin_selection
    try:
        candidates = reg.resource_methods(name, sel)
    except PluginLoadError as error:
        raise _unavailable(name, builder, error) from error
    matching: list[tuple[int, PluginEntry, Callable[..., Any]]] = []
    mro = type(resource).__mro__
    for entry, fn in candidates:
        applies_to = applies_to_now(fn)
        if applies_to is None:
            raise TypeError(
                f"Extension method {name!r} from {entry.distribution} (entry point {entry.value!r}) does not "
                "declare the resource types it applies to; decorate it with @aspyre.plugins.resource_extension(...)"
            )
        hits = [t for t in applies_to if isinstance(resource, t)]
        if hits:
            # The most specific first: the deepest class of the resource's MRO (a structural
            # protocol that is not a base class counts as the least specific).
            depth = min(mro.index(t) if t in mro else len(mro) for t in hits)
            matching.append((depth, entry, fn))
    if matching:
        matching.sort(key=lambda x: x[0])
        best = [m for m in matching if m[0] == matching[0][0]]
        if len({normalize_distribution(e.distribution) for _, e, _ in best}) > 1:
            entries = [e for _, e, _ in best]
            raise PluginConflictError(
                conflict_message(f"{name}() for {a_noun(type(resource).__name__)}", entries), name=name, entries=entries
            )
        return functools.partial(matching[0][2], builder)
    for entry in reg.usable(GROUP_RESOURCE_METHODS, name, sel):
        if entry.failed and entry.error is not None:
            # The one that would have applied may be the one that is broken: say so.
            try:
                entry.load()
            except PluginLoadError as broken:
                raise _unavailable(name, builder, broken) from broken
    if candidates:
        types = sorted({declared_type_name(t) for _, fn in candidates for t in getattr(fn, APPLIES_TO_ATTR, ())})
        dists = sorted({e.distribution for e, _ in candidates})
        raise AttributeError(
            f"{name}() (from {', '.join(dists)}) applies to {', '.join(types)}; resource "
            f"{resource.name!r} is {a_noun(type(resource).__name__)}.",
            name=name,
            obj=builder,
        )
    provided = reg.find(GROUP_RESOURCE_METHODS, name)
    if provided:
        _switched_off(f"{name}()", name, builder, provided, sel)
    hint = reg.suggestions(name, GROUP_RESOURCE_METHODS, public_names(type(builder)))
    raise AttributeError(
        f"{type(builder).__name__} for {resource.name!r} ({type(resource).__name__}) has no method "
        f"{name!r}" + (f"; {hint}" if hint else ""),
        name=name,
        obj=builder,
    )


def core_conflicts(
    group: str, core_names: Iterable[str], selection: PluginSelection | None = None
) -> dict[str, list[PluginEntry]]:
    """Entry points of ``group`` named like one of aspyre's own methods (``core_names``): name -> entries.

    Names only: nothing is imported.
    """
    names = set(core_names)
    sel = registry().selection() if selection is None else selection
    out: dict[str, list[PluginEntry]] = {}
    for entry in registry().entries(group):
        if entry.name in names and sel.allows(entry):
            out.setdefault(entry.name, []).append(entry)
    return out


def core_conflict_message(owner: str, name: str, entries: list[PluginEntry]) -> str:
    """The message for plugins that provide ``owner.name`` (``owner``: ``builder`` or ``resource_builder``),
    a method of aspyre itself."""
    listed = "; ".join(f"{e.distribution} {e.version} ({e.describe()})" for e in entries)
    dist = normalize_distribution(entries[0].distribution)
    return (
        f"{owner}.{name}() is a method of aspyre itself, and a plugin provides a method of the same name, which could "
        f"never be called: {listed}. aspyre will not guess which one you mean. Uninstall that distribution, or switch "
        f"it off for one run with -p no:{dist} (or ASPYRE_DISABLE_PLUGINS={dist}), and ask its author to rename it."
    )


def conflict_guards(owner: str, conflicts: dict[str, list[PluginEntry]]) -> dict[str, Callable[..., Any]]:
    """For each conflicting name, a function that raises :class:`PluginConflictError` when called."""
    guards: dict[str, Callable[..., Any]] = {}
    for name, entries in conflicts.items():
        message = core_conflict_message(owner, name, entries)

        def guard(*args: object, _name: str = name, _message: str = message, _entries: list[PluginEntry] = entries,
                  **kwargs: object) -> Any:  # fmt: skip
            raise PluginConflictError(_message, name=_name, entries=_entries)

        guard.__name__ = guard.__qualname__ = name
        guard.__doc__ = message
        guards[name] = guard
    return guards


_stubs_checked = False


def warn_if_stubs_stale() -> None:
    """Warn (once per process) when the stubs ``aspyre stubs`` generated no longer match the installed plugins."""
    global _stubs_checked
    if _stubs_checked:
        return
    _stubs_checked = True
    status, where = registry().stubs_status()
    if status == "stale":
        warnings.warn(
            f"aspyre: the type stubs in {where} describe other plugins than the ones installed now: type checkers "
            "see outdated extension methods. Run 'aspyre stubs' to regenerate them.",
            StubsOutOfDateWarning,
            stacklevel=4,
        )
