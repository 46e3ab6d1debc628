"""Loading the public face without the cyclic garbage collector scanning it over and over.

A utility below every room (it imports nothing from aspyre). Importing the app host names creates some
hundred classes and tens of thousands of objects that live as long as the process; with the collector on,
its young generations are scanned every 700 allocations and the whole heap several times, for nothing (the
objects are reachable). :func:`loading` pauses the collector while they load, then moves everything alive
into the permanent generation (:func:`gc.freeze`), so later collections (and the one at exit) skip them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["loading"]


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block; on success, freeze what is alive, then resume it.

    Nothing happens when the collector is already off (the caller's choice, or an outer :func:`loading`). On an
    exception the collector is only switched back on. Reference counting frees objects as usual meanwhile. The
    freeze keeps the objects alive at that moment out of later collections: module-level objects (classes,
    functions, constants) that live until exit anyway, and whatever unreachable cycles existed then, which stay
    uncollected (none to speak of: the face loads when a program starts, at its first ``aspyre.NAME``).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    except BaseException:
        gc.enable()
        raise
    gc.freeze()
    gc.enable()
