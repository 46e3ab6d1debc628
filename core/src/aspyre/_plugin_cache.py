"""The entry-point scan kept on disk between processes, so start-up does not grow with the installed distributions.

A utility below every room, used by the plugin registry (:mod:`aspyre._plugins`) around the scan of
:mod:`aspyre._plugin_scan`. The scan reads every ``*.dist-info`` directory of ``sys.path``: its cost grows with
the number of installed distributions, though only a few of them declare aspyre's entry points. The result is
kept in one small file per ``sys.path`` list, under ``$XDG_CACHE_HOME/aspyre`` (``~/.cache/aspyre`` when
``XDG_CACHE_HOME`` is not set), and used again while nothing it depends on changed:

* the ``sys.path`` list itself (the file's name is a checksum of it, the file holds it in full);
* each ``sys.path`` directory's modification time: installing, upgrading or uninstalling a distribution
  creates or removes its ``*.dist-info`` directory there, which changes it. When it changed for another reason
  (the app host's own directory is on ``sys.path`` too, and files come and go there), the directory is listed
  and the names and modification times of its ``*.dist-info``/``*.egg-info`` directories are compared with
  those of the scan instead (a checksum of them is kept);
* the modification time and size of ``entry_points.txt`` and ``METADATA`` of each distribution the scan kept
  (one with aspyre entry points), so an edit in place of a plugin's own metadata is seen too.

Checking costs one ``stat`` per unchanged ``sys.path`` directory and two per aspyre plugin, however many other
distributions are installed. The file (``marshal``, after a CRC-32 checked before it is read) is written atomically (a temporary file
renamed over it), not written
when the scan reported unreadable distributions; a modification time less than two seconds old is not trusted
(a change in the same clock tick would not move it): such a directory is listed and compared every time, and
such a plugin's files mean nothing is written. The file is ignored when it cannot be read, does not parse, or
does not match. ``ASPYRE_PLUGIN_CACHE=0`` turns it off (every process scans).

Paths the scan does not read itself (zip archives, finders with distributions of their own) are never cached.
"""

from __future__ import annotations

import os
import sys
import time
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from ._plugin_scan import DistributionEntries, iter_distribution_entries, needs_importlib_metadata
from ._user_cache import cache_directory, read_record, write_record
from ._user_cache import cache_enabled as _enabled

__all__ = ["CACHE_ENV", "cache_directory", "cache_enabled", "cached_distribution_entries"]

#: The environment variable that turns the cache off (``0``, ``false``, ``no`` or ``off``).
CACHE_ENV = "ASPYRE_PLUGIN_CACHE"

#: Bumped when the file's layout changes: older files are then ignored (and replaced).
_FORMAT = 2
_MAGIC = b"aspyre entry points\n"

#: A modification time less than this old (ns) may change again within the same clock tick: not trusted.
_SETTLE_NS = 2_000_000_000

_Stamp = list[int] | None


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
    return [len(rows), zlib.crc32(text), zlib.adler32(text)]


def _meta_files(location: str) -> tuple[str, str]:
    meta = "METADATA" if location.lower().endswith(".dist-info") else "PKG-INFO"
    return os.path.join(location, "entry_points.txt"), os.path.join(location, meta)


def _cache_file(key: dict[str, Any]) -> str:
    text = repr(sorted(key.items()))
    return os.path.join(cache_directory(), f"entry-points-{zlib.crc32(text.encode()):08x}.bin")


def _dir_unchanged(directory: str, stamp: _Stamp, listing: list[int] | None, now: int) -> bool:
    if stamp is not None and _stamp(directory) == stamp:
        return True
    return listing is not None and _listing(directory, now) == listing


def _load(path: str, key: dict[str, Any], dirs: Sequence[str]) -> list[DistributionEntries] | None:
    """The cached scan in ``path`` if it is for ``key`` and nothing it depends on changed, else ``None``."""
    try:
        data: Any = read_record(path, _MAGIC)
        if data is None or data["key"] != key:
            return None
        checks = data["dirs"]
        if len(checks) != len(dirs):
            return None
        now = time.time_ns()
        for directory, (stamp, listing) in zip(dirs, checks, strict=True):
            if not _dir_unchanged(directory, stamp, listing, now):
                return None
        out: list[DistributionEntries] = []
        for name, version, requires, eps, location, files in data["dists"]:
            if [_stamp(p) for p in _meta_files(location)] != files:
                return None
            out.append(
                DistributionEntries(
                    str(name),
                    str(version),
                    tuple(str(r) for r in requires),
                    tuple((str(g), str(n), str(v)) for g, n, v in eps),
                    str(location),
                )
            )
        return out
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):  # another layout
        return None


def _store(
    path: str, key: dict[str, Any], dirs: Sequence[str], stamps: list[_Stamp], dists: list[DistributionEntries]
) -> None:
    """Write the scan atomically; failures are ignored (the cache is only an optimisation).

    ``stamps`` were taken before the scan: a directory that changed during it no longer matches.
    """
    now = time.time_ns()
    files = [[_stamp(p) for p in _meta_files(d.location)] for d in dists]
    if not all(_settled(s, now) for pair in files for s in pair):
        return  # a plugin being installed right now: its files may change again within the same tick
    checks = [
        [stamp if _settled(stamp, now) else None, _listing(d, now)] for d, stamp in zip(dirs, stamps, strict=True)
    ]
    data = {
        "key": key,
        "dirs": checks,
        "dists": [
            [d.name, d.version, list(d.requires), [list(ep) for ep in d.entry_points], d.location, f]
            for d, f in zip(dists, files, strict=True)
        ],
    }
    write_record(path, _MAGIC, data)


def cached_distribution_entries(
    groups: Iterable[str], errors: list[str], path: Sequence[str] | None = None
) -> list[DistributionEntries]:
    """What :func:`~aspyre._plugin_scan.iter_distribution_entries` returns, from the cache when it is still true.

    ``errors`` receives the scan's errors (a result with errors is never cached, so they are reported again).
    """
    wanted = sorted(set(groups))
    entries = list(sys.path if path is None else path)
    if not cache_enabled() or needs_importlib_metadata(entries):
        return list(iter_distribution_entries(wanted, errors, entries))
    # The scan lists "" as the current directory: the key holds where that was.
    dirs = [os.path.abspath(d or ".") for d in entries]
    key: dict[str, Any] = {"format": _FORMAT, "groups": wanted, "path": dirs}
    cache_file = _cache_file(key)
    found = _load(cache_file, key, dirs)
    if found is not None:
        return found
    # Stamps taken before the scan: a change during the scan makes the stored file stale, never wrong.
    stamps = [_stamp(d) for d in dirs]
    before = len(errors)
    dists = list(iter_distribution_entries(wanted, errors, entries))
    if len(errors) == before:
        _store(cache_file, key, dirs, stamps, dists)
    return dists
