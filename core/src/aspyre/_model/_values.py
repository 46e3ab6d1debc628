"""Deferred values: things that become a string in run mode and a placeholder in publish mode.

Three faces, as in Aspire:

* :class:`ValueProvider` - ``await value.get_value(context)`` gives the live string (run mode);
* :class:`ManifestExpressionProvider` - ``value.value_expression`` gives the manifest placeholder
  (``{api.bindings.http.url}``, ``{cache.connectionString}``, ``{api-key.value}``);
* :class:`ValueWithReferences` - ``value.references`` lists what the value depends on, so the
  dependency graph can be derived by walking values.

:class:`ReferenceExpression` composes literals and values; it is itself all three.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, runtime_checkable

import attrs

from aspyre._public import present_top_level as _present_top_level

from ._protocols import CachedProtocolMeta

if TYPE_CHECKING:
    from ._resources import IResource
    from ._value_context import ValueContext

__all__ = [
    "VALUE_KINDS",
    "KnownNetworks",
    "ManifestExpressionProvider",
    "ReferenceExpression",
    "ReferenceExpressionBuilder",
    "SupportsResource",
    "ValueProvider",
    "ValueWithReferences",
    "as_value",
    "has_references",
    "iter_references",
    "manifest_expression",
    "none_value_error",
    "references_of",
    "resolve_value",
]


#: What a value of an environment variable or an argument may be, in words.
VALUE_KINDS = (
    "a str, a number, a parameter, an endpoint reference, a ReferenceExpression or a resource with a connection "
    "string"
)


def none_value_error(resource: IResource, what: str, where: str) -> TypeError:
    """The one error for ``None`` given as the value of an environment variable or an argument.

    ``None`` is never a value, neither at a builder call nor from a callback: it is more often a
    function that forgot to ``return`` than a wish to leave the variable out, which an environment
    callback does with ``del context.environment[name]``.
    """
    return TypeError(
        f"Resource {resource.name!r}: {what} is None ({where}). Give it a value ({VALUE_KINDS}); to leave an "
        "environment variable out, do not set it (or delete it in an environment callback: "
        "del context.environment[name])."
    )


class KnownNetworks:
    """Identifiers of the networks an endpoint can be reached from."""

    #: Host processes (and the app host) reach endpoints on the loopback interface.
    LOCALHOST = "localhost"
    #: Containers reach each other on the session's container network by resource name.
    CONTAINER = "aspyre-container-network"


@runtime_checkable
class ValueProvider(Protocol, metaclass=CachedProtocolMeta):
    """A value that can be resolved to a string at run time."""

    async def get_value(self, context: ValueContext) -> str | None:
        """Return the live value for ``context`` (``None`` when the value is absent)."""
        ...


@runtime_checkable
class ManifestExpressionProvider(Protocol, metaclass=CachedProtocolMeta):
    """A value that has a placeholder in the deployment manifest."""

    @property
    def value_expression(self) -> str:
        """The manifest placeholder, e.g. ``{api.bindings.http.url}``."""
        ...


@runtime_checkable
class ValueWithReferences(Protocol, metaclass=CachedProtocolMeta):
    """A value that depends on resources or on other values."""

    @property
    def references(self) -> Sequence[object]:
        """The resources and values this value uses directly."""
        ...


@runtime_checkable
class SupportsResource(Protocol, metaclass=CachedProtocolMeta):
    """Anything that stands for a resource (a resource builder, for example)."""

    @property
    def resource(self) -> Any:
        """The resource."""
        ...


_CONNECTION_STRING_REFERENCE: list[Any] = []


def _connection_string_reference() -> Any:
    """``_connection_strings.ConnectionStringReference`` (it imports this module: looked up on first use, then kept; an
    import statement per value costs more than the rest of :func:`as_value`)."""
    if not _CONNECTION_STRING_REFERENCE:
        from ._connection_strings import ConnectionStringReference

        _CONNECTION_STRING_REFERENCE.append(ConnectionStringReference)
    return _CONNECTION_STRING_REFERENCE[0]


def as_value(obj: object) -> object:
    """Normalise something a user may pass where a value is expected.

    Strings stay strings; ``int``/``float``/``bool`` become strings; a resource builder stands
    for its resource; a resource with a connection string stands for a reference to that
    connection string; parameters and other value providers stand for themselves.
    """
    if type(obj) is str:
        return obj
    kind = _value_kinds.get(type(obj))
    if kind is None:
        kind = _classify(obj, _value_kinds, unwrap=True)
    if kind is _UNWRAP:
        obj = obj.resource  # type: ignore[attr-defined]
        kind = _resource_kinds.get(type(obj))
        if kind is None:
            kind = _classify(obj, _resource_kinds, unwrap=False)
    if kind is _ITSELF:
        return obj
    if kind is _CONNECTION:
        # Also a connection-string parameter: its manifest placeholder is ``{name.connectionString}``.
        reference = _connection_string_reference()
        return reference(obj)
    if kind is _BOOL:
        return "true" if obj else "false"
    if kind is _NUMBER:
        return str(obj)
    raise TypeError(
        f"{type(obj).__name__} cannot be used as a value: pass a str, a number, a parameter, an "
        "endpoint reference, a ReferenceExpression or a resource with a connection string"
    )


# What ``as_value`` does with an object, by its type (every question it asks has an answer per type; the
# capability protocols' answers are cached per type too): the object itself, a bool or a number as text, its
# ``resource`` instead (a resource builder), a reference to its connection string, or an error.
_ITSELF, _BOOL, _NUMBER, _UNWRAP, _CONNECTION, _INVALID = "itself", "bool", "number", "unwrap", "connection", "invalid"
_value_kinds: dict[type, str] = {}
_resource_kinds: dict[type, str] = {}  # after unwrapping: no second unwrapping


def _classify(obj: object, cache: dict[type, str], *, unwrap: bool) -> str:
    from ._resources import IResourceWithConnectionString, ParameterResource

    kind = _INVALID
    if unwrap and isinstance(obj, str):
        kind = _ITSELF
    elif unwrap and isinstance(obj, bool):
        kind = _BOOL
    elif unwrap and isinstance(obj, (int, float)):
        kind = _NUMBER
    elif unwrap and getattr(type(obj), "__aspyre_resource_builder__", False):
        # A resource builder (checked on the type: its instances answer unknown attributes).
        kind = _UNWRAP
    elif unwrap and not isinstance(obj, (ValueProvider, ManifestExpressionProvider)) and isinstance(obj, SupportsResource):
        kind = _UNWRAP
    elif isinstance(obj, IResourceWithConnectionString):
        kind = _CONNECTION
    elif isinstance(obj, ParameterResource) or (
        isinstance(obj, ValueProvider) and isinstance(obj, ManifestExpressionProvider)
    ):
        kind = _ITSELF
    if obj.__class__ is type(obj):  # not a proxy that claims another class: the answer holds for its type
        cache[type(obj)] = kind
    return kind


async def resolve_value(value: object, context: ValueContext) -> str | None:
    """Resolve ``value`` (a str or a value provider) to its live string."""
    if value is None or isinstance(value, str):
        return value
    value = as_value(value)
    if isinstance(value, str):
        return value
    assert isinstance(value, ValueProvider)
    return await value.get_value(context)


def manifest_expression(value: object) -> str:
    """The manifest form of ``value``: literals as they are, providers as their placeholder."""
    value = as_value(value)
    if isinstance(value, str):
        return value
    assert isinstance(value, ManifestExpressionProvider)
    return value.value_expression


def iter_references(value: object) -> Iterator[object]:
    """Every object ``value`` refers to, recursively (depth first, each object once)."""
    return iter(references_of(value))


#: Whether instances of a type are values with references (the protocol's answer, per type).
_with_references: dict[type, bool] = {str: False}


def has_references(v: object) -> bool:
    """Whether ``v`` is a :class:`ValueWithReferences` (answered once per type, as the protocol would)."""
    answer = _with_references.get(type(v))
    if answer is None:
        answer = isinstance(v, ValueWithReferences)
        if v.__class__ is type(v):
            _with_references[type(v)] = answer
    return answer


def references_of(value: object) -> list[object]:
    """:func:`iter_references` as a list: every object ``value`` refers to, depth first, each once."""
    if not has_references(value):
        return []
    first = value.references  # type: ignore[attr-defined]
    if not first:  # a parameter, say
        return []
    known = _with_references
    if type(first) is tuple and len(first) == 1 and known.get(type(first[0])) is False:
        return [first[0]]  # one object that refers to nothing (an endpoint's resource, say): the whole answer
    out: list[object] = []
    seen: set[int] = set()
    # Iterative (no recursive closure: each call would leave a reference cycle for the collector to find, and
    # the builder and ``build()`` call this for every value).
    stack: list[Iterator[Any]] = [iter(first)]
    while stack:
        for ref in stack[-1]:
            if id(ref) in seen:
                continue
            seen.add(id(ref))
            out.append(ref)
            answer = known.get(type(ref))
            if answer is None:
                answer = has_references(ref)
            if answer:
                stack.append(iter(ref.references))
                break  # its references first; then on with this iterator where it stopped
        else:
            stack.pop()
    return out


@functools.lru_cache(maxsize=512)
def _parse_template(template: str) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
    """``string.Formatter().parse(template)``, remembered (an app uses a few templates, many times each).

    ``string`` is imported here, on the first template: a builder of containers and databases may never format one.
    """
    import string

    return tuple(string.Formatter().parse(template))


@functools.lru_cache(maxsize=512)
def _template_plan(template: str) -> tuple[tuple[str, int | str | None, str | None, str | None], ...]:
    """What :meth:`ReferenceExpression.format` does for each piece of ``template``: ``(literal, index, format spec,
    error)``, with ``index`` the positional index or keyword of the value (``None``: a literal only) and ``error``
    the message of the :class:`ValueError` the piece raises (conversions, mixed numbering, bad field names), raised
    where the template reaches it, after the values before it were looked up."""
    plan: list[tuple[str, int | str | None, str | None, str | None]] = []
    auto = 0
    used_auto = used_manual = False
    for literal, field_name, spec, conversion in _parse_template(template):
        if field_name is None:
            plan.append((literal, None, None, None))
            continue
        index: int | str = field_name
        error: str | None = None
        if conversion:
            error = f"conversion '!{conversion}' is not supported in a ReferenceExpression template"
        elif field_name == "":
            if used_manual:
                error = "cannot switch from manual field numbering to automatic field numbering"
            used_auto = True
            index = auto
            auto += 1
        elif field_name.isdigit():
            if used_auto:
                error = "cannot switch from automatic field numbering to manual field numbering"
            used_manual = True
            try:
                index = int(field_name)
            except ValueError as exc:  # a digit ``int`` does not read (``'²'``)
                error = str(exc)
        elif not field_name.isidentifier():
            error = f"unsupported field {field_name!r} in ReferenceExpression template"
        plan.append((literal, index, spec or None, error))
        if error is not None:
            break  # raised here: nothing after it is reached
    return tuple(plan)


def _uri_encode(text: str) -> str:
    # RFC 3986 unreserved characters stay, everything else is percent-encoded as UTF-8
    # (what .NET's Uri.EscapeDataString does). urllib.parse (and the ipaddress it imports) loads on first use.
    from urllib.parse import quote

    return quote(text, safe="")


#: The format specs a slot may carry, lower-case (Aspire supports only ``uri``; case-insensitive).
_FORMATS = {"uri": _uri_encode}


def _normalise_format(format: str | None) -> str | None:
    if format is None or format == "":
        return None
    key = format.lower()
    if key not in _FORMATS:
        raise ValueError(
            f"The format {format!r} is not supported in a ReferenceExpression. Supported formats are "
            "'uri' (encodes a URI component)."
        )
    return key


class _Slot:
    """A deferred value of a :class:`ReferenceExpression` and its format spec: immutable, equal by value (a plain
    slotted class with attrs' repr, equality and hash: one class less for attrs to build on the builder path)."""

    __slots__ = ("format", "value")

    value: object
    format: str | None

    def __init__(self, value: object, format: str | None = None) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "format", format)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> NoReturn:
        raise attrs.exceptions.FrozenInstanceError

    def __repr__(self) -> str:
        return f"_Slot(value={self.value!r}, format={self.format!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not _Slot:
            return NotImplemented
        assert isinstance(other, _Slot)
        return (self.value, self.format) == (other.value, other.format)

    def __hash__(self) -> int:
        return hash((_Slot, self.value, self.format))

    def __reduce__(self) -> tuple[type[_Slot], tuple[object, str | None]]:
        return (_Slot, (self.value, self.format))


