"""What a resource-builder extension method declares: the resource types it applies to.

A utility below every room (it imports nothing from aspyre), used by the plugin registry (:mod:`aspyre._plugins`),
the extension-method lookup, ``aspyre plugins --check`` and ``aspyre stubs``. A type may be named by a string
(``"package.module:ClassName"``) so that the module holding the method need not import it: the lookup resolves such
a name only once its module is imported (no resource of that type can exist before), the checks and the stubs
import it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = [
    "APPLIES_TO_ATTR",
    "applies_to_all",
    "applies_to_now",
    "declared_type_name",
    "resolve_declared_type",
    "resource_extension",
]

F = TypeVar("F", bound=Callable[..., Any])

APPLIES_TO_ATTR = "__aspyre_applies_to__"


def resource_extension(*resource_types: type | str) -> Callable[[F], F]:
    """Declare which resource types a resource-builder extension method applies to::

    @aspyre.plugins.resource_extension(RedisResource)
    def with_persistence(builder, interval=60, keys_changed_threshold=1): ...

    A type may also be named as ``"module:QualifiedName"`` (the module that defines the class), so the module
    that holds the method need not import it: ``@resource_extension(RedisResource,
    "aspyre_redis._helpers:RedisInsightResource")``. Until that module is imported no resource of that type can
    exist, so the lookup never imports it; ``aspyre stubs`` and ``aspyre plugins --check`` do.
    """
    if not resource_types or not all(
        isinstance(t, type) or (isinstance(t, str) and _is_type_reference(t)) for t in resource_types
    ):
        raise TypeError(
            "resource_extension() needs one or more resource types (classes, or 'module:ClassName' strings naming "
            f"the module that defines them), got {', '.join(map(repr, resource_types)) or 'none'}"
        )

    def mark(fn: F) -> F:
        setattr(fn, APPLIES_TO_ATTR, tuple(resource_types))
        return fn

    return mark


#: What a type named by a string looks like (``module:QualifiedName``); :func:`_is_type_reference` checks it.
TYPE_REFERENCE = r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*"


def _is_type_reference(text: str) -> bool:
    """Whether :data:`TYPE_REFERENCE` matches all of ``text`` (checked without compiling it: plugins declare their
    types as they are imported, on every app host's builder path)."""
    module, colon, name = text.partition(":")
    return bool(colon) and _is_dotted_name(module) and _is_dotted_name(name)


def _is_dotted_name(text: str) -> bool:
    # [A-Za-z_][\w.]*  (\w: what str.isalnum() accepts, and "_")
    return (
        bool(text)
        and (text[0] == "_" or (text[0].isascii() and text[0].isalpha()))
        and all(c.isalnum() or c in "._" for c in text)
    )


def declared_type_name(declared: type | str) -> str:
    """The class name a ``resource_extension`` declaration names (without importing a lazily named one)."""
    return declared.__name__ if isinstance(declared, type) else declared.rpartition(":")[2].rpartition(".")[2]


def applies_to_now(fn: object) -> tuple[type, ...] | None:
    """The types ``fn`` declares that a resource can be an instance of now: named ones only if their module is
    imported (a class is defined when its module runs). ``None``: ``fn`` declares none."""
    declared: tuple[type | str, ...] | None = getattr(fn, APPLIES_TO_ATTR, None)
    if declared is None:
        return None
    if all(isinstance(t, type) for t in declared):
        return cast("tuple[type, ...]", declared)
    out: list[type] = []
    for t in declared:
        if isinstance(t, type):
            out.append(t)
        elif t.partition(":")[0] in sys.modules:
            out.append(resolve_declared_type(t))
    return tuple(out)


def applies_to_all(fn: object) -> tuple[type, ...] | None:
    """Every type ``fn`` declares, importing the modules of those named as strings (``aspyre stubs``, checks).

    Raises :class:`TypeError` for a name that is not a class."""
    declared: tuple[type | str, ...] | None = getattr(fn, APPLIES_TO_ATTR, None)
    if declared is None:
        return None
    return tuple(t if isinstance(t, type) else resolve_declared_type(t) for t in declared)


def resolve_declared_type(reference: str) -> type:
    """The class ``"module:QualifiedName"`` names."""
    try:
        obj = _load(reference)
    except (ImportError, AttributeError) as exc:
        raise TypeError(f"resource_extension() names {reference!r}, which cannot be imported: {exc}") from exc
    if not isinstance(obj, type):
        raise TypeError(f"resource_extension() names {reference!r}, which is not a class but {type(obj).__name__}")
    return obj


def _load(reference: str) -> object:
    import importlib

    module, _, qualname = reference.partition(":")
    obj: object = importlib.import_module(module)
    for attr in qualname.split("."):
        obj = getattr(obj, attr)
    return obj
