"""How the public modules present their names: each reports the public module it is exported from.

``aspyre.events.BeforeStartEvent.__module__`` is ``"aspyre.events"``, not the private module that defines
it, as httpx does for its names: tracebacks, reprs, ``aspyre describe --json`` and documentation tools then
show the import path users should write.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable, Mapping

__all__ = ["lazy_exports", "present", "present_top_level"]


def present(
    namespace: Mapping[str, object],
    module: str,
    *,
    resolve_types: bool = False,
    names: Iterable[str] | None = None,
) -> None:
    """Rewrite ``__module__`` of the classes and functions in ``namespace["__all__"]`` (or ``names``) to ``module``.

    Only objects defined in aspyre's private modules are touched. With ``resolve_types``, attrs
    classes get their string annotations resolved first, while the defining module is still the one
    their names live in (needed for classes that cattrs structures: it resolves annotations through
    ``__module__``). A private module whose names a public module imports on first use (:func:`lazy_exports`)
    presents them itself, naming them in ``names``.
    """
    chosen = namespace["__all__"] if names is None else names
    _present_names(namespace, list(chosen), module, resolve_types=resolve_types)  # type: ignore[call-overload]


def present_top_level(namespace: Mapping[str, object]) -> None:
    """Present the names of the app host tier (``aspyre.__all__``) that private module ``namespace`` defines as
    ``aspyre.NAME``; called at the end of each such module.

    ``aspyre`` imports each of its names on first use (``aspyre._LAZY`` says where), so a class can be reached
    before (an integration's base class, a resource's type): it reports ``aspyre`` all the same.
    """
    relative = "." + str(namespace["__name__"]).removeprefix("aspyre.")
    face: Mapping[str, str] = sys.modules["aspyre"]._LAZY
    _present_names(namespace, [name for name, where in face.items() if where == relative], "aspyre")


def _present_names(
    namespace: Mapping[str, object], names: list[str], module: str, *, resolve_types: bool = False
) -> None:
    for name in names:
        obj = namespace.get(name)  # absent: imported on first use (lazy_exports), presented by its own module
        if not isinstance(obj, (type, types.FunctionType)):
            continue
        if not str(getattr(obj, "__module__", "")).startswith("aspyre._"):
            continue
        if resolve_types and isinstance(obj, type):
            import attrs

            if attrs.has(obj):
                attrs.resolve_types(obj)
        obj.__module__ = module


def lazy_exports(module: str, names: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for module ``module`` (PEP 562): each name in ``names`` is imported from the
    module mapped to it the first time it is read, then kept in ``module``'s namespace (later reads cost nothing).

    Call it at the end of the module it serves, as ``__getattr__, __dir__ = lazy_exports(__name__, {...})``; a
    module in ``names`` is relative (``".module"``, to ``module``'s package, as a ``from .module import`` in it
    would be) or absolute. Name them in ``__all__`` too (``from module import *`` and ``aspyre stubs`` read it),
    and import them under ``if TYPE_CHECKING:`` for type checkers. Reading a name that is neither defined nor
    in ``names`` raises :class:`AttributeError` naming ``module``; one whose module does not define it names
    both; an error importing that module propagates, with a note naming the name and ``module``.
    See ``docs/writing-an-integration.md``.
    """
    target = sys.modules.get(module)
    if target is None:
        raise ValueError(
            f"lazy_exports({module!r}, ...): no module {module!r} is being imported; pass the __name__ of the "
            "module whose names these are, from that module"
        )
    namespace = target.__dict__
    package = target.__package__
    where_of = dict(names)

    def __getattr__(name: str) -> object:
        where = where_of.get(name)
        if where is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}", name=name, obj=target)
        try:
            source = importlib.import_module(where, package)
        except ImportError as exc:
            exc.add_note(f"(importing {where!r} for {module}.{name}, which it exports on first use)")
            raise
        try:
            value = getattr(source, name)
        except AttributeError:
            raise AttributeError(
                f"module {module!r} has no attribute {name!r}: it exports it from {source.__name__!r} on "
                "first use, which does not define it",
                name=name,
                obj=target,
            ) from None
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *namespace.get("__all__", ()), *where_of})

    return __getattr__, __dir__
