"""Computing a resource's environment and arguments from its annotations (still as deferred values)."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from aspyre._public import present as _present

from ._annotations import (
    CommandLineArgsAnnotation,
    CommandLineArgsCallbackAnnotation,
    EnvironmentAnnotation,
    EnvironmentCallbackAnnotation,
)
from ._callback_contexts import CommandLineArgsCallbackContext, EnvironmentCallbackContext
from ._connection_strings import ConnectionStringReference
from ._dependencies import (
    ConnectionPropertyAnnotation,
    ReferenceAnnotation,
    ReferenceEnvironmentAnnotation,
    ReferenceEnvironmentFlags,
)
from ._endpoints import EndpointAnnotation, EndpointProperty, EndpointReference
from ._names import name_key
from ._python import PythonAppResource
from ._resources import (
    IResource,
    IResourceWithConnectionString,
    IResourceWithEndpoints,
    IResourceWithServiceDiscovery,
    ParameterResource,
)
from ._values import VALUE_KINDS, none_value_error, references_of

__all__ = [
    "VALUE_KINDS",
    "arguments_without_callbacks",
    "compute_arguments",
    "compute_environment",
    "encode_env_name",
    "environment_without_callbacks",
    "find_referrers",
    "is_secret_value",
    "none_value_error",
    "reference_variables",
]

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_ASCII_ALNUM = re.compile(r"[^A-Za-z0-9]")
#: The default flags: every test against them is true (``Flag.__and__`` is slow enough to show at 10,000 resources).
_ALL = ReferenceEnvironmentFlags.ALL


def encode_env_name(name: str) -> str:
    """Aspire's environment-variable name encoding.

    A name that already is a plain identifier (``[A-Za-z_][A-Za-z0-9_]*``) stays as it is;
    otherwise every character that is not an ASCII letter or digit becomes ``_``, and a
    leading ASCII digit gets a ``_`` in front: ``my-api`` -> ``my_api``, ``1db`` -> ``_1db``.
    """
    return _encoded(name) if type(name) is str else _encode(name)


def _encode(name: str) -> str:
    if not name or _PLAIN_NAME.fullmatch(name):
        return name
    out = _NOT_ASCII_ALNUM.sub("_", name)  # each character that is not an ASCII letter or digit
    return "_" + out if "0" <= name[0] <= "9" else out


#: :func:`encode_env_name` of the names met lately (a resource's name is encoded for each resource referring to it).
_encoded = functools.lru_cache(maxsize=4096)(_encode)


def is_secret_value(value: object) -> bool:
    """Whether ``value`` is, or is made from, a secret parameter.

    A resource's connection string (a :class:`ConnectionStringReference`) counts as made from what its
    expression uses, however deep (``ConnectionStrings__appdb`` holds the server's password); one that
    cannot be inspected counts as secret.
    """
    # Every object looked at stays referenced here until the walk ends: connection string expressions are made
    # afresh on each access, and an id seen earlier could otherwise be reused by the next one (skipping it).
    seen: dict[int, object] = {}
    todo = [value]
    while todo:
        v = todo.pop()
        if id(v) in seen:
            continue
        seen[id(v)] = v
        if isinstance(v, ParameterResource):
            if v.secret:
                return True
            continue
        if isinstance(v, ConnectionStringReference):
            try:
                todo.append(v.resource.connection_string_expression)
            except Exception:  # a custom resource whose expression fails: mask rather than risk it
                return True
        todo.extend(references_of(v))
    return False


#: Whether a resource type has a connection string (a protocol's ``isinstance`` is Python code: asked once per type).
_CONNECTION_STRINGS: dict[type, bool] = {}


def _connection_variables(
    annotation: ReferenceAnnotation, flags: ReferenceEnvironmentFlags
) -> list[tuple[str, object]]:
    source = annotation.source
    if not annotation.use_connection_string:
        return []
    has_connection_string = _CONNECTION_STRINGS.get(type(source))
    if has_connection_string is None:
        has_connection_string = isinstance(source, IResourceWithConnectionString)
        if source.__class__ is type(source):  # not a proxy that claims another class: the answer holds for its type
            _CONNECTION_STRINGS[type(source)] = has_connection_string
    if not has_connection_string:
        return []
    source = cast(IResourceWithConnectionString, source)
    out: list[tuple[str, object]] = []
    name = source.name if annotation.connection_name is None else annotation.connection_name
    if flags is _ALL or flags & ReferenceEnvironmentFlags.CONNECTION_STRING:
        var = getattr(source, "environment_variable", None) or f"ConnectionStrings__{name}"
        out.append((var, ConnectionStringReference(source, annotation.optional)))
    if flags is _ALL or flags & ReferenceEnvironmentFlags.CONNECTION_PROPERTIES:
        properties = source.connection_properties()
        extras = source.annotations._view(ConnectionPropertyAnnotation)
        if properties or extras:  # the prefix only when there is something to name with it
            prefix = f"{encode_env_name(name).upper()}_" if name else ""
            for prop, value in properties:
                out.append((f"{prefix}{prop.upper()}", value))
            for extra in extras:
                out.append((f"{prefix}{extra.name.upper()}", extra.value))
    return out


def _discoverable(annotation: ReferenceAnnotation) -> bool:
    source = annotation.source
    if not annotation.use_service_discovery:
        return False
    if annotation.endpoint_name is not None:
        return isinstance(source, IResourceWithEndpoints)
    return isinstance(source, IResourceWithServiceDiscovery)


def _group_key(annotation: ReferenceAnnotation) -> tuple[int, str | None]:
    return id(annotation.source), annotation.service_name


def _endpoint_variables(
    group: list[ReferenceAnnotation], flags: ReferenceEnvironmentFlags, existing: Mapping[str, object]
) -> list[tuple[str, object]]:
    """Service-discovery variables for every reference to one source under one service name.

    As in Aspire, references to the same source are merged: the endpoints taken are all of them
    if one reference was to the whole resource, else the union of the referenced ones, in the
    order the source declares them. ``services__`` indexes count per scheme from 0 and skip
    keys that are already set.
    """
    first = group[0]
    source = first.source
    use_all = any(a.endpoint_name is None for a in group)
    wanted = {name_key(a.endpoint_name) for a in group if a.endpoint_name is not None}
    service_name = source.name if first.service_name is None else first.service_name
    service_key = source.name.upper() if first.service_name is None else first.service_name
    taken = set(existing)
    out: list[tuple[str, object]] = []
    next_index: dict[str, int] = {}
    for ep in source.annotations.all(EndpointAnnotation):
        if not use_all and name_key(ep.name) not in wanted:
            continue
        ref = EndpointReference(source, ep.name)
        if flags is _ALL or flags & ReferenceEnvironmentFlags.ENDPOINTS:
            var = f"{encode_env_name(service_key)}_{encode_env_name(ep.name).upper()}"
            out.append((var, ref))
            taken.add(var)
        if flags is _ALL or flags & ReferenceEnvironmentFlags.SERVICE_DISCOVERY:
            scheme_key = ep.scheme.lower()
            index = next_index.get(scheme_key, 0)
            key = f"services__{service_name}__{ep.scheme}__{index}"
            while key in taken:
                index += 1
                key = f"services__{service_name}__{ep.scheme}__{index}"
            out.append((key, ref))
            taken.add(key)
            next_index[scheme_key] = index + 1
    return out


def reference_variables(
    annotation: ReferenceAnnotation, flags: ReferenceEnvironmentFlags = ReferenceEnvironmentFlags.ALL
) -> list[tuple[str, object]]:
    """The variables one ``with_reference`` injects on its own, as ``(name, value)`` pairs.

    * a source with a connection string: ``ConnectionStrings__{name}`` (or the source's
      ``environment_variable``) and ``{NAME}_{PROPERTY}`` for each connection property;
    * a source with service discovery, or one referenced endpoint: ``{NAME}_{ENDPOINT}`` and
      ``services__{name}__{scheme}__{i}`` for each endpoint.

    :func:`compute_environment` merges several references to the same source the way Aspire does.
    """
    out = _connection_variables(annotation, flags)
    if _discoverable(annotation):
        out.extend(_endpoint_variables([annotation], flags, {}))
    return out


async def _call(callback: Any, context: Any) -> None:
    result = callback(context)
    if inspect.isawaitable(result):
        await result


# What an annotation contributes to the environment, by its type: the kinds below it is an instance of, in the order
# they are tried (an endpoint contributes only with ``env=``).
_ENDPOINT, _VARIABLE, _REFERENCE, _CALLBACK = 0, 1, 2, 3
_ENVIRONMENT_CLASSES = (EndpointAnnotation, EnvironmentAnnotation, ReferenceAnnotation, EnvironmentCallbackAnnotation)
_ENVIRONMENT_KINDS: dict[type, tuple[int, ...]] = {}


def _environment_kinds(annotation: object) -> tuple[int, ...]:
    kinds = tuple(kind for kind, cls in enumerate(_ENVIRONMENT_CLASSES) if isinstance(annotation, cls))
    if annotation.__class__ is type(annotation):  # not a proxy that claims another class: the answer holds for its type
        _ENVIRONMENT_KINDS[type(annotation)] = kinds
    return kinds


async def compute_environment(
    resource: IResource, execution_context: Any = None, logger: Any = None
) -> dict[str, object]:
    """The resource's environment, from its annotations in order, with values still deferred.

    Endpoints with ``env=`` contribute their target port; ``with_reference`` contributes the
    reference variables; callbacks run here (sync or async). A variable a callback sets to ``None``
    raises :class:`TypeError` naming the resource and the variable (``None`` is not a value; delete
    the variable to leave it out).
    """
    env: dict[str, object] = {}
    items: list[Any] = list(resource.annotations)  # as they were when the computation started (callbacks may add some)
    flags, groups = _reference_groups(resource)
    stop = _fill_environment(resource, items, 0, env, flags, groups)
    while stop >= 0:  # a callback: it runs here, then the annotations after it
        await _call(items[stop].callback, EnvironmentCallbackContext(resource, env, execution_context, logger))
        stop = _fill_environment(resource, items, stop + 1, env, flags, groups)
    _check_environment(resource, env)
    return env


def environment_without_callbacks(resource: IResource, items: Sequence[object]) -> dict[str, object]:
    """:func:`compute_environment` of a resource whose annotations (``items``, the resource's own) have no
    environment callback: nothing to await (the manifest writer, for most resources)."""
    env: dict[str, object] = {}
    flags, groups = _reference_groups(resource)
    if _fill_environment(resource, items, 0, env, flags, groups) >= 0:
        raise RuntimeError(f"Resource {resource.name!r} has an environment callback: use compute_environment()")
    _check_environment(resource, env)
    return env


def _reference_groups(
    resource: IResource,
) -> tuple[ReferenceEnvironmentFlags, dict[tuple[int, str | None], list[ReferenceAnnotation]]]:
    """The reference variables to inject, and the service-discovery references by source and service name."""
    flags_ann = resource.annotations.last(ReferenceEnvironmentAnnotation)
    flags = ReferenceEnvironmentFlags.ALL if flags_ann is None else flags_ann.flags
    groups: dict[tuple[int, str | None], list[ReferenceAnnotation]] = {}
    for ref_ann in resource.annotations._view(ReferenceAnnotation):
        if ref_ann.use_service_discovery and _discoverable(ref_ann):
            groups.setdefault(_group_key(ref_ann), []).append(ref_ann)
    return flags, groups


def _fill_environment(
    resource: IResource,
    items: Sequence[object],
    start: int,
    env: dict[str, object],
    flags: ReferenceEnvironmentFlags,
    groups: dict[tuple[int, str | None], list[ReferenceAnnotation]],
) -> int:
    """Add what ``items[start:]`` contribute to ``env``, up to the first environment callback: its index (the caller
    runs it, then goes on after it), or -1 when there is none."""
    table = _ENVIRONMENT_KINDS
    ann: Any
    for i in range(start, len(items)):
        ann = items[i]
        kinds = table.get(type(ann))
        if kinds is None:
            kinds = _environment_kinds(ann)
        for kind in kinds:  # the first of these that applies (most annotations: none)
            if kind == _ENDPOINT:
                if not ann.env:
                    continue
                env[ann.env] = EndpointReference(resource, ann.name).property(EndpointProperty.TARGET_PORT)
            elif kind == _VARIABLE:
                env[ann.name] = ann.value
            elif kind == _REFERENCE:
                for k, v in _connection_variables(ann, flags):
                    env[k] = v
                group = groups.pop(_group_key(ann), None) if ann.use_service_discovery and _discoverable(ann) else None
                if group is not None:  # the first reference of its group emits the whole group
                    for k, v in _endpoint_variables(group, flags, env):
                        env[k] = v
            else:
                return i
            break
    return -1


def _check_environment(resource: IResource, env: dict[str, object]) -> None:
    for key, value in env.items():
        if value is None:
            raise none_value_error(resource, f"environment variable {key!r}", "set by an environment callback")


# What an annotation contributes to the arguments, by its type: literal arguments, a callback, or nothing.
_NO_ARGS, _ARGS, _ARGS_CALLBACK = 0, 1, 2
_ARGUMENT_KINDS: dict[type, int] = {}


def _argument_kind(annotation: object) -> int:
    if isinstance(annotation, CommandLineArgsAnnotation):
        kind = _ARGS
    elif isinstance(annotation, CommandLineArgsCallbackAnnotation):
        kind = _ARGS_CALLBACK
    else:
        kind = _NO_ARGS
    if annotation.__class__ is type(annotation):  # not a proxy that claims another class: the answer holds for its type
        _ARGUMENT_KINDS[type(annotation)] = kind
    return kind


async def compute_arguments(resource: IResource, execution_context: Any = None, logger: Any = None) -> list[object]:
    """The resource's arguments (after the command), values still deferred."""
    args: list[object] = []
    if isinstance(resource, PythonAppResource):
        args.extend(resource.entry_args())
    items: list[Any] = list(resource.annotations)  # as they were when the computation started (callbacks may add some)
    stop = _fill_arguments(items, 0, args)
    while stop >= 0:  # a callback: it runs here, then the annotations after it
        await _call(items[stop].callback, CommandLineArgsCallbackContext(resource, args, execution_context, logger))
        stop = _fill_arguments(items, stop + 1, args)
    _check_arguments(resource, args)
    return args


def arguments_without_callbacks(resource: IResource, items: Sequence[object]) -> list[object]:
    """:func:`compute_arguments` of a resource whose annotations (``items``, the resource's own) have no arguments
    callback: nothing to await (the manifest writer, for most resources)."""
    args: list[object] = []
    if isinstance(resource, PythonAppResource):
        args.extend(resource.entry_args())
    if _fill_arguments(items, 0, args) >= 0:
        raise RuntimeError(f"Resource {resource.name!r} has an arguments callback: use compute_arguments()")
    _check_arguments(resource, args)
    return args


def _fill_arguments(items: Sequence[object], start: int, args: list[object]) -> int:
    """Add the literal arguments of ``items[start:]`` to ``args``, up to the first arguments callback: its index (the
    caller runs it, then goes on after it), or -1 when there is none."""
    table = _ARGUMENT_KINDS
    ann: Any
    for i in range(start, len(items)):
        ann = items[i]
        kind = table.get(type(ann))
        if kind is None:
            kind = _argument_kind(ann)
        if kind == _ARGS:
            args.extend(ann.args)
        elif kind == _ARGS_CALLBACK:
            return i
    return -1


def _check_arguments(resource: IResource, args: list[object]) -> None:
    for i, value in enumerate(args, 1):
        if value is None:
            raise none_value_error(resource, f"argument {i}", "set by an arguments callback")


def _refers_to(value: object, target: object) -> bool:
    if value is target:
        return True
    return any(ref is target for ref in references_of(value))


async def find_referrers(
    resources: Iterable[IResource], target: object, execution_context: Any = None
) -> list[IResource]:
    """The resources whose environment, arguments, connection string or connection properties use ``target``.

    Environment and argument callbacks run (with ``execution_context``) to find out. Integrations use
    it to leave a generated parameter out of the manifest once nothing uses it any more.
    """
    out: list[IResource] = []
    for r in resources:
        if r is target:
            continue
        values: list[object] = list((await compute_environment(r, execution_context)).values())
        values.extend(await compute_arguments(r, execution_context))
        if isinstance(r, IResourceWithConnectionString):
            values.append(r.connection_string_expression)
            values.extend(v for _, v in r.connection_properties())
        if any(_refers_to(v, target) for v in values):
            out.append(r)
    return out


# aspyre.model imports these on first use (its _LAZY): they report it however they are reached.
_present(globals(), "aspyre.model", names=["compute_arguments", "compute_environment", "encode_env_name", "find_referrers", "reference_variables"])
