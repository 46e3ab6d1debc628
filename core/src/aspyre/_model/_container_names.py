"""The names a container engine accepts: image references (the ``docker/distribution`` reference grammar),
volume names and container names.

Each check returns why a value is refused, in words that say what to do, or ``None`` when the value is
fine; callers put the resource and the builder method around it. Checking here, while the model is built,
turns the engine's ``400 invalid reference format`` at run time into an error at the line that made it.

The image reference grammar (``github.com/distribution/reference``)::

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [domain "/"] path-component ["/" path-component]*
    domain           := host [":" port-number]
    host             := domain-name | "[" IPv6address "]"
    domain-name      := domain-component ["." domain-component]*
    domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
    path-component   := alpha-numeric [separator alpha-numeric]*
    alpha-numeric    := /[a-z0-9]+/
    separator        := /[_.]|__|[-]+/
    tag              := /[\\w][\\w.-]{0,127}/
    digest           := algorithm ":" hex

The first path segment is the registry (``domain``) when it has a ``.`` or a ``:``, or is ``localhost``;
the rest must be lower-case, and the name at most 255 characters, counted with the registry (``docker.io/``
and ``library/`` for Docker Hub names). A digest must be
``sha256:`` and 64 lower-case hex digits (aspyre pins images by SHA-256, as Aspire's ``WithImageSHA256``).
"""

from __future__ import annotations

import functools
from typing import NoReturn

import attrs

__all__ = [
    "MAX_IMAGE_NAME_LENGTH",
    "MAX_TAG_LENGTH",
    "MAX_VOLUME_NAME_LENGTH",
    "ImageReference",
    "container_name_problem",
    "digest_problem",
    "image_reference_problem",
    "parse_image_reference",
    "registry_problem",
    "tag_problem",
    "volume_name_problem",
]

#: The longest image name (registry and repository) an engine accepts.
MAX_IMAGE_NAME_LENGTH = 255
#: The longest tag.
MAX_TAG_LENGTH = 128
#: The longest volume name (a directory name on the engine's disk).
MAX_VOLUME_NAME_LENGTH = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_HEX64 = r"[0-9a-f]{64}"
_VOLUME = r"[a-zA-Z0-9][a-zA-Z0-9_.-]+"

# The patterns above are the grammar; the checks below read it with string operations (the same answers, which
# tests/model/test_plain_checks.py compares), so no pattern is compiled on an app host's builder path.
_LOWER_ALNUM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ALNUM_CHARS = _LOWER_ALNUM_CHARS | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_CHARS = _ALNUM_CHARS | frozenset("_.-")
_HEX_DIGITS = frozenset("0123456789abcdef")
_IPV6_CHARS = frozenset("0123456789abcdefABCDEF:")
_DIGITS = frozenset("0123456789")


def _is_path(text: str) -> bool:
    """``_PATH`` matches all of ``text``: path components separated by ``/``."""
    return all(_is_path_component(c) for c in text.split("/"))


def _is_path_component(text: str) -> bool:
    # [a-z0-9]+ ((?:[._]|__|-+) [a-z0-9]+)*
    if not text or text[0] not in _LOWER_ALNUM_CHARS or text[-1] not in _LOWER_ALNUM_CHARS:
        return False
    i, n = 0, len(text)
    while i < n:
        if text[i] in _LOWER_ALNUM_CHARS:
            i += 1
            continue
        j = i + 1
        while j < n and text[j] not in _LOWER_ALNUM_CHARS:
            j += 1
        separator = text[i:j]
        if separator not in (".", "_", "__") and separator.strip("-"):
            return False
        i = j
    return True


def _is_domain(text: str) -> bool:
    """``_DOMAIN`` matches all of ``text``: a host name or a bracketed IPv6 address, and an optional port."""
    if text.startswith("["):
        close = text.find("]")
        if close < 2 or not all(c in _IPV6_CHARS for c in text[1:close]):
            return False
        port = text[close + 1 :]
    else:
        host, colon, digits = text.partition(":")
        if not all(_is_domain_component(c) for c in host.split(".")):
            return False
        port = colon + digits
    return not port or (len(port) > 1 and port[0] == ":" and all(c in _DIGITS for c in port[1:]))


def _is_domain_component(text: str) -> bool:
    # [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
    return (
        bool(text)
        and text[0] in _ALNUM_CHARS
        and text[-1] in _ALNUM_CHARS
        and all(c in _ALNUM_CHARS or c == "-" for c in text)
    )


def _is_tag(text: str) -> bool:
    """``_TAG`` matches all of ``text``."""
    return (
        0 < len(text) <= MAX_TAG_LENGTH
        and (text[0] in _ALNUM_CHARS or text[0] == "_")
        and all(c in _NAME_CHARS for c in text)
    )


