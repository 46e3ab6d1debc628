"""The per-user cache directory aspyre keeps start-up results in, and how files there are written.

A utility below every room, used by :mod:`aspyre._plugin_cache` (the entry-point scan) and
:mod:`aspyre._code_cache` (compiled attrs methods). Everything here is an optimisation: a file that cannot be
written is skipped, one that cannot be read is ignored, and deleting the directory is always safe.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["atomic_write", "cache_directory", "cache_enabled", "read_record", "write_record"]


def cache_enabled(variable: str) -> bool:
    """Whether the cache that environment variable ``variable`` controls is on (it is unless ``0``/``off``...)."""
    return os.environ.get(variable, "").strip().lower() not in ("0", "false", "no", "off")


def cache_directory() -> str:
    """Where the cache files live: ``$XDG_CACHE_HOME/aspyre``, else ``~/.cache/aspyre``."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base or not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "aspyre")


def atomic_write(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file renamed over it (readers see the old file or the new
    one, never half of one). Returns whether it was written; errors are swallowed."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)  # the user's own, like ~/.cache
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True


def write_record(path: str, magic: bytes, value: Any) -> bool:
    """Write ``value`` (built-in types only) with ``marshal``, after ``magic`` and a CRC-32 of the payload."""
    import binascii  # its crc32 is zlib's, without loading zlib
    import marshal

    payload = marshal.dumps(value)
    return atomic_write(path, magic + binascii.crc32(payload).to_bytes(4, "big") + payload)


def read_record(path: str, magic: bytes) -> object:
    """What :func:`write_record` wrote to ``path`` with ``magic``, or ``None`` when it is missing, of another
    layout, or damaged (the checksum is checked before anything is unmarshalled)."""
    import binascii
    import marshal

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    head = len(magic) + 4
    if len(data) < head or not data.startswith(magic):
        return None
    payload = data[head:]
    if binascii.crc32(payload) != int.from_bytes(data[len(magic) : head], "big"):
        return None
    try:
        return marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
