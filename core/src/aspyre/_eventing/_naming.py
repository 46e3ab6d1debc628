"""Naming who failed: the plugin whose hook raised, the handler that raised.

A hook's error becomes a :class:`~aspyre.plugins.PluginHookError` naming the plugin (its entry point,
``distribution:name``, or its module or class when it was registered by hand); a subscriber's error
keeps its type and gets a note naming the handler (``(in the BeforeStartEvent handler on_start
(apphost.py:12))``), which error reports show.
"""

from __future__ import annotations

import functools
import os
import types
from typing import Any

from pluggy import HookCaller

from .._plugins import PluginHookError

__all__ = ["add_handler_note", "callable_name", "failing_hook_plugin", "hook_error"]


def _code_of(fn: Any) -> types.CodeType | None:
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)  # bound methods
    code = getattr(fn, "__code__", None)
    if code is None:
        call = getattr(type(fn), "__call__", None)  # noqa: B004 - a callable object's own method
        code = getattr(call, "__code__", None)
    return code if isinstance(code, types.CodeType) else None


def callable_name(fn: Any) -> str:
    """``qualname (file:line)`` of a callable (its definition), for error messages."""
    code = _code_of(fn)
    if code is None:
        return repr(fn)
    try:
        where = os.path.relpath(code.co_filename)
    except ValueError:  # pragma: no cover - another drive
        where = code.co_filename
    return f"{code.co_qualname} ({where}:{code.co_firstlineno})"


def add_handler_note(exc: BaseException, event_name: str, handler: Any) -> None:
    """Say on *exc* (once) which handler of which event raised it."""
    note = f"(in the {event_name} handler {callable_name(handler)})"
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)


def _plugin_label(name: str, plugin: object) -> str:
    """The name pluggy knows the plugin by, unless it is the ``id()`` it made up for an unnamed one."""
    if name != str(id(plugin)):
        return name
    if isinstance(plugin, types.ModuleType):
        return plugin.__name__
    kind = plugin if isinstance(plugin, type) else type(plugin)
    return f"{kind.__module__}.{kind.__qualname__}"


def failing_hook_plugin(caller: HookCaller, exc: BaseException) -> str | None:
    """The plugin whose implementation of *caller*'s hook raised *exc* (from its traceback), if one did."""
    codes = {}
    for impl in caller.get_hookimpls():
        code = _code_of(impl.function)
        if code is not None:
            codes[code] = _plugin_label(impl.plugin_name, impl.plugin)
    tb = exc.__traceback__
    found: str | None = None
    while tb is not None:
        name = codes.get(tb.tb_frame.f_code)
        if name is not None:
            found = name
        tb = tb.tb_next
    return found


def hook_error(caller: HookCaller, exc: BaseException) -> PluginHookError | None:
    """The :class:`PluginHookError` naming the plugin behind *exc*, or ``None`` when no plugin's code raised it."""
    if isinstance(exc, PluginHookError):
        return None
    plugin = failing_hook_plugin(caller, exc)
    if plugin is None:
        return None
    return PluginHookError(
        f"The {caller.name} hook of plugin {plugin!r} failed: {type(exc).__name__}: {exc}. "
        "Fix or uninstall that plugin."
    )
