"""The entry-point scan kept on disk between processes, so start-up does not grow with the installed distributions.

A utility below every room, used by the plugin registry (:mod:`aspyre._plugins`) around the scan of
:mod:`aspyre._plugin_scan`. The scan reads every ``*.dist-info`` directory of ``sys.path``: its cost grows with
the number of installed distributions, though only a few of them declare aspyre's entry points. What it found in
each ``sys.path`` directory (every distribution's normalized name, in listing order, for the first-wins rule, and
the aspyre entry points of those that have some) is kept in one small file per Python environment, under
``$XDG_CACHE_HOME/aspyre`` (``~/.cache/aspyre`` when ``XDG_CACHE_HOME`` is not set). A directory's record is used
again while nothing it depends on changed:

* the directory's modification time: installing, upgrading or uninstalling a distribution creates or removes its
  ``*.dist-info`` directory there, which changes it. When it changed for another reason (the app host's own
  directory is on ``sys.path`` too, and files come and go there), the directory is listed and the names and
  modification times of its ``*.dist-info``/``*.egg-info`` directories are compared with those before the scan
  (a checksum of them is kept);
* the modification time and size of ``entry_points.txt`` and ``METADATA`` of each distribution with aspyre entry
  points there, so an edit in place of a plugin's own metadata is seen too.

A directory whose record does not hold is scanned again, alone; the others are not read. Checking costs one
``stat`` per unchanged ``sys.path`` directory and two per aspyre plugin, however many other distributions are
installed. A modification time less than two seconds old is not trusted (a change in the same clock tick would
not move it): such a directory is compared by listing, and a directory where a plugin's files are that recent, or
where a distribution could not be read, is not recorded. The file (``marshal``, after a CRC-32 checked before it
is read) is written atomically when a directory was scanned, keeps the most recently used directories, and is
ignored when it cannot be read or does not have the expected shape. ``ASPYRE_PLUGIN_CACHE=0`` turns it off.

Paths the scan does not read itself (zip archives, finders with distributions of their own) are never cached.
"""

from __future__ import annotations

import binascii
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ._plugin_scan import (
    DistributionEntries,
    distribution_infos,
    iter_distribution_entries,
    needs_importlib_metadata,
    read_distribution_info,
)
from ._user_cache import cache_directory, read_record, write_record
from ._user_cache import cache_enabled as _enabled

__all__ = ["CACHE_ENV", "cache_directory", "cache_enabled", "cached_distribution_entries"]

#: The environment variable that turns the cache off (``0``, ``false``, ``no`` or ``off``).
CACHE_ENV = "ASPYRE_PLUGIN_CACHE"

#: Bumped when the file's layout changes: older files are then ignored (and replaced).
_FORMAT = 5
_MAGIC = b"aspyre entry points\n"

#: A modification time less than this old (ns) may change again within the same clock tick: not trusted.
_SETTLE_NS = 2_000_000_000

#: Directories kept in the file (the most recently used): every app host directory adds one.
_MAX_DIRECTORIES = 64

_Stamp = list[int] | None
#: ``[stamp, listing, names, entries]``: the normalized names of every distribution there (a later one of the
#: same name is hidden), and ``[normalized name, entry]`` of those with aspyre entry points (the first of their
#: name in the directory), an entry being ``[name, version, requires, entry points, location, stamps of
#: entry_points.txt and METADATA]``.
_Record = list[Any]
#: What one directory holds: every normalized name, and the distributions with aspyre entry points.
_Found = tuple[frozenset[str], list[tuple[str, DistributionEntries]]]


def cache_enabled() -> bool:
    """Whether the scan may be read from and written to disk (``ASPYRE_PLUGIN_CACHE`` is not ``0``/``off``)."""
    return _enabled(CACHE_ENV)


