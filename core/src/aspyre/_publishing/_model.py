"""The Aspire manifest as typed data, and its JSON form (cattrs).

Field order and omission follow Aspire's manifest writer, so the JSON aspyre writes reads like
the one ``dotnet run --publisher manifest`` writes: keys are never sorted, objects keep the
order Aspire uses (``type`` first, then ``connectionString``, ``image``...), maps keep model
order, optional fields are left out while they hold their default (``external`` only when true,
``secret`` only when true, ``lower``/``upper``... only when false, ``minLower``... only when
non-zero, ``port`` only when set).

::

    text = aspyre.publishing.manifest_to_json(manifest)        # 2-space indent, trailing newline
    again = aspyre.publishing.manifest_from_json(text)         # == manifest
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring_ascii
from typing import Any, TypeAlias

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .._model._resources import GenerateParameterDefault
from ._manifest_json import PLANS, NotPlain, dumps_indented, manifest_text

__all__ = [
    "MANIFEST_SCHEMA_URL",
    "Manifest",
    "ManifestAnnotatedString",
    "ManifestBindMount",
    "ManifestBinding",
    "ManifestBuild",
    "ManifestBuildSecret",
    "ManifestContainer",
    "ManifestExecutable",
    "ManifestGenerateDefault",
    "ManifestParameter",
    "ManifestParameterDefault",
    "ManifestParameterInput",
    "ManifestRawResource",
    "ManifestResource",
    "ManifestValue",
    "ManifestVolume",
    "manifest_converter",
    "manifest_from_json",
    "manifest_to_json",
]

#: The ``$schema`` written at the top of every manifest (Aspire's published manifest schema).
MANIFEST_SCHEMA_URL = "https://json.schemastore.org/aspire-8.0.json"


# --------------------------------------------------------------------------- pieces


@attrs.frozen
class ManifestBinding:
    """One endpoint of a resource (``bindings.<name>``)."""

    scheme: str
    protocol: str
    transport: str
    #: The port the resource is exposed on, only when set explicitly and different from ``target_port``.
    port: int | None = None
    #: The port the workload listens on.
    target_port: int | None = None
    #: Reachable from outside the deployment (written only when true).
    external: bool = False


@attrs.frozen(kw_only=True)
class ManifestVolume:
    """A volume; ``name`` is ``None`` (and not written, as in Aspire) for an anonymous one."""

    name: str | None = None
    target: str
    read_only: bool


@attrs.frozen
class ManifestBindMount:
    """A host directory mounted into a container; ``source`` is relative to the manifest."""

    source: str
    target: str
    read_only: bool


@attrs.frozen
class ManifestBuildSecret:
    """A build secret: ``type`` is ``env`` (with ``value``) or ``file`` (with ``source``)."""

    type: str
    value: str | None = None
    source: str | None = None


@attrs.frozen
class ManifestBuild:
    """How to build a container image from a Dockerfile (``container.v1``)."""

    context: str
    dockerfile: str
    stage: str | None = None
    build_only: bool = False
    args: dict[str, str | None] | None = None
    secrets: dict[str, ManifestBuildSecret] | None = None


@attrs.frozen
class ManifestGenerateDefault:
    """``default.generate``: the deployment tool generates a random value."""

    min_length: int
    lower: bool = True
    upper: bool = True
    numeric: bool = True
    special: bool = True
    min_lower: int = 0
    min_upper: int = 0
    min_numeric: int = 0
    min_special: int = 0

    _FIELDS = ("min_length", "lower", "upper", "numeric", "special", "min_lower", "min_upper", "min_numeric", "min_special")

    @classmethod
    def from_default(cls, default: GenerateParameterDefault) -> ManifestGenerateDefault:
        """The manifest form of a parameter's generated default."""
        return cls(**{f: getattr(default, f) for f in cls._FIELDS})

    def to_default(self) -> GenerateParameterDefault:
        """Back to the model's generator (a publisher that generates values itself uses it)."""
        return GenerateParameterDefault(**{f: getattr(self, f) for f in self._FIELDS})


@attrs.frozen
class ManifestParameterDefault:
    """A parameter's default: generated (``generate``) or a constant (``value``)."""

    generate: ManifestGenerateDefault | None = None
    value: str | None = None


@attrs.frozen
class ManifestParameterInput:
    """``inputs.value`` of a parameter: what the deployment tool prompts for or generates."""

    type: str = "string"
    secret: bool = False
    default: ManifestParameterDefault | None = None