def _is_hex64(text: str) -> bool:
    """``_HEX64`` matches all of ``text``: 64 lower-case hex digits."""
    return len(text) == 64 and all(c in _HEX_DIGITS for c in text)


def _is_volume(text: str) -> bool:
    """``_VOLUME`` matches all of ``text``."""
    return len(text) > 1 and text[0] in _ALNUM_CHARS and all(c in _NAME_CHARS for c in text)


class ImageReference:
    """A parsed image reference: ``[registry/]image[:tag][@sha256:digest]``.

    Immutable and equal by value; a plain slotted class (with the repr, equality and hash attrs would give it)
    rather than an attrs one: one class less to build on an app host's builder path.
    """

    __slots__ = ("image", "registry", "sha256", "tag")

    registry: str | None
    image: str
    tag: str | None
    sha256: str | None

    def __init__(self, registry: str | None, image: str, tag: str | None, sha256: str | None) -> None:
        object.__setattr__(self, "registry", registry)
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "sha256", sha256)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> NoReturn:
        raise attrs.exceptions.FrozenInstanceError

    def _fields(self) -> tuple[str | None, str, str | None, str | None]:
        return (self.registry, self.image, self.tag, self.sha256)

    def __repr__(self) -> str:
        return (
            f"ImageReference(registry={self.registry!r}, image={self.image!r}, tag={self.tag!r}, "
            f"sha256={self.sha256!r})"
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not ImageReference:
            return NotImplemented
        assert isinstance(other, ImageReference)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((ImageReference, *self._fields()))

    def __reduce__(self) -> tuple[type[ImageReference], tuple[str | None, str, str | None, str | None]]:
        return (ImageReference, self._fields())


def _is_registry(segment: str) -> bool:
    return "." in segment or ":" in segment or segment == "localhost"


def tag_problem(tag: object) -> str | None:
    """Why ``tag`` is not an image tag, or ``None``."""
    if not isinstance(tag, str):
        return f"an image tag must be a str, not {type(tag).__name__}"
    if not tag:
        return "the image tag is empty; leave it out for 'latest'"
    if len(tag) > MAX_TAG_LENGTH:
        return f"an image tag has at most {MAX_TAG_LENGTH} characters, this one has {len(tag)}"
    if not _is_tag(tag):
        return (
            f"the image tag {tag!r} is not valid: a tag has letters, digits, '_', '.' and '-', and does not start "
            "with '.' or '-'"
        )
    return None


def registry_problem(registry: object) -> str | None:
    """Why ``registry`` is not a registry host (``host[:port]``), or ``None``."""
    if not isinstance(registry, str):
        return f"an image registry must be a str, not {type(registry).__name__}"
    if not _is_domain(registry):
        return (
            f"the registry {registry!r} is not a host name with an optional port (such as 'docker.io', "
            "'localhost:5000' or 'registry.example.com')"
        )
    return None


def digest_problem(digest: object) -> str | None:
    """Why ``digest`` is not a SHA-256 digest (``sha256:`` and 64 hex digits, or the bare hex), or ``None``."""
    if not isinstance(digest, str):
        return f"an image digest must be a str, not {type(digest).__name__}"
    algorithm, colon, hex_ = digest.rpartition(":")
    if colon and algorithm != "sha256":
        return f"only sha256 digests are supported (got {algorithm!r}); pin the image by its sha256 digest"
    if not _is_hex64(hex_.lower()):
        return f"a sha256 digest has 64 hex digits, {hex_!r} has {len(hex_)} characters"
    return None


def _name_problem(name: str, reference: str) -> str | None:
    registry, sep, rest = name.partition("/")
    path = name
    if sep and _is_registry(registry):
        if _is_domain(registry):
            path = rest
        elif not _is_path(name.lower()):
            # Not a host name; the engine still takes the whole name as a path when it is one ("foo_bar.com/app").
            return registry_problem(registry)
    if not path:
        return "the image name is empty"
    if path != path.lower() and _is_path(path.lower()):
        fixed = reference.replace(path, path.lower(), 1)
        return f"repository names must be lower-case: use {fixed!r}"
    if not _is_path(path):
        for component in path.split("/"):
            if not component:
                return "the image name has an empty path segment ('//', or a '/' at either end)"
            if not _is_path(component):
                return _component_problem(component)
    if _is_hex64(path):
        return "an image name cannot be 64 hex digits (that is an image id); pin a digest with with_image_sha256()"
    # The engine counts the normalised name: Docker Hub's "docker.io/" (and "library/") included.
    full = name if path is not name else "docker.io/" + ("" if "/" in path else "library/") + path
    if len(full) > MAX_IMAGE_NAME_LENGTH:
        counted = "" if full is name else f" (counted as {full[:30]}...)"
        return f"an image name has at most {MAX_IMAGE_NAME_LENGTH} characters, this one has {len(full)}{counted}"
    return None


def _component_problem(component: str) -> str:
    if any(ch.isspace() for ch in component):
        return "an image reference cannot contain whitespace"
    bad = sorted({ch for ch in component.lower() if not (ch.isascii() and (ch.isalnum() or ch in "._-"))})
    if bad:
        return f"the image name contains the character(s) {''.join(bad)!r}; use lower-case letters, digits, '.', '_' and '-'"
    if not component[0].isalnum() or not component[-1].isalnum():
        return (
            f"the image name part {component!r} must start and end with a lower-case letter or digit"
        )
    return (
        f"the image name part {component!r} has separators that are not allowed: between letters and digits use "
        "one '.', one or two '_', or dashes"
    )


def image_reference_problem(reference: object) -> str | None:
    """Why ``reference`` is not an image reference an engine accepts, or ``None``."""
    if not isinstance(reference, str):
        return f"an image reference must be a str, not {type(reference).__name__}"
    return _image_reference_problem(reference)


# An app model names few distinct images, each several times (the builder call, validation, publishing).
@functools.lru_cache(maxsize=256)
def _image_reference_problem(reference: str) -> str | None:
    if not reference:
        return "the image reference is empty"
    if any(ch.isspace() for ch in reference):
        return "an image reference cannot contain whitespace"
    rest, at, digest = reference.partition("@")
    if at:
        if not digest:
            return "nothing follows '@': give a digest (sha256:<64 hex digits>) or remove the '@'"
        problem = digest_problem(digest)
        if problem is None and ":" not in digest:
            problem = "a digest starts with its algorithm: '@sha256:<64 hex digits>'"
        if problem is not None:
            return problem
    name, tag = rest, None
    slash, colon = rest.rfind("/"), rest.rfind(":")
    if colon > slash:
        name, tag = rest[:colon], rest[colon + 1 :]
        problem = tag_problem(tag)
        if problem is not None:
            return problem
    return _name_problem(name, reference)


def parse_image_reference(reference: str) -> ImageReference:
    """``[registry/]image[:tag][@sha256:digest]`` as its parts; :class:`ValueError` saying why it is not one."""
    if not isinstance(reference, str):
        raise ValueError(f"{reference!r} is not a valid image reference: {image_reference_problem(reference)}")
    return _parse_image_reference(reference)


@functools.lru_cache(maxsize=256)
def _parse_image_reference(reference: str) -> ImageReference:
    problem = image_reference_problem(reference)
    if problem is not None:
        raise ValueError(f"{reference!r} is not a valid image reference: {problem}")
    rest, _, digest = reference.partition("@")
    name, tag = rest, None
    if rest.rfind(":") > rest.rfind("/"):
        name, _, tag = rest.rpartition(":")
    registry: str | None = None
    first, sep, remainder = name.partition("/")
    if sep and _is_registry(first):
        registry, name = first, remainder
    sha = digest.rpartition(":")[2].lower() if digest else None
    return ImageReference(registry, name, tag, sha)


def volume_name_problem(name: object) -> str | None:
    """Why ``name`` is not a volume name (Docker's ``[a-zA-Z0-9][a-zA-Z0-9_.-]+``), or ``None``."""
    if not isinstance(name, str):
        return f"a volume name must be a str, not {type(name).__name__}"
    if "/" in name or "\\" in name:
        return (
            f"{name!r} is a path, not a volume name: mount a host directory with with_bind_mount(), or give the "
            "volume a name that matches [a-zA-Z0-9][a-zA-Z0-9_.-]+"
        )
    if len(name) < 2:
        return f"a volume name has at least two characters ([a-zA-Z0-9][a-zA-Z0-9_.-]+), {name!r} has {len(name)}"
    if len(name) > MAX_VOLUME_NAME_LENGTH:
        return f"a volume name has at most {MAX_VOLUME_NAME_LENGTH} characters, this one has {len(name)}"
    if not _is_volume(name):
        return f"the volume name {name!r} must match [a-zA-Z0-9][a-zA-Z0-9_.-]+ (letters, digits, '_', '.', '-')"
    return None


def container_name_problem(name: object) -> str | None:
    """Why ``name`` is not a container name (Docker's ``[a-zA-Z0-9][a-zA-Z0-9_.-]+``), or ``None``."""
    if not isinstance(name, str):
        return f"a container name must be a str, not {type(name).__name__}"
    if len(name) < 2 or not _is_volume(name):
        return (
            f"the container name {name!r} must match [a-zA-Z0-9][a-zA-Z0-9_.-]+ (at least two characters: letters, "
            "digits, '_', '.', '-')"
        )
    return None
