"""Render the installed extension methods as the stub of :mod:`aspyre._hosting._typed_extensions`.

Each ``aspyre.builder_methods`` function ``fn(builder, *params) -> R`` becomes a method
``def name(self, *params) -> R`` of ``BuilderExtensionMethods``. Each ``aspyre.resource_methods`` function
becomes a method of ``ResourceBuilderExtensionMethods`` whose ``self`` is a builder of the resource types it
declares with ``@resource_extension(...)``, one overload per type (and per distribution that uses the name),
most specific first, as the run-time lookup chooses. When the function is generic over the resource
(``fn(builder: ResourceBuilder[C], ...) -> ResourceBuilder[C]``), ``self`` is a type variable bound to the
builder of each type, so a chain keeps the caller's type (``redis.with_data_volume()`` stays a
``ResourceBuilder[RedisResource]``).

Types come from the functions' annotations, evaluated in their modules, and are written by the public path
of each class (``aspyre_redis.RedisResource``). What cannot be evaluated (a name imported only under
``TYPE_CHECKING``) becomes ``Any``, with a note.
"""

from __future__ import annotations

import collections.abc
import enum
import inspect
import sys
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from aspyre._hosting._resource_builder import ResourceBuilder
from aspyre._hosting._resource_builder._base import ResourceBuilderBase
from aspyre._plugin_declarations import applies_to_all
from aspyre._plugins import (
    GROUP_BUILDER_METHODS,
    GROUP_RESOURCE_METHODS,
    PluginEntry,
    PluginLoadError,
    PluginRegistry,
    normalize_distribution,
)

__all__ = ["StubRenderer", "render_stub_module"]

#: The classes the stub defines (the same names as in :mod:`aspyre._hosting._typed_extensions`).
BUILDER_CLASS = "BuilderExtensionMethods"
RESOURCE_CLASS = "ResourceBuilderExtensionMethods"

_SPECIAL = {
    id(typing.NoReturn): "NoReturn",
    id(typing.Never): "Never",
    id(typing.LiteralString): "LiteralString",
    id(typing.Self): "Self",
}