def _stamp(path: str) -> _Stamp:
    """``[mtime_ns, size]`` of ``path``, or ``None`` when it does not exist (or cannot be read)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _settled(stamp: _Stamp, now: int) -> bool:
    return stamp is None or now - stamp[0] >= _SETTLE_NS


def _listing(directory: str, now: int) -> list[int] | None:
    """A checksum of the names and modification times of the distribution directories in ``directory``, or
    ``None`` when one of them changed too recently to be trusted."""
    try:
        children = sorted(c for c in os.listdir(directory) if c.lower().endswith((".dist-info", ".egg-info")))
    except OSError:
        children = []
    rows: list[str] = []
    for child in children:
        stamp = _stamp(os.path.join(directory, child))
        if not _settled(stamp, now):
            return None
        rows.append(f"{child}\0{stamp}")
    text = "\n".join(rows).encode()
    return [len(rows), binascii.crc32(text), binascii.crc_hqx(text, 0)]


def _meta_files(location: str) -> tuple[str, str]:
    meta = "METADATA" if location.lower().endswith(".dist-info") else "PKG-INFO"
    return os.path.join(location, "entry_points.txt"), os.path.join(location, meta)


def _cache_file(groups: list[str]) -> str:
    """One file per Python environment (its prefix and interpreter) and set of groups."""
    text = repr((_FORMAT, groups, sys.prefix, sys.executable))
    return os.path.join(cache_directory(), f"entry-points-{binascii.crc32(text.encode()):08x}.bin")


def _read(path: str, groups: list[str]) -> dict[str, _Record]:
    data: Any = read_record(path, _MAGIC)
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("groups") != groups:
        return {}
    records = data.get("dirs")
    return records if isinstance(records, dict) else {}


def _entries(record: _Record, directory: str, now: int) -> _Found | None:
    """What ``record`` says ``directory`` holds if nothing it depends on changed, else ``None`` (scan again)."""
    try:
        stamp, listing, names, entries = record
        if not (stamp is not None and _stamp(directory) == stamp) and (
            listing is None or _listing(directory, now) != listing
        ):
            return None
        out: list[tuple[str, DistributionEntries]] = []
        for key, (name, version, requires, eps, location, files) in entries:
            if [_stamp(p) for p in _meta_files(location)] != files:
                return None
            dist = DistributionEntries(
                str(name),
                str(version),
                tuple(str(r) for r in requires),
                tuple((str(g), str(n), str(v)) for g, n, v in eps),
                str(location),
            )
            out.append((str(key), dist))
        if not isinstance(names, frozenset):
            return None
        return names, out
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):  # a record of another shape
        return None


def _scan(directory: str, groups: frozenset[str], errors: list[str], now: int) -> tuple[_Found, _Record | None]:
    """Scan one directory: what it holds, and the record to keep (``None`` when it must not be kept)."""
    # Taken before the scan: a change during it makes the record stale, never wrong.
    stamp, listing = _stamp(directory), _listing(directory, now)
    names: set[str] = set()
    found: list[tuple[str, DistributionEntries]] = []
    keep = True
    for key, info in distribution_infos(directory):
        if key in names:  # the first of a name wins, here too
            continue
        names.add(key)  # even unreadable: it still hides the same name later on the path
        try:
            dist = read_distribution_info(info, groups)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{info}: {type(exc).__name__}: {exc}")
            keep = False  # reported again by the next process
            continue
        if dist is not None:
            found.append((key, dist))
    stored: list[list[Any]] = []
    for key, dist in found:
        files = [_stamp(p) for p in _meta_files(dist.location)]
        keep = keep and all(_settled(s, now) for s in files)  # a plugin being installed right now
        entry = [dist.name, dist.version, list(dist.requires), [list(ep) for ep in dist.entry_points]]
        stored.append([key, [*entry, dist.location, files]])
    frozen = frozenset(names)
    record = [stamp if _settled(stamp, now) else None, listing, frozen, stored] if keep else None
    return (frozen, found), record


def cached_distribution_entries(
    groups: Iterable[str], errors: list[str], path: Sequence[str] | None = None
) -> list[DistributionEntries]:
    """What :func:`~aspyre._plugin_scan.iter_distribution_entries` returns, scanning only the ``sys.path``
    directories whose kept record no longer holds.

    ``errors`` receives the scan's errors (a directory with errors is never kept, so they are reported again).
    """
    wanted = sorted(set(groups))
    entries = list(sys.path if path is None else path)
    if not cache_enabled() or needs_importlib_metadata(entries):
        return list(iter_distribution_entries(wanted, errors, entries))
    cache_file = _cache_file(wanted)
    records = _read(cache_file, wanted)
    now = time.time_ns()
    wanted_set = frozenset(wanted)
    scanned: dict[str, _Record | None] = {}
    by_directory: dict[str, _Found] = {}
    seen: set[str] = set()
    out: list[DistributionEntries] = []
    for entry in entries:
        directory = os.path.abspath(entry or ".")  # the scan lists "" as the current directory
        found = by_directory.get(directory)
        if found is None:
            record = records.get(directory)
            found = None if record is None else _entries(record, directory, now)
            if found is None:
                found, scanned[directory] = _scan(directory, wanted_set, errors, now)
            by_directory[directory] = found
        names, dists = found
        # The first distribution of a name on the path wins (names hidden within a directory are not kept).
        out.extend(dist for key, dist in dists if key not in seen)
        seen |= names
    if any(record is not None for record in scanned.values()):
        used = set(by_directory)
        kept = {d: r for d, r in records.items() if d not in used}
        for directory in by_directory:  # most recently used last
            record = scanned[directory] if directory in scanned else records[directory]
            if record is not None:
                kept[directory] = record
        kept = dict(list(kept.items())[-_MAX_DIRECTORIES:])
        write_record(cache_file, _MAGIC, {"format": _FORMAT, "groups": wanted, "dirs": kept})
    return out
