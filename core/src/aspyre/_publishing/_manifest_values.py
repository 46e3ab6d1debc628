"""The values of a manifest: their placeholders (``expression``) and the resources they refer to (``track``).

The writer (``_manifest_writer``) uses these for every environment variable, argument and connection string; a
resource a value refers to that is not in the model is written after the model, and a parameter used with a
format (``{pw:uri}``) gets an ``annotated.string`` entry.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from aspyre._model._names import name_key
from aspyre._model._resources import IResource, ParameterResource
from aspyre._model._values import (
    ReferenceExpression,
    _Slot,
    as_value,
    has_references,
)

__all__ = ["ManifestValues", "parameter_value"]


_SANITIZE = re.compile(r"[^0-9A-Za-z]+")


@functools.lru_cache(maxsize=64)
def _sanitize_format(fmt: str) -> str:
    out = _SANITIZE.sub("-", fmt).strip("-").lower()
    return out or "formatted"


def parameter_value(param: ParameterResource) -> str:
    return f"{{{param.name}.value}}"


def _single_parameter(expr: ReferenceExpression) -> ParameterResource | None:
    """The parameter when ``expr`` is exactly one parameter slot and nothing else."""
    if len(expr.parts) == 1 and not isinstance(expr.parts[0], str):
        value = expr.parts[0].value
        if isinstance(value, ParameterResource):
            return value
    return None


# What ``track`` does with a value, by its type (flags): note it (a resource), walk its references, register the
# formatted slots of a ReferenceExpression.
_RESOURCE, _REFERENCES, _EXPRESSION = 1, 2, 4
_TRACK_KINDS: dict[type, int] = {str: 0}


def _track_kind(value: object) -> int:
    kind = _EXPRESSION if isinstance(value, ReferenceExpression) else 0
    if isinstance(value, IResource):
        kind |= _RESOURCE
    elif has_references(value):
        kind |= _REFERENCES
    if value.__class__ is type(value):  # not a proxy that claims another class: the answer holds for its type
        _TRACK_KINDS[type(value)] = kind
    return kind

# What ``expression`` does with a value, by its type: a literal as it is, a provider's placeholder, the parts of a
# ReferenceExpression; other types (numbers, resource builders, resources with a connection string...) are normalised
# with ``as_value`` first.
_TEXT, _PROVIDER, _COMPOSED, _NORMALISE = 1, 2, 3, 4
_EXPRESSION_KINDS: dict[type, int] = {str: _TEXT}


def _expression_kind(value: object) -> int:
    normalised = as_value(value)
    if normalised is not value or isinstance(value, (bool, int, float)):
        kind = _NORMALISE
    elif isinstance(value, str):
        kind = _TEXT
    elif isinstance(value, ReferenceExpression):
        kind = _COMPOSED
    else:
        kind = _PROVIDER  # ``as_value`` lets through only strings and manifest expression providers
    if value.__class__ is type(value):  # not a proxy that claims another class: the answer holds for its type
        _EXPRESSION_KINDS[type(value)] = kind
    return kind


class ManifestValues:
    """What the manifest writer does with values; the writer sets the state these read and fill."""

    #: Resource name keys taken (the model's, the referenced ones', the formatted entries').
    _names: set[str]
    #: The ids of the model's resources (the model keeps them, and their ids, alive).
    _model_ids: set[int]
    #: Resources referenced by values, by name key, in the order they were first met.
    _referenced: dict[str, IResource]
    #: id(parameter) -> (parameter, {format: entry name}), in registration order.
    _formatted: dict[int, tuple[ParameterResource, dict[str, str]]]
    #: id(value) -> (value, its placeholder), for values met before (the value is kept so that its id stays its own).
    _placeholders: dict[int, tuple[object, str]]


    def _environment(self, resource: IResource, raw: dict[str, object]) -> dict[str, str]:
        """The manifest form of a computed environment (``compute_environment``), its values tracked."""
        out: dict[str, str] = {}
        placeholders = self._placeholders
        for key, value in raw.items():
            if type(value) is str:
                out[key] = value  # a literal: itself, refers to nothing (what expression and track make of it)
                continue
            known = placeholders.get(id(value))
            if known is not None and known[0] is value:
                out[key] = known[1]  # written (and tracked) before: a parameter, an endpoint used by many
                continue
            composed = type(value) is ReferenceExpression
            try:
                out[key] = text = self.composed(value) if composed else self.expression(value)  # type: ignore[arg-type]
            except TypeError as exc:
                exc.add_note(f"(environment variable {key!r} of resource {resource.name!r})")
                raise
            if not composed:
                self.track(value)
            placeholders[id(value)] = (value, text)
        return out

    def expression(self, value: object) -> str:
        """The manifest form of ``value``: literals as they are, deferred values as placeholders."""
        kind = _EXPRESSION_KINDS.get(type(value))
        if kind is None:
            kind = _expression_kind(value)
        if kind == _TEXT:
            return value  # type: ignore[return-value]
        if kind == _PROVIDER:
            return value.value_expression  # type: ignore[attr-defined, no-any-return]
        if kind == _COMPOSED:
            out: list[str] = []
            for part in value.parts:  # type: ignore[attr-defined]
                if type(part) is str or isinstance(part, str):
                    out.append(part)
                    continue
                if part.format:
                    formatted = self._formatted_name(part.value, part.format)
                    if formatted is not None:
                        out.append(f"{{{formatted}.value}}")
                        continue
                out.append(self.expression(part.value))
            return "".join(out)
        return self.expression(as_value(value))  # normalised first (a number, a resource builder...)

    def composed(self, expr: ReferenceExpression) -> str:
        """``track(expr)`` then ``expression(expr)``: the placeholder text of a composed value, the resources it refers
        to noted.

        One pass over its parts when each slot holds a resource or a value of one resource (a parameter, an endpoint
        or one of its properties, a connection string: what most expressions are made of): the formats are
        registered in slot order, then the resources noted in slot order, as ``track`` does.
        """
        if type(expr) is ReferenceExpression:
            kinds = _TRACK_KINDS
            out: list[str] = []
            targets: list[object] = []
            for part in expr.parts:
                if type(part) is str:
                    out.append(part)
                    continue
                if type(part) is not _Slot:
                    break
                value = part.value
                kind = kinds.get(type(value))
                if kind == _RESOURCE:
                    targets.append(value)
                elif kind == _REFERENCES:
                    inner = value.references  # type: ignore[attr-defined]
                    if not (type(inner) is tuple and len(inner) == 1 and kinds.get(type(inner[0])) == _RESOURCE):
                        break
                    targets.append(inner[0])
                else:
                    break  # a nested expression, a value met for the first time...: the general way
                if part.format:
                    formatted = self._formatted_name(value, part.format)
                    if formatted is not None:
                        out.append(f"{{{formatted}.value}}")
                        continue
                out.append(self.expression(value))
            else:
                model_ids = self._model_ids
                for target in targets:
                    if id(target) not in model_ids:
                        self._note(target)  # type: ignore[arg-type]
                return "".join(out)
        self.track(expr)  # the formats registered above are registered again in the same order: nothing changes
        return self.expression(expr)

    def track(self, value: object) -> None:
        """Note the resources ``value`` refers to (written later if they are not in the model)."""
        if type(value) is str:
            return  # refers to nothing
        kinds = _TRACK_KINDS
        kind = kinds.get(type(value))
        if kind is None:
            kind = _track_kind(value)
        if kind & _EXPRESSION:
            self._formatted_parts(value)  # type: ignore[arg-type]
        if kind & _RESOURCE:
            if id(value) not in self._model_ids:
                self._note(value)  # type: ignore[arg-type]
            return
        if not kind & _REFERENCES:
            return
        deps = value.references  # type: ignore[attr-defined]
        if type(deps) is tuple and len(deps) == 1 and kinds.get(type(deps[0])) == _RESOURCE:
            if id(deps[0]) not in self._model_ids:  # most values (an endpoint, a connection string): their resource
                self._note(deps[0])
            return
        if self._flat(deps):  # their resources, noted
            return
        # Depth first, in order (what is noted first is written first), iteratively: a recursive closure would
        # leave a reference cycle per call for the collector. ``active``: the values on the current path.
        model_ids = self._model_ids
        active = {id(value)}
        dep: Any
        stack: list[tuple[object, Iterator[Any]]] = [(value, iter(deps))]
        while stack:
            parent, deps = stack[-1]
            for dep in deps:
                if id(dep) in active:
                    continue
                kind = kinds.get(type(dep))
                if kind is None:
                    kind = _track_kind(dep)
                if kind & _EXPRESSION:
                    self._formatted_parts(dep)
                if kind & _RESOURCE:
                    if id(dep) not in model_ids:  # the model's own resources are written anyway
                        self._note(dep)
                elif kind & _REFERENCES:
                    inner = dep.references
                    if type(inner) is tuple and len(inner) == 1 and kinds.get(type(inner[0])) == _RESOURCE:
                        if id(inner[0]) not in model_ids:  # one resource (an endpoint's): noted, without going down
                            self._note(inner[0])
                        continue
                    if self._resources_only(inner):  # noted where the walk would note them, without going down
                        continue
                    active.add(id(dep))
                    stack.append((dep, iter(inner)))
                    break
            else:
                active.discard(id(parent))
                stack.pop()

    def _flat(self, deps: object) -> bool:
        """When ``deps`` (a value's references) is a tuple of resources and of values that refer to one resource each
        (a composed connection string's slots: endpoint properties, parameters), note the resources not in the model,
        in order, and say so. Otherwise ``False``, having noted at most what the walk notes first (the same resources,
        in the same order: noting again does nothing), and the caller walks them."""
        if type(deps) is not tuple:
            return False
        kinds = _TRACK_KINDS
        model_ids = self._model_ids
        for dep in deps:
            kind = kinds.get(type(dep))
            if kind == _RESOURCE:
                target = dep
            elif kind == _REFERENCES:  # refers to something, and is neither a resource nor an expression
                inner = dep.references
                if not (type(inner) is tuple and len(inner) == 1 and kinds.get(type(inner[0])) == _RESOURCE):
                    return False
                target = inner[0]
            else:
                return False
            if id(target) not in model_ids:
                self._note(target)
        return True

    def _resources_only(self, deps: object) -> bool:
        """When ``deps`` (a value's references) is a tuple of resources only, note those not in the model and say
        so; otherwise note nothing (the caller walks them)."""
        if type(deps) is not tuple:
            return False
        kinds = _TRACK_KINDS
        for dep in deps:
            if kinds.get(type(dep)) != _RESOURCE:
                return False
        model_ids = self._model_ids
        for dep in deps:
            if id(dep) not in model_ids:
                self._note(dep)
        return True

    def _note(self, resource: IResource) -> None:
        key = name_key(resource.name)
        if key not in self._referenced:
            self._referenced[key] = resource
            self._names.add(key)

    def _formatted_parts(self, expression: ReferenceExpression) -> None:
        for part in expression.parts:
            if not isinstance(part, str) and part.format:
                self._formatted_name(part.value, part.format)

    def _formatted_name(self, provider: object, fmt: str) -> str | None:
        param: ParameterResource | None = None
        if isinstance(provider, ParameterResource):
            param = provider
        elif isinstance(provider, ReferenceExpression):
            param = _single_parameter(provider)
        if param is None:
            return None
        found = self._formatted.get(id(param))
        if found is None:
            found = self._formatted[id(param)] = (param, {})
        formats = found[1]
        name = formats.get(fmt)
        if name is None:
            base = f"{param.name}-{_sanitize_format(fmt)}-encoded"
            name, suffix = base, 1
            while name_key(name) in self._names:
                name = f"{base}-{suffix}"
                suffix += 1
            self._names.add(name_key(name))
            formats[fmt] = name
        return name