class StubRenderer:
    """Collects the imports, type variables and methods of one stub module."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.reserved = set(reserved)  # method names: a class body must not shadow what annotations use
        self.imports: dict[str, str] = {}  # module -> the name it is bound to
        self.typevars: dict[int, str] = {}
        self.typevar_lines: list[str] = []
        self.notes: list[str] = []
        self._context = ""

    # -- names ---------------------------------------------------------------------------------------
    def module(self, name: str) -> str:
        """The name under which the stub refers to module ``name`` (imported once)."""
        if name not in self.imports:
            root = name.split(".")[0]
            self.imports[name] = f"_{name.replace('.', '_')}" if root in self.reserved else name
        return self.imports[name]

    def builtin(self, name: str) -> str:
        return f"{self.module('builtins')}.{name}" if name in self.reserved else name

    def typing_name(self, name: str) -> str:
        return f"{self.module('typing')}.{name}"

    def note(self, text: str) -> None:
        self.notes.append(f"{self._context}: {text}" if self._context else text)

    # -- types -----------------------------------------------------------------------------------------
    def class_path(self, cls: Any) -> str | None:
        """``module.QualName`` by the shortest module that exports ``cls`` (``aspyre_redis.RedisResource``)."""
        qualname = getattr(cls, "__qualname__", None)
        module = getattr(cls, "__module__", None)
        if not isinstance(qualname, str) or not isinstance(module, str) or "<" in qualname:
            return None
        if module == "builtins":
            return self.builtin(qualname)
        head = qualname.split(".")[0]
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            candidate = ".".join(parts[:i])
            mod = sys.modules.get(candidate)
            if mod is None:
                continue
            exported = candidate == module or head in getattr(mod, "__all__", ())
            # An exported name may be one the package imports on first use (its module __getattr__).
            found = getattr(mod, head, None) if exported else vars(mod).get(head)
            for piece in qualname.split(".")[1:]:
                found = getattr(found, piece, None)
            if found is cls and exported:
                return f"{self.module(candidate)}.{qualname}"
        return None

    def typevar(self, tv: Any) -> str:
        key = id(tv)
        if key not in self.typevars:
            name = f"_T{len(self.typevars) + 1}"
            self.typevars[key] = name
            args = [repr(name)]
            args += [self.type(c) for c in tv.__constraints__]
            if tv.__bound__ is not None:
                args.append(f"bound={self.type(tv.__bound__)}")
            if tv.__covariant__:
                args.append("covariant=True")
            if tv.__contravariant__:
                args.append("contravariant=True")
            self.typevar_lines.append(f"{name} = {self.typing_name('TypeVar')}({', '.join(args)})")
        return self.typevars[key]

    def builder_typevar(self, resource_type: str) -> str:
        """A new type variable bound to a builder of ``resource_type`` (for a ``self`` the method returns)."""
        name = f"_B{sum(1 for line in self.typevar_lines if line.startswith('_B')) + 1}"
        self.typevar_lines.append(f"{name} = {self.typing_name('TypeVar')}({name!r}, bound={self.self_type(resource_type)})")
        return name

    @staticmethod
    def self_type(resource_type: str) -> str:
        """``self`` for a builder of ``resource_type``: the class being written (a ``ResourceBuilder`` is one), as
        type checkers want ``self`` to be a supertype of the class (covariant: a builder of a subclass fits)."""
        return f"{RESOURCE_CLASS}[{resource_type}]"

    def resource_builder(self, resource_type: str) -> str:
        return f"{self.module('aspyre')}.ResourceBuilder[{resource_type}]"

    def any(self, why: str | None = None) -> str:
        if why:
            self.note(why)
        return self.typing_name("Any")

    def type(self, t: Any, globalns: dict[str, Any] | None = None, subst: dict[int, str] | None = None) -> str:
        """Source text for the type ``t`` (annotations not yet evaluated are evaluated in ``globalns``)."""
        subst = subst or {}
        if id(t) in subst:
            return subst[id(t)]
        if t is None or t is type(None):
            return "None"
        if t is Ellipsis:
            return "..."
        if t is Any:
            return self.typing_name("Any")
        if id(t) in _SPECIAL:
            return self.typing_name(_SPECIAL[id(t)])
        if isinstance(t, str | typing.ForwardRef):
            text = t if isinstance(t, str) else t.__forward_arg__
            try:
                value = eval(text, dict(globalns or {}))  # an annotation of the plugin, in its module
            except Exception as exc:
                return self.any(f"the annotation {text!r} could not be evaluated ({type(exc).__name__}): typed as Any")
            return self.type(value, globalns, subst)
        if isinstance(t, typing.TypeVar):
            return self.typevar(t)
        if isinstance(t, list):  # the parameters of a Callable
            return "[" + ", ".join(self.type(a, globalns, subst) for a in t) + "]"
        origin, args = typing.get_origin(t), typing.get_args(t)
        if origin is typing.Union or origin is types.UnionType:
            return " | ".join(self.type(a, globalns, subst) for a in args)
        if origin is typing.Annotated:
            return self.type(args[0], globalns, subst)
        if origin is typing.Literal:
            return f"{self.typing_name('Literal')}[{', '.join(self.literal(a) for a in args)}]"
        if origin is collections.abc.Callable:
            if not args:
                return f"{self.module('collections.abc')}.Callable[..., {self.typing_name('Any')}]"
            params, ret = args[0], args[-1]
            if params is not Ellipsis and not isinstance(params, list):  # a ParamSpec or Concatenate
                return self.any(f"the callable type {t!r} is typed as Any")
            rendered = "..." if params is Ellipsis else self.type(list(params), globalns, subst)
            return f"{self.module('collections.abc')}.Callable[{rendered}, {self.type(ret, globalns, subst)}]"
        if origin is not None:
            base = self.type(origin, globalns, subst)
            if origin is tuple and not args:
                return f"{base}[()]"
            return f"{base}[{', '.join(self.type(a, globalns, subst) for a in args)}]" if args else base
        if isinstance(t, type) or hasattr(t, "__supertype__"):  # a class, or a NewType
            path = self.class_path(t)
            return path if path is not None else self.any(f"{t!r} is not importable from a module: typed as Any")
        return self.any(f"{t!r} is not a type this renderer knows: typed as Any")

    def literal(self, value: object) -> str:
        if isinstance(value, enum.Enum):
            return f"{self.type(type(value))}.{value.name}"
        return repr(value)

    # -- functions -----------------------------------------------------------------------------------------
    def signature(
        self, fn: Callable[..., Any], name: str, *, self_annotation: str | None, subst: dict[int, str] | None = None,
        returns: str | None = None, doc: bool = True,
    ) -> str:  # fmt: skip
        """``def name(self, ...) -> R:`` with ``fn``'s parameters after the first, and its docstring."""
        target = inspect.unwrap(fn)
        globalns = getattr(target, "__globals__", {})
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())[1:]
        out: list[str] = ["self" if self_annotation is None else f"self: {self_annotation}"]
        saw_star = False
        for i, p in enumerate(params):
            if p.kind is p.KEYWORD_ONLY and not saw_star:
                out.append("*")
                saw_star = True
            ann = self.any() if p.annotation is p.empty else self.type(p.annotation, globalns, subst)
            prefix = "*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else ""
            if p.kind is p.VAR_POSITIONAL:
                saw_star = True
            default = "" if p.default is p.empty else " = ..."
            out.append(f"{prefix}{p.name}: {ann}{default}")
            last_positional_only = p.kind is p.POSITIONAL_ONLY and (
                i + 1 == len(params) or params[i + 1].kind is not p.POSITIONAL_ONLY
            )
            if last_positional_only:
                out.append("/")
        if returns is None:
            ret = sig.return_annotation
            returns = self.any() if ret is sig.empty else self.type(ret, globalns, subst)
        asynchronous = "async " if inspect.iscoroutinefunction(target) else ""
        head = f"{asynchronous}def {name}({', '.join(out)}) -> {returns}:"
        text = inspect.getdoc(fn) if doc else None
        if not text:
            return f"{head} ..."
        body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        if "\n" not in body:
            return f'{head}\n        """{body}"""'
        body = "\n".join(("        " + line) if line else "" for line in body.splitlines()).lstrip()
        return f'{head}\n        """{body}\n        """'


