"""Plugins seen from the builders: extension methods looked up by name, and hook plugins registered.

``builder.add_redis`` and ``resource_builder.with_persistence`` are not attributes of the builder
classes: their ``__getattr__`` asks the functions here, which find them among the installed entry
points (:mod:`aspyre._plugins`). A broken plugin must not make ``hasattr`` or ``getattr(..., default)``
raise: the lookup raises :class:`AttributeError` carrying the plugin's error (its message, and the
:class:`~aspyre.PluginLoadError` as ``__cause__``), so ``builder.add_broken(...)`` still says which
distribution to fix.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import pluggy

from aspyre._plugins import (
    APPLIES_TO_ATTR,
    GROUP_BUILDER_METHODS,
    GROUP_HOOKS,
    GROUP_RESOURCE_METHODS,
    PluginHookError,
    PluginLoadError,
    registry,
)

from ._resource_builder._base import a_noun

if TYPE_CHECKING:
    from ._builder import DistributedApplicationBuilder
    from ._resource_builder import ResourceBuilder

__all__ = [
    "builder_method",
    "configure_builder",
    "disable_plugin",
    "load_hook_plugins",
    "public_names",
    "resource_method",
]


def public_names(cls: type) -> list[str]:
    """The public attribute names of ``cls`` (the built-in methods, for "did you mean" hints)."""
    return [n for n in dir(cls) if not n.startswith("_")]


def _unavailable(name: str, owner: object, error: PluginLoadError) -> AttributeError:
    """The error for a method whose plugin is broken: an ``AttributeError`` with the plugin's message."""
    return AttributeError(str(error), name=name, obj=owner)


def builder_method(builder: DistributedApplicationBuilder, name: str) -> Callable[..., Any]:
    """``builder.<name>``: the ``aspyre.builder_methods`` function, bound to ``builder``."""
    reg = registry()
    try:
        fn = reg.builder_method(name)
    except PluginLoadError as error:
        raise _unavailable(name, builder, error) from error
    if fn is None:
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
    try:
        candidates = reg.resource_methods(name)
    except PluginLoadError as error:
        raise _unavailable(name, builder, error) from error
    matching: list[tuple[int, Callable[..., Any]]] = []
    mro = type(resource).__mro__
    for entry, fn in candidates:
        applies_to = getattr(fn, APPLIES_TO_ATTR, None)
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
            matching.append((depth, fn))
    if matching:
        matching.sort(key=lambda x: x[0])
        return functools.partial(matching[0][1], builder)
    for entry in reg.find(GROUP_RESOURCE_METHODS, name):
        if entry.failed and entry.error is not None:
            # The one that would have applied may be the one that is broken: say so.
            broken = PluginLoadError(entry, entry.error)
            raise _unavailable(name, builder, broken) from broken
    if candidates:
        types = sorted({t.__name__ for _, fn in candidates for t in getattr(fn, APPLIES_TO_ATTR, ())})
        dists = sorted({e.distribution for e, _ in candidates})
        raise AttributeError(
            f"{name}() (from {', '.join(dists)}) applies to {', '.join(types)}; resource "
            f"{resource.name!r} is {a_noun(type(resource).__name__)}.",
            name=name,
            obj=builder,
        )
    hint = reg.suggestions(name, GROUP_RESOURCE_METHODS, public_names(type(builder)))
    raise AttributeError(
        f"{type(builder).__name__} for {resource.name!r} ({type(resource).__name__}) has no method "
        f"{name!r}" + (f"; {hint}" if hint else ""),
        name=name,
        obj=builder,
    )


def load_hook_plugins(pm: pluggy.PluginManager, disabled: Collection[str] = ()) -> list[PluginLoadError]:
    """Register every ``aspyre.hooks`` entry point with ``pm``; return (and warn about) those that failed.

    Plugins named in ``disabled`` (entry-point name or ``distribution:name``) are blocked, not even imported.
    """
    errors: list[PluginLoadError] = []

    def report(error: PluginLoadError) -> None:
        errors.append(error)
        warnings.warn(f"aspyre: {error}", RuntimeWarning, stacklevel=2)

    for entry in registry().entries(GROUP_HOOKS):
        plugin_name = f"{entry.distribution}:{entry.name}"
        if entry.name in disabled or plugin_name in disabled:
            pm.set_blocked(plugin_name)
            continue
        try:
            plugin = entry.load()
        except PluginLoadError as exc:
            report(exc)
            continue
        if pm.is_registered(plugin) or pm.has_plugin(plugin_name):
            continue
        try:
            pm.register(plugin, name=plugin_name)
            pm.check_pending()  # a hook this version of aspyre does not know
        except Exception as exc:
            if pm.is_registered(plugin):
                pm.unregister(plugin)
            report(PluginLoadError(entry, exc, stage="could not be registered"))
    return errors


def disable_plugin(pm: pluggy.PluginManager, name: str) -> bool:
    """Unregister and block the hook plugins called ``name`` (entry-point name or ``distribution:name``)."""
    matched = False
    for registered, _plugin in pm.list_name_plugin():
        if registered is not None and (registered == name or registered.partition(":")[2] == name):
            pm.set_blocked(registered)
            matched = True
    return matched


def configure_builder(builder: DistributedApplicationBuilder) -> None:
    """Call the ``aspyre_configure_builder`` hook; a failing plugin is named in a :class:`PluginHookError`."""
    pm = builder.plugin_manager
    try:
        pm.hook.aspyre_configure_builder(builder=builder)
    except Exception as exc:
        plugin = _failing_hook_plugin(pm, "aspyre_configure_builder", exc)
        if plugin is None:
            raise
        raise PluginHookError(
            f"The aspyre_configure_builder hook of plugin {plugin!r} failed: {type(exc).__name__}: {exc}. "
            "Fix or uninstall that plugin."
        ) from exc


def _failing_hook_plugin(pm: pluggy.PluginManager, hook_name: str, exc: BaseException) -> str | None:
    """The name of the plugin whose implementation of ``hook_name`` raised ``exc``, if one did."""
    codes = {
        impl.function.__code__: impl.plugin_name
        for impl in getattr(pm.hook, hook_name).get_hookimpls()
        if hasattr(impl.function, "__code__")
    }
    tb = exc.__traceback__
    found: str | None = None
    while tb is not None:
        name = codes.get(tb.tb_frame.f_code)
        if name is not None:
            found = name
        tb = tb.tb_next
    return found
