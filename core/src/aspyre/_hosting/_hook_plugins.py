"""Hook plugins seen from the builders: each ``aspyre.hooks`` entry point checked against the hook
specifications, then registered with the builder's plugin manager; ``aspyre_configure_builder`` called.

A plugin that cannot be *imported* is reported with a ``RuntimeWarning`` and skipped (the others keep
working). A plugin that imports but does not fit the hooks (an unknown hook name, an argument the hook
does not have, a function named like a hook without ``@aspyre.plugins.hookimpl``) is a
:class:`~aspyre.plugins.PluginValidationError` when the builder is created, as pytest fails on such a
plugin: each problem names the function and suggests the name it probably meant.
"""

from __future__ import annotations

import functools
import inspect
import types
import warnings
from typing import TYPE_CHECKING

import pluggy

from aspyre._eventing._hookspecs import PROJECT_NAME, HookSpecs
from aspyre._eventing._naming import hook_error
from aspyre._plugins import (
    GROUP_HOOKS,
    PluginEntry,
    PluginLoadError,
    PluginValidationError,
    registry,
)

if TYPE_CHECKING:
    from aspyre._plugin_selection import PluginSelection

    from ._builder import DistributedApplicationBuilder

__all__ = ["configure_builder", "hook_arguments", "hook_problems", "load_hook_plugins", "plugin_name"]

#: The attribute ``pluggy.HookimplMarker("aspyre")`` sets on the functions it marks.
_IMPL_ATTR = f"{PROJECT_NAME}_impl"


@functools.cache
def hook_arguments() -> dict[str, tuple[str, ...]]:
    """Every aspyre hook and the arguments it passes (``aspyre_configure_builder``: ``("builder",)``)."""
    out: dict[str, tuple[str, ...]] = {}
    for name in dir(HookSpecs):
        if name.startswith(f"{PROJECT_NAME}_"):
            out[name] = _required_arguments(getattr(HookSpecs, name))[1:]  # without self
    return out


def _required_arguments(fn: object) -> tuple[str, ...]:
    """The arguments pluggy passes to ``fn``: its positional parameters without defaults."""
    if type(fn) is types.FunctionType and not hasattr(fn, "__wrapped__") and not hasattr(fn, "__signature__"):
        # A plain function (every hook specification, most implementations): read from its code, as
        # inspect.signature() would, without building a Signature (about 30 µs each on every builder's creation).
        code = fn.__code__
        return code.co_varnames[: code.co_argcount - len(fn.__defaults__ or ())]
    try:
        sig = inspect.signature(fn)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ()
    return tuple(
        p.name
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


def _close(name: str, options: list[str] | tuple[str, ...]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def _where(plugin: object, attr: str, fn: object) -> str:
    module = getattr(fn, "__module__", None) or getattr(plugin, "__name__", "")
    qualname = getattr(fn, "__qualname__", attr)
    return f"{module}.{qualname}()" if module else f"{qualname}()"


def hook_problems(plugin: object) -> list[str]:
    """What in ``plugin`` (a hooks module or object) does not fit aspyre's hooks, one sentence each."""
    hooks = hook_arguments()
    problems: list[str] = []
    for attr in dir(plugin):
        if attr.startswith("__"):
            continue
        try:
            value = getattr(plugin, attr)
        except Exception:  # a property that raises is not a hook
            continue
        opts = getattr(value, _IMPL_ATTR, None) if callable(value) else None
        if not isinstance(opts, dict):
            if attr in hooks and (inspect.isfunction(value) or inspect.ismethod(value)):
                problems.append(
                    f"{_where(plugin, attr, value)} is named like the hook {attr} but is not marked with "
                    "@aspyre.plugins.hookimpl, so it is never called"
                )
            continue
        name = opts.get("specname") or attr
        where = _where(plugin, attr, value)
        if name not in hooks:
            if opts.get("optionalhook"):
                continue
            close = _close(name, sorted(hooks))
            problems.append(
                f"{where}: there is no hook named {name!r}"
                + (f"; did you mean {close!r}?" if close else " (the hooks are listed in aspyre.plugins.HookSpecs)")
            )
            continue
        takes = hooks[name]
        for arg in _required_arguments(value):
            if arg in takes:
                continue
            close = _close(arg, takes)
            problems.append(
                f"{where}: argument {arg!r} is not one the hook {name} passes (it passes: {', '.join(takes)})"
                + (f"; did you mean {close!r}?" if close else "")
            )
    return problems


def plugin_name(entry: PluginEntry) -> str:
    """The name a hook plugin is registered under: ``distribution:entry``."""
    return f"{entry.distribution}:{entry.name}"


def load_hook_plugins(
    pm: pluggy.PluginManager, selection: PluginSelection | None = None
) -> tuple[list[PluginLoadError], list[PluginValidationError]]:
    """Register every ``aspyre.hooks`` entry point ``selection`` allows with ``pm``.

    Returns the plugins that failed to load (each also reported with a ``RuntimeWarning``) and those that
    do not fit the hooks (not registered; the builder raises the first). Plugins the selection switches off
    are blocked in ``pm`` without being imported.
    """
    sel = registry().selection() if selection is None else selection
    errors: list[PluginLoadError] = []
    invalid: list[PluginValidationError] = []

    def report(error: PluginLoadError) -> None:
        errors.append(error)
        warnings.warn(f"aspyre: {error}", RuntimeWarning, stacklevel=3)

    for entry in registry().entries(GROUP_HOOKS):
        name = plugin_name(entry)
        if not sel.allows(entry):
            pm.set_blocked(name)  # not even imported
            continue
        try:
            plugin = entry.load()
        except PluginLoadError as exc:
            report(exc)
            continue
        if pm.is_registered(plugin) or pm.has_plugin(name):
            continue
        problems = hook_problems(plugin)
        if problems:
            invalid.append(PluginValidationError(entry, problems))
            continue
        try:
            pm.register(plugin, name=name)
            pm.check_pending()  # what hook_problems() did not foresee
        except Exception as exc:
            if pm.is_registered(plugin):
                pm.unregister(plugin)
            report(PluginLoadError(entry, exc, stage="could not be registered"))
    return errors, invalid


def configure_builder(builder: DistributedApplicationBuilder) -> None:
    """Call the ``aspyre_configure_builder`` hook; a failing plugin is named in a :class:`PluginHookError`."""
    caller = builder.plugin_manager.hook.aspyre_configure_builder
    try:
        caller(builder=builder)
    except Exception as exc:
        named = hook_error(caller, exc)
        if named is None:
            raise
        raise named from exc