def _overloads(fn: Callable[..., Any]) -> list[Callable[..., Any]]:
    try:
        return list(typing.get_overloads(inspect.unwrap(fn)))
    except Exception:  # pragma: no cover - not a function typing knows
        return []


def _is_builder_alias(t: Any) -> bool:
    origin = typing.get_origin(t)
    return isinstance(origin, type) and issubclass(origin, ResourceBuilderBase)


def _first_annotation(fn: Callable[..., Any]) -> Any:
    """The evaluated annotation of ``fn``'s first parameter (``None`` when it has none or it cannot be read)."""
    target = inspect.unwrap(fn)
    try:
        first = next(iter(inspect.signature(fn).parameters.values()))
    except (StopIteration, TypeError, ValueError):
        return None
    ann = first.annotation
    if ann is first.empty:
        return None
    if isinstance(ann, str):
        try:
            return eval(ann, dict(getattr(target, "__globals__", {})))
        except Exception:
            return None
    return ann


def _a_class(x: object) -> type | None:
    """``x`` when it is a class (``Any`` is not one here)."""
    if x is Any or not isinstance(x, type):
        return None
    return x


def _subclass(a: type | None, b: type | None) -> bool:
    if a is None or b is None:
        return False
    try:
        return issubclass(a, b)
    except TypeError:  # a protocol with data members
        return False


def _depth(t: type) -> int:
    return len(getattr(t, "__mro__", ()))


class _Loaded:
    def __init__(self, entry: PluginEntry, fn: Callable[..., Any]) -> None:
        self.entry, self.fn = entry, fn


def _load(renderer: StubRenderer, entries: list[PluginEntry]) -> list[_Loaded]:
    out: list[_Loaded] = []
    for entry in entries:
        try:
            fn = entry.load()
        except PluginLoadError as exc:
            renderer.note(f"left out: {exc}")
            continue
        if not callable(fn):
            renderer.note(f"left out: {entry.value} ({entry.distribution}) is not a function")
            continue
        out.append(_Loaded(entry, fn))
    return out


def _builder_method(renderer: StubRenderer, name: str, loaded: _Loaded) -> list[str]:
    fns = _overloads(loaded.fn) or [loaded.fn]
    try:
        defs = [renderer.signature(f, name, self_annotation=None) for f in fns]
    except (TypeError, ValueError) as exc:
        renderer.note(f"its signature cannot be read ({exc}): typed as (*args: Any, **kwargs: Any) -> Any")
        anything = renderer.typing_name("Any")
        return [f"def {name}(self, *args: {anything}, **kwargs: {anything}) -> {anything}: ..."]
    if len(defs) == 1:
        return defs
    return [f"@{renderer.typing_name('overload')}\n    {d}" for d in defs]