# --------------------------------------------------------------------------- resources


@attrs.frozen(kw_only=True)
class ManifestContainer:
    """``container.v0`` (from an image) or ``container.v1`` (built from a Dockerfile: ``build``)."""

    type: str = "container.v0"
    connection_string: str | None = None
    build: ManifestBuild | None = None
    image: str | None = None
    entrypoint: str | None = None
    args: tuple[str, ...] | None = None
    bind_mounts: tuple[ManifestBindMount, ...] | None = None
    volumes: tuple[ManifestVolume, ...] | None = None
    env: dict[str, str] | None = None
    bindings: dict[str, ManifestBinding] | None = None


@attrs.frozen(kw_only=True)
class ManifestExecutable:
    """``executable.v0``: a command run in a working directory (relative to the manifest)."""

    type: str = "executable.v0"
    connection_string: str | None = None
    working_directory: str
    command: str
    args: tuple[str, ...] | None = None
    env: dict[str, str] | None = None
    bindings: dict[str, ManifestBinding] | None = None


@attrs.frozen(kw_only=True)
class ManifestParameter:
    """``parameter.v0``: a value the deployment tool asks for (``value`` is ``{name.inputs.value}``)."""

    type: str = "parameter.v0"
    connection_string: str | None = None
    value: str
    inputs: dict[str, ManifestParameterInput]


@attrs.frozen(kw_only=True)
class ManifestValue:
    """``value.v0``: a connection string composed from other values."""

    type: str = "value.v0"
    connection_string: str


@attrs.frozen(kw_only=True)
class ManifestAnnotatedString:
    """``annotated.string``: a parameter's value with a filter applied (``uri``: percent-encoded)."""

    type: str = "annotated.string"
    value: str
    filter: str


@attrs.frozen
class ManifestRawResource:
    """An entry aspyre has no type for (written by a callback, or an ``error`` entry): the JSON object as is."""

    data: dict[str, Any]

    @property
    def type(self) -> str | None:
        t = self.data.get("type")
        return t if isinstance(t, str) else None


ManifestResource: TypeAlias = (
    ManifestContainer
    | ManifestExecutable
    | ManifestParameter
    | ManifestValue
    | ManifestAnnotatedString
    | ManifestRawResource
)


@attrs.frozen
class Manifest:
    """A whole manifest: ``{"$schema": ..., "resources": {name: entry}}`` (resources in model order)."""

    resources: dict[str, ManifestResource]
    schema: str | None = MANIFEST_SCHEMA_URL


# --------------------------------------------------------------------------- JSON

_TYPED: dict[str, type[Any]] = {
    "container.v0": ManifestContainer,
    "container.v1": ManifestContainer,
    "executable.v0": ManifestExecutable,
    "parameter.v0": ManifestParameter,
    "value.v0": ManifestValue,
    "annotated.string": ManifestAnnotatedString,
}

_CAMEL = re.compile(r"_([a-z])")


def _json_name(field_name: str) -> str:
    if field_name == "schema":
        return "$schema"
    return _CAMEL.sub(lambda m: m.group(1).upper(), field_name)


#: The converter's unstructure hook of each manifest class, called without the converter's dispatch.
_UNSTRUCTURE: dict[type[Any], Callable[[Any], Any]] = {}


