"""How the command names classes: by the public path users import them from, never a private module's."""

from __future__ import annotations

import sys

__all__ = ["public_path"]


def public_path(cls: type) -> str:
    """``module.QualName`` with the module shortened past private parts while the shorter module exports ``cls``.

    ``aspyre_redis._resources.RedisResource`` becomes ``aspyre_redis.RedisResource`` when the package
    re-exports it; aspyre's own classes already report their public module (``aspyre.events``...). A
    class that no public module exports keeps its full path.
    """
    module = cls.__module__
    parts = module.split(".")
    best = module
    for i in range(len(parts) - 1, 0, -1):
        if not any(p.startswith("_") for p in parts[i:]):
            break
        candidate = ".".join(parts[:i])
        mod = sys.modules.get(candidate)
        if mod is not None and getattr(mod, cls.__name__, None) is cls:
            best = candidate
    return f"{best}.{cls.__qualname__}"