@attrs.frozen(eq=False)
class ReferenceExpression:
    """A string made of literals and deferred values.

    Build one with :meth:`format` (``str.format`` syntax: positional ``{}``/``{0}`` and keyword
    ``{name}`` slots, ``{{``/``}}`` for literal braces, and the ``:uri`` format spec to
    percent-encode a slot) or with :class:`ReferenceExpressionBuilder`::

        url = ReferenceExpression.format("{}/health", api.get_endpoint("http"))
        dsn = ReferenceExpression.format("redis://:{pw:uri}@{hp}", pw=password, hp=ep.property(HOST_AND_PORT))

    In run mode ``await expr.get_value(ctx)`` fills every slot with its live value; in publish
    mode ``expr.value_expression`` fills them with manifest placeholders. Plain strings and
    numbers passed as slot values become literals.
    """

    parts: tuple[str | _Slot, ...]

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def format(cls, template: str, /, *args: object, **kwargs: object) -> ReferenceExpression:
        """Make an expression from a ``str.format``-style template."""
        parts: list[str | _Slot] = []  # what ReferenceExpressionBuilder's appends would make, without one
        for literal, index, spec, error in _template_plan(template):
            if literal:
                if parts and isinstance(parts[-1], str):
                    parts[-1] = parts[-1] + literal
                else:
                    parts.append(literal)
            if index is None:
                continue
            if error is not None:
                raise ValueError(error)
            try:
                value = args[index] if type(index) is int else kwargs[index]  # type: ignore[index]
            except IndexError:
                raise IndexError(
                    f"ReferenceExpression template {template!r} needs positional value #{index}, "
                    f"but {len(args)} were given"
                ) from None
            except KeyError:
                raise KeyError(f"ReferenceExpression template {template!r} needs a value for {index!r}") from None
            fmt = _normalise_format(spec)
            normalised = value if type(value) is str else as_value(value)
            if isinstance(normalised, str):
                text = _FORMATS[fmt](normalised) if fmt else normalised
                if text:
                    if parts and isinstance(parts[-1], str):
                        parts[-1] = parts[-1] + text
                    else:
                        parts.append(text)
            else:
                parts.append(_Slot(normalised, fmt))
        return cls(tuple(parts))

    @classmethod
    def empty(cls) -> ReferenceExpression:
        """An expression with nothing in it."""
        return cls(())

    # -- inspection ---------------------------------------------------------------------------
    @property
    def value_providers(self) -> tuple[object, ...]:
        """The values in the slots, in order."""
        return tuple([p.value for p in self.parts if isinstance(p, _Slot)])  # a list first: no generator to run

    @property
    def string_formats(self) -> tuple[str | None, ...]:
        """The format spec of each slot (``None`` or ``"uri"``)."""
        return tuple(p.format for p in self.parts if isinstance(p, _Slot))

    @property
    def format_string(self) -> str:
        """Aspire's ``Format``: numbered slots (``{0}``, ``{1}``...) and escaped braces.

        Format specs are not part of it; they are in :attr:`string_formats`.
        """
        out: list[str] = []
        i = 0
        for p in self.parts:
            if isinstance(p, str):
                out.append(p.replace("{", "{{").replace("}", "}}"))
            else:
                out.append(f"{{{i}}}")
                i += 1
        return "".join(out)

    @property
    def manifest_expressions(self) -> tuple[str, ...]:
        """The manifest placeholder of each slot, in order."""
        return tuple(manifest_expression(p.value) for p in self.parts if isinstance(p, _Slot))

    @property
    def is_empty(self) -> bool:
        """Whether the expression has neither literals nor slots (its value is ``None``)."""
        return not self.parts

    @property
    def references(self) -> Sequence[object]:
        """The values in the slots (walk them with :func:`iter_references`)."""
        return self.value_providers

    @property
    def value_expression(self) -> str:
        """The manifest form: literals as they are, each slot as its placeholder (format specs are not applied)."""
        out: list[str] = []
        for p in self.parts:
            if isinstance(p, str):
                out.append(p)
            else:
                out.append(manifest_expression(p.value))
        return "".join(out)

    async def get_value(self, context: ValueContext) -> str | None:
        """The live value: literals as they are, each slot resolved (and percent-encoded for ``:uri``).

        ``None`` for an empty expression; a slot that resolves to ``None`` contributes nothing.
        """
        if not self.parts:
            return None
        out: list[str] = []
        for p in self.parts:
            if isinstance(p, str):
                out.append(p)
                continue
            resolved = await resolve_value(p.value, context)
            text = "" if resolved is None else resolved
            if p.format:
                text = _FORMATS[p.format](text)
            out.append(text)
        return "".join(out)

    def __str__(self) -> str:
        return self.value_expression

    def __repr__(self) -> str:
        return f"ReferenceExpression({self.value_expression!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReferenceExpression):
            return NotImplemented
        if len(self.parts) != len(other.parts):
            return False
        for a, b in zip(self.parts, other.parts, strict=True):
            if isinstance(a, str) or isinstance(b, str):
                if a != b:
                    return False
            elif a.format != b.format or not _same_value(a.value, b.value):
                return False
        return True

    def __hash__(self) -> int:
        return hash(self.value_expression)


