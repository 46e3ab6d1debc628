"""Loading the public face without the cyclic garbage collector scanning it over and over.

A utility below every room (it imports nothing from aspyre). Importing the app host names creates some
hundred classes and tens of thousands of objects that live as long as the process; with the collector on,
its youngest generation is scanned every 700 allocations, and each survivor again in the next generation, for
nothing (they are all reachable). :func:`loading` pauses the collector while they load, then moves them
straight to the oldest generation, where only the rare full collections look at them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["freeze_at_exit", "loading"]

_exit_freeze_registered = False


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block; on success, age what is alive into the oldest generation.

    Nothing happens when the collector is already off (the caller's choice, or an outer :func:`loading`); on an
    exception the collector is only switched back on. Reference counting frees objects as usual meanwhile.
    Without the ageing, the first collection after the block would scan everything it made at once. The ageing is
    :func:`gc.freeze` then :func:`gc.unfreeze` (the permanent generation is emptied into the oldest one), so
    nothing stays frozen: :func:`gc.get_referrers`, :func:`gc.get_objects` and full collections see every object
    as before. It is skipped when something else froze objects (a pre-fork server, ``DistributedApplication.run``):
    unfreezing would undo that.
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
    if not gc.get_freeze_count():
        gc.freeze()
        gc.unfreeze()
    gc.enable()


def freeze_at_exit() -> None:
    """Freeze every object at interpreter exit (an :mod:`atexit` callback, registered once).

    Finalisation collects garbage twice after the atexit callbacks; each collection walks every object the
    process still holds (a builder's modules, classes and model: ~8 ms each), all of them reachable until the
    modules are cleared. Frozen, they are skipped. Called by each builder, and by ``run()`` when it returns.
    """
    global _exit_freeze_registered
    if not _exit_freeze_registered:
        import atexit

        atexit.register(gc.freeze)
        _exit_freeze_registered = True
