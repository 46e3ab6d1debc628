"""One pass over the installed distributions for the entry points of a few groups, without ``importlib.metadata``.

A utility below every room, used by the plugin registry (:mod:`aspyre._plugins`). Importing
``importlib.metadata`` costs more than the scan itself (it pulls in ``email``, ``zipfile``, ``csv``...), and
reading every distribution's ``METADATA`` through it parses each one with ``email``. This reads what
``importlib.metadata.distributions()`` would find on the file system, in the same order, with the same rules
(the ``*.dist-info`` and ``*.egg-info`` entries of each ``sys.path`` directory; the first of a name wins), but
opens only ``entry_points.txt``, and the header of ``METADATA`` only for the few distributions that declare one
of the wanted groups.

Anything it does not read itself falls back to ``importlib.metadata``: ``sys.path`` entries that are files
(zip archives) and finders on ``sys.meta_path`` that provide distributions of their own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

__all__ = [
    "DistributionEntries",
    "distribution_infos",
    "iter_distribution_entries",
    "needs_importlib_metadata",
    "normalize_distribution",
    "parse_entry_points",
    "read_distribution_info",
]


class DistributionEntries(NamedTuple):
    """The wanted entry points of one distribution, and what the registry needs to know about it."""

    #: ``Name`` from its metadata (``"<unknown>"`` when missing).
    name: str
    #: ``Version`` from its metadata (``"?"`` when missing).
    version: str
    #: Every ``Requires-Dist`` line.
    requires: tuple[str, ...]
    #: ``(group, name, value)`` of each entry point in a wanted group, in file order.
    entry_points: tuple[tuple[str, str, str], ...]
    #: The ``.dist-info``/``.egg-info`` directory (``""`` when read through ``importlib.metadata``).
    location: str


def normalize_distribution(name: str) -> str:
    """A distribution name as packaging compares them: lower case, runs of ``-_.`` as one ``-``."""
    # re.sub(r"[-_.]+", "-", name), without compiling a pattern on every app host's start.
    text = name.replace("_", "-").replace(".", "-")
    while "--" in text:
        text = text.replace("--", "-")
    return text.lower()


def parse_entry_points(text: str, groups: frozenset[str]) -> list[tuple[str, str, str]]:
    """``(group, name, value)`` for each entry point of ``groups`` in an ``entry_points.txt`` (the rules of
    ``importlib.metadata``: stripped lines, ``#`` comments, ``[group]`` sections, ``name = value``)."""
    out: list[tuple[str, str, str]] = []
    group: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            continue
        if group is None or group not in groups:
            continue
        name, sep, value = line.partition("=")
        if sep:
            out.append((group, name.strip(), value.strip()))
    return out


def _read_headers(path: str) -> tuple[str, str, tuple[str, ...]]:
    """``Name``, ``Version`` and the ``Requires-Dist`` lines from the header of a metadata file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # The header ends at the first empty line; the body (the description) follows.
    header = text.replace("\r\n", "\n").partition("\n\n")[0]
    headers: list[tuple[str, str]] = []
    for raw in header.split("\n"):
        if raw[:1] in (" ", "\t"):  # a continuation line
            if headers:
                key, value = headers[-1]
                headers[-1] = (key, f"{value} {raw.strip()}")
            continue
        key, _, value = raw.partition(":")
        headers.append((key.strip().lower(), value.strip()))
    name = next((v for k, v in headers if k == "name"), "")
    version = next((v for k, v in headers if k == "version"), "")
    return name, version, tuple(v for k, v in headers if k == "requires-dist")


def distribution_infos(directory: str) -> Iterator[tuple[str, str]]:
    """``(normalized name, path)`` of each distribution's info directory in ``directory``, in listing order."""
    try:
        children = os.listdir(directory or ".")
    except OSError:
        return
    for child in children:
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            stem = low.rpartition(".")[0].partition("-")[0]
            yield normalize_distribution(stem).replace("-", "_"), os.path.join(directory, child)


def read_distribution_info(info: str, groups: frozenset[str]) -> DistributionEntries | None:
    """The wanted entry points of the distribution whose info directory is ``info`` (``None``: it has none)."""
    try:
        with open(os.path.join(info, "entry_points.txt"), encoding="utf-8") as f:
            text = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    eps = parse_entry_points(text, groups)
    if not eps:
        return None
    meta = os.path.join(info, "METADATA" if info.lower().endswith(".dist-info") else "PKG-INFO")
    name, version, requires = _read_headers(meta)
    return DistributionEntries(name or "<unknown>", version or "?", requires, tuple(eps), info)


def needs_importlib_metadata(path: Sequence[str]) -> bool:
    """Whether something on ``sys.meta_path`` or ``path`` provides distributions this module does not read."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and callable(getattr(finder, "find_distributions", None)):
            return True
    return any(entry and os.path.isfile(entry) for entry in path)


def _via_importlib_metadata(
    groups: frozenset[str], errors: list[str], path: list[str]
) -> Iterator[DistributionEntries]:
    import importlib.metadata

    seen: set[str] = set()
    for dist in importlib.metadata.distributions(path=path):
        try:
            eps = [(ep.group, ep.name, ep.value) for ep in dist.entry_points if ep.group in groups]
            if not eps:
                continue
            meta = dist.metadata  # parsed once: Name, Version and Requires-Dist from one read
            name, version = meta["Name"] or "<unknown>", meta["Version"] or "?"
            requires = tuple(meta.get_all("Requires-Dist") or ())
        except Exception as exc:  # unreadable metadata: not ours to fix, never fatal
            errors.append(f"{getattr(dist, '_path', dist)}: {type(exc).__name__}: {exc}")
            continue
        key = normalize_distribution(name)
        if key in seen:  # the same distribution twice on sys.path: the first wins
            continue
        seen.add(key)
        yield DistributionEntries(name, version, requires, tuple(eps), str(getattr(dist, "_path", "")))


def iter_distribution_entries(
    groups: Iterable[str], errors: list[str], path: Sequence[str] | None = None
) -> Iterator[DistributionEntries]:
    """Each installed distribution that declares entry points in ``groups``, in ``sys.path`` order; the first
    distribution of a name wins, as for ``importlib.metadata.entry_points()``. Distributions whose files cannot
    be read are skipped and described in ``errors``."""
    wanted = frozenset(groups)
    entries = list(sys.path if path is None else path)
    if needs_importlib_metadata(entries):
        yield from _via_importlib_metadata(wanted, errors, entries)
        return
    seen: set[str] = set()
    for directory in entries:
        for key, info in distribution_infos(directory):
            if key in seen:
                continue
            seen.add(key)
            try:
                found = read_distribution_info(info, wanted)
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(f"{info}: {type(exc).__name__}: {exc}")
                continue
            if found is not None:
                yield found