def _resource_variants(renderer: StubRenderer, name: str, loaded: _Loaded) -> list[tuple[int, str]]:
    """(specificity, overload text) for each resource type the function declares."""
    try:
        applies_to = applies_to_all(loaded.fn)
    except TypeError as exc:
        renderer.note(f"left out: {loaded.entry.value} ({loaded.entry.distribution}): {exc}")
        return []
    if not applies_to:
        renderer.note(
            f"left out: {loaded.entry.value} ({loaded.entry.distribution}) does not declare the resource types it "
            "applies to (@aspyre.plugins.resource_extension)"
        )
        return []
    out: list[tuple[int, str]] = []
    for fn in _overloads(loaded.fn) or [loaded.fn]:
        first = _first_annotation(fn)
        args = typing.get_args(first) if _is_builder_alias(first) else ()
        declared = args[0] if len(args) == 1 else None
        ret = inspect.signature(fn).return_annotation
        ret_value = _first_annotation_like(fn, ret)
        for t in applies_to:
            resource = renderer.type(t)
            subst: dict[int, str] = {}
            returns: str | None = None
            if isinstance(declared, typing.TypeVar):
                subst[id(declared)] = resource
                if _is_builder_alias(ret_value) and typing.get_args(ret_value) == (declared,):
                    # It returns the builder it was given: the caller's builder type goes along the chain.
                    self_ann = returns = renderer.builder_typevar(resource)
                else:
                    self_ann = renderer.self_type(resource)
            elif _a_class(declared) is not None and isinstance(t, type):
                if _subclass(t, _a_class(declared)):
                    self_ann = renderer.self_type(resource)
                elif _subclass(_a_class(declared), t):
                    self_ann = renderer.self_type(renderer.type(declared))
                else:
                    renderer.note(f"{loaded.entry.value} applies to {t.__name__} but takes a builder of {declared!r}")
                    continue
            else:
                self_ann = renderer.self_type(resource)
            try:
                text = renderer.signature(fn, name, self_annotation=self_ann, subst=subst, returns=returns)
            except (TypeError, ValueError) as exc:
                renderer.note(f"left out: its signature cannot be read ({exc})")
                continue
            out.append((_depth(t), text))
    return out


def _first_annotation_like(fn: Callable[..., Any], ann: Any) -> Any:
    if isinstance(ann, str):
        try:
            return eval(ann, dict(getattr(inspect.unwrap(fn), "__globals__", {})))
        except Exception:
            return None
    return ann


def render_stub_module(reg: PluginRegistry, header: str) -> tuple[str, list[str]]:
    """The text of ``aspyre/_hosting/_typed_extensions.pyi`` for the plugins in ``reg``, and notes on what was left
    out or typed as ``Any``. Every entry is loaded (imported)."""
    from aspyre._hosting._builder import DistributedApplicationBuilder
    from aspyre._hosting._extensions import public_names

    builder_names = sorted({e.name for e in reg.entries(GROUP_BUILDER_METHODS)})
    resource_names = sorted({e.name for e in reg.entries(GROUP_RESOURCE_METHODS)})
    renderer = StubRenderer(reserved=[*builder_names, *resource_names])
    core_builder = set(public_names(DistributedApplicationBuilder))
    core_resource = set(public_names(ResourceBuilder))

    builder_methods: list[str] = []
    for name in builder_names:
        renderer._context = f"builder.{name}()"
        entries = reg.find(GROUP_BUILDER_METHODS, name)
        if name in core_builder:
            renderer.note("left out: a method of aspyre itself has that name (see 'aspyre plugins')")
            continue
        if len({normalize_distribution(e.distribution) for e in entries}) > 1:
            dists = ", ".join(sorted({e.distribution for e in entries}))
            renderer.note(f"left out: several distributions provide it ({dists}; see 'aspyre plugins')")
            continue
        found = _load(renderer, entries)
        if found:
            builder_methods.extend(_builder_method(renderer, name, found[0]))

    resource_methods: list[str] = []
    for name in resource_names:
        renderer._context = f"resource_builder.{name}()"
        if name in core_resource:
            renderer.note("left out: a method of aspyre itself has that name (see 'aspyre plugins')")
            continue
        variants: list[tuple[int, str]] = []
        for loaded in _load(renderer, reg.find(GROUP_RESOURCE_METHODS, name)):
            variants.extend(_resource_variants(renderer, name, loaded))
        texts: list[str] = []
        for _, text in sorted(variants, key=lambda v: -v[0]):
            if text not in texts:
                texts.append(text)
        if len(texts) == 1:
            resource_methods.append(texts[0])
        else:
            resource_methods.extend(f"@{renderer.typing_name('overload')}\n    {t}" for t in texts)
    renderer._context = ""

    generic = renderer.typing_name("Generic")
    renderer.typevar_lines.insert(
        0,
        f"R_co = {renderer.typing_name('TypeVar')}('R_co', bound={renderer.module('aspyre')}.IResource, covariant=True)",
    )
    lines = [header, ""]
    for module, alias in sorted(renderer.imports.items()):
        lines.append(f"import {module}" + (f" as {alias}" if alias != module else ""))
    lines += ["", *renderer.typevar_lines, "", ""]
    lines.append(f"class {BUILDER_CLASS}:")
    lines.append('    """The builder methods of the installed plugins (generated by \'aspyre stubs\')."""')
    lines += [""] + [_indent(m) for m in builder_methods]
    lines += ["", ""]
    lines.append(f"class {RESOURCE_CLASS}({generic}[R_co]):")
    lines.append('    """The resource-builder methods of the installed plugins (generated by \'aspyre stubs\')."""')
    lines += [""] + [_indent(m) for m in resource_methods]
    return "\n".join(lines).rstrip() + "\n", renderer.notes


def _indent(text: str) -> str:
    return "    " + text + "\n"