def _plain(value: object) -> Any:
    """JSON-ready data for ``value`` (manifest types, dicts, tuples, scalars)."""
    kind = type(value)
    if kind is str or value is None or kind is bool or kind is int:
        return value
    hook = _UNSTRUCTURE.get(kind)
    if hook is not None:
        return hook(value)
    if attrs.has(kind):
        return _converter.unstructure(value, kind)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _configure(conv: cattrs.Converter, cls: type[Any]) -> None:
    fields = attrs.fields(cls)
    renames: dict[str, Any] = {f.name: override(rename=_json_name(f.name)) for f in fields}
    renames["_cattrs_forbid_extra_keys"] = True
    conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, **renames))
    # Unstructuring keeps the declared field order (Aspire's key order) and leaves out optional fields
    # that hold their default; ``type`` is always written.
    plan = [
        (f.name, _json_name(f.name), f.name != "type" and f.default is not attrs.NOTHING, f.default) for f in fields
    ]
    PLANS[cls] = tuple((name, encode_basestring_ascii(key), omittable, default) for name, key, omittable, default in plan)

    def unstructure(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, key, omittable, default in plan:
            value = getattr(obj, name)
            if omittable and value == default:
                continue
            out[key] = _plain(value)
        return out

    conv.register_unstructure_hook(cls, unstructure)
    _UNSTRUCTURE[cls] = unstructure


def _structure_resource(conv: cattrs.Converter, data: object) -> ManifestResource:
    if not isinstance(data, Mapping):
        raise TypeError(f"a manifest resource must be a JSON object, not {type(data).__name__}")
    cls = _TYPED.get(str(data.get("type")))
    if cls is not None:
        try:
            entry: ManifestResource = conv.structure(data, cls)
        except (cattrs.BaseValidationError, ValueError, TypeError, KeyError):
            pass  # not the shape aspyre writes for that type (a callback's own entry): keep it as it is
        else:
            if isinstance(entry, ManifestContainer) and not _valid_container(entry):
                return ManifestRawResource(dict(data))
            return entry
    return ManifestRawResource(dict(data))


def _valid_container(entry: ManifestContainer) -> bool:
    if entry.type == "container.v0":
        return entry.image is not None and entry.build is None
    return entry.type == "container.v1" and (entry.image is not None or entry.build is not None)


def _raw_data(entry: ManifestRawResource) -> dict[str, Any]:
    return dict(entry.data)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    for cls in (
        ManifestBinding,
        ManifestVolume,
        ManifestBindMount,
        ManifestBuildSecret,
        ManifestBuild,
        ManifestGenerateDefault,
        ManifestParameterDefault,
        ManifestParameterInput,
        ManifestContainer,
        ManifestExecutable,
        ManifestParameter,
        ManifestValue,
        ManifestAnnotatedString,
    ):
        _configure(conv, cls)
    conv.register_unstructure_hook(ManifestRawResource, _raw_data)
    _UNSTRUCTURE[ManifestRawResource] = _raw_data
    conv.register_structure_hook(ManifestRawResource, lambda d, _: ManifestRawResource(dict(d)))
    conv.register_structure_hook(ManifestResource, lambda d, _: _structure_resource(conv, d))
    conv.register_unstructure_hook(ManifestResource, lambda r: conv.unstructure(r, type(r)))

    def unstructure_manifest(m: Manifest) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if m.schema is not None:
            out["$schema"] = m.schema
        out["resources"] = {name: _plain(r) for name, r in m.resources.items()}
        return out

    def structure_manifest(data: object, _: object) -> Manifest:
        if not isinstance(data, Mapping) or not isinstance(data.get("resources"), Mapping):
            raise ValueError('a manifest is a JSON object with a "resources" object')
        extra = set(data) - {"$schema", "resources"}
        if extra:
            raise ValueError(f"unexpected top-level manifest keys: {', '.join(sorted(extra))}")
        schema = data.get("$schema")
        if schema is not None and not isinstance(schema, str):
            raise ValueError('"$schema" must be a string')
        resources = {str(k): _structure_resource(conv, v) for k, v in data["resources"].items()}
        return Manifest(resources, schema)

    conv.register_unstructure_hook(Manifest, unstructure_manifest)
    conv.register_structure_hook(Manifest, structure_manifest)
    return conv


_converter = _make_converter()


def manifest_converter() -> cattrs.Converter:
    """The cattrs converter for the manifest types (``unstructure`` gives JSON-ready data)."""
    return _converter


def manifest_to_json(manifest: Manifest) -> str:
    """The manifest as Aspire writes it: 2-space indent, keys in Aspire's order, a trailing newline.

    Non-ASCII characters are written as ``\\uXXXX`` escapes (as Aspire's writer does), so the
    output is the same bytes on every platform and run.
    """
    if type(manifest) is Manifest:
        try:  # written field by field: the same text as unstructuring it and writing the data
            return manifest_text(manifest.schema, manifest.resources, ManifestRawResource) + "\n"
        except NotPlain:
            pass
    return dumps_indented(_converter.unstructure(manifest, Manifest)) + "\n"


def manifest_from_json(text: str | bytes) -> Manifest:
    """Read a manifest (aspyre's or Aspire's) back into the typed model.

    Entries of types aspyre does not model, or shaped differently from what aspyre writes,
    come back as :class:`ManifestRawResource`.
    """
    return _converter.structure(json.loads(text), Manifest)
