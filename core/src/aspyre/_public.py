"""How the public modules present their names: each reports the public module it is exported from.

``aspyre.events.BeforeStartEvent.__module__`` is ``"aspyre.events"``, not the private module that defines
it, as httpx does for its names: tracebacks, reprs, ``aspyre describe --json`` and documentation tools then
show the import path users should write.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

__all__ = ["present"]


def present(namespace: Mapping[str, object], module: str, *, resolve_types: bool = False) -> None:
    """Rewrite ``__module__`` of the classes and functions in ``namespace["__all__"]`` to ``module``.

    Only objects defined in aspyre's private modules are touched. With ``resolve_types``, attrs
    classes get their string annotations resolved first, while the defining module is still the one
    their names live in (needed for classes that cattrs structures: it resolves annotations through
    ``__module__``).
    """
    import attrs

    for name in namespace["__all__"]:  # type: ignore[attr-defined]
        obj = namespace[name]
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not str(getattr(obj, "__module__", "")).startswith("aspyre._"):
            continue
        if resolve_types and inspect.isclass(obj) and attrs.has(obj):
            attrs.resolve_types(obj)
        obj.__module__ = module