def _same_value(a: object, b: object) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:  # pragma: no cover - defensive
        return False


class ReferenceExpressionBuilder:
    """Build a :class:`ReferenceExpression` piece by piece::

    b = ReferenceExpressionBuilder()
    b.append_literal("Host=").append_formatted(ep.property(EndpointProperty.HOST))
    expr = b.build()
    """

    def __init__(self) -> None:
        self._parts: list[str | _Slot] = []

    @property
    def is_empty(self) -> bool:
        """Whether nothing was appended yet."""
        return not self._parts

    def append_literal(self, text: str) -> ReferenceExpressionBuilder:
        """Append literal text."""
        if not isinstance(text, str):
            raise TypeError(f"append_literal takes a str, not {type(text).__name__}")
        if text:
            if self._parts and isinstance(self._parts[-1], str):
                self._parts[-1] = self._parts[-1] + text
            else:
                self._parts.append(text)
        return self

    def append_formatted(self, value: object, format: str | None = None) -> ReferenceExpressionBuilder:
        """Append a value; strings and numbers become literals, a nested expression is kept whole.

        ``format="uri"`` percent-encodes the value (a literal right away, a deferred value when it
        is resolved); the manifest placeholder is written as it is.
        """
        format = _normalise_format(format)
        normalised = as_value(value)
        if isinstance(normalised, str):
            return self.append_literal(_FORMATS[format](normalised) if format else normalised)
        self._parts.append(_Slot(normalised, format))
        return self

    def append_value_provider(self, value: object, format: str | None = None) -> ReferenceExpressionBuilder:
        """Alias of :meth:`append_formatted`, for readers coming from Aspire."""
        return self.append_formatted(value, format)

    def extend(self, values: Iterable[object]) -> ReferenceExpressionBuilder:
        """Append each of ``values`` with :meth:`append_formatted`."""
        for v in values:
            self.append_formatted(v)
        return self

    def build(self) -> ReferenceExpression:
        """The expression built so far."""
        return ReferenceExpression(tuple(self._parts))


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
