"""Files created in a container before it starts (Aspire's ``WithContainerFiles``): the entries and the annotation.

Pure data: the container runtime turns the entries into an archive it copies into the created container.
"""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from aspyre._public import present as _present
from aspyre._public import present_top_level as _present_top_level

if TYPE_CHECKING:
    from ._resources import IResource

__all__ = [
    "ContainerDirectory",
    "ContainerFile",
    "ContainerFileSystemEntry",
    "ContainerFilesAnnotation",
    "ContainerFilesCallbackContext",
    "container_file_problems",
]

#: The umask applied to entries without a mode of their own (files 0644, directories 0755).
DEFAULT_UMASK = 0o022


def _check_name(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value or value in (".", "..") or "/" in value or "\0" in value:
        raise ValueError(
            f"a container file or directory name must be one path segment (no '/'), not {value!r}; "
            "nest a ContainerDirectory for sub-directories"
        )


def _check_id(_: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError(f"{attribute.name} must be a user or group id (an int >= 0) or None, not {value!r}")


def _check_mode(_: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0o7777):
        raise ValueError(f"mode must be a permission mode such as 0o644 (0 to 0o7777) or None, not {value!r}")


def _check_umask(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0o777:
        raise ValueError(f"umask must be a permission mask such as 0o022 (0 to 0o777), not {value!r}")


@attrs.frozen
class ContainerFile:
    """A file to create in the container: ``contents`` (text or bytes) or the host file at ``source_path``.

    ``mode`` defaults to 0o666 less the umask of its :class:`ContainerFilesAnnotation` (0o644); ``owner`` and
    ``group`` (numeric ids) default to the annotation's, else root.
    """

    name: str = attrs.field(validator=_check_name)
    contents: str | bytes | None = None
    source_path: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    mode: int | None = attrs.field(default=None, validator=_check_mode)
    owner: int | None = attrs.field(default=None, validator=_check_id)
    group: int | None = attrs.field(default=None, validator=_check_id)

    def __attrs_post_init__(self) -> None:
        if (self.contents is None) == (self.source_path is None):
            raise ValueError(f"container file {self.name!r}: give either contents or source_path (one of them)")
        if self.contents is not None and not isinstance(self.contents, (str, bytes)):
            raise TypeError(
                f"container file {self.name!r}: contents must be str or bytes, not {type(self.contents).__name__}"
            )

    def __repr__(self) -> str:  # the contents may be a secret: never shown
        what = f"source_path={str(self.source_path)!r}" if self.source_path is not None else "contents=..."
        return f"ContainerFile({self.name!r}, {what}, mode={self.mode!r}, owner={self.owner!r}, group={self.group!r})"


def _entries(value: Iterable[ContainerFileSystemEntry]) -> tuple[ContainerFileSystemEntry, ...]:
    out = tuple(value)
    for e in out:
        if not isinstance(e, (ContainerFile, ContainerDirectory)):
            raise TypeError(f"a container directory holds ContainerFile and ContainerDirectory entries, not {e!r}")
    return out


@attrs.frozen
class ContainerDirectory:
    """A directory to create in the container, with its entries."""

    name: str = attrs.field(validator=_check_name)
    entries: tuple[ContainerFileSystemEntry, ...] = attrs.field(default=(), converter=_entries)
    mode: int | None = attrs.field(default=None, validator=_check_mode)
    owner: int | None = attrs.field(default=None, validator=_check_id)
    group: int | None = attrs.field(default=None, validator=_check_id)


ContainerFileSystemEntry = ContainerFile | ContainerDirectory


@attrs.define
class ContainerFilesCallbackContext:
    """What a container-files callback receives: the resource, and the mode (``execution_context``)."""

    resource: IResource
    execution_context: Any = None


ContainerFilesCallback = Callable[
    [ContainerFilesCallbackContext],
    Iterable[ContainerFileSystemEntry] | Awaitable[Iterable[ContainerFileSystemEntry]],
]


@attrs.frozen
class ContainerFilesAnnotation:
    """``with_container_files``: entries (or a callback that makes them when the container starts) created under
    ``destination`` (an absolute path) before the container starts, owned by ``default_owner``/``default_group``
    unless an entry says otherwise, with modes from ``umask`` unless an entry has its own."""

    destination: str
    entries: tuple[ContainerFileSystemEntry, ...] = ()
    callback: ContainerFilesCallback | None = None
    default_owner: int | None = attrs.field(default=None, validator=_check_id)
    default_group: int | None = attrs.field(default=None, validator=_check_id)
    umask: int = attrs.field(default=DEFAULT_UMASK, validator=_check_umask)

    @property
    def normalised_destination(self) -> str:
        """The destination without ``.``/``..`` parts or a trailing ``/``."""
        return posixpath.normpath(self.destination)


def container_file_problems(ann: ContainerFilesAnnotation) -> list[str]:
    """What is wrong with the annotation's destination and its (static) entries, in words."""
    problems: list[str] = []
    if not isinstance(ann.destination, str) or not ann.destination.startswith("/"):
        problems.append(f"the destination {ann.destination!r} must be an absolute path in the container ('/etc/app')")
    names: set[str] = set()

    def walk(entries: Sequence[ContainerFileSystemEntry], where: str) -> None:
        seen: set[str] = set()
        for e in entries:
            if e.name in seen:
                problems.append(f"{where}/{e.name} is given twice")
            seen.add(e.name)
            names.add(f"{where}/{e.name}")
            if isinstance(e, ContainerDirectory):
                walk(e.entries, f"{where}/{e.name}")

    walk(ann.entries, ann.destination.rstrip("/") if isinstance(ann.destination, str) else "?")
    return problems


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
# aspyre.annotations and aspyre.model import these on first use (their _LAZY): they report them however reached.
_present(globals(), "aspyre.annotations", names=["ContainerFilesAnnotation"])
_present(globals(), "aspyre.model", names=["ContainerFilesCallbackContext"])
