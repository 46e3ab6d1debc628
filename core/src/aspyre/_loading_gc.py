"""Loading the public face without the cyclic garbage collector scanning it over and over.

A utility below every room (it imports nothing from aspyre). Importing the app host names creates some
hundred classes and tens of thousands of objects that live as long as the process; with the collector on,
its youngest generation is scanned every 700 allocations, and each survivor again in the next generation, for
nothing (they are all reachable). :func:`loading` pauses the collector while they load, then moves them
straight to the oldest generation, where only the rare full collections look at them. ``build()`` and the
manifest writer use the same pause (:func:`gc_paused`) for the model they validate and write, and
``import aspyre`` itself for what it imports first (``typing``). It imports only :mod:`gc` (no
:mod:`contextlib`), so ``aspyre/__init__.py`` can pause the collector before anything else loads.
"""

from __future__ import annotations

import gc
from types import TracebackType

__all__ = ["freeze_at_exit", "gc_paused", "loading"]

_exit_freeze_registered = False


class _Paused:
    """The context manager :func:`gc_paused` returns (a class, so this module needs no :mod:`contextlib`)."""

    __slots__ = ("_paused",)

    def __init__(self) -> None:
        self._paused = False

    def __enter__(self) -> None:
        if gc.isenabled():
            gc.disable()
            self._paused = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._paused:
            return
        self._paused = False
        if exc_type is None and not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def gc_paused() -> _Paused:
    """Pause the cyclic garbage collector for the block; on success, age what is alive into the oldest generation.

    Used while the public face and the plugins load (as :func:`loading`), and while ``build()`` validates and a
    manifest is written: each allocates many objects that live on and frees few cycles, and with the collector on
    the growing heap would be scanned again and again (about a tenth of the time at 10,000 resources).

    Nothing happens when the collector is already off (the caller's choice, or an outer :func:`loading`); on an
    exception the collector is only switched back on. Reference counting frees objects as usual meanwhile.
    Without the ageing, the first collection after the block would scan everything it made at once. The ageing is
    :func:`gc.freeze` then :func:`gc.unfreeze` (the permanent generation is emptied into the oldest one), so
    nothing stays frozen: :func:`gc.get_referrers`, :func:`gc.get_objects` and full collections see every object
    as before. It is skipped when something else froze objects (a pre-fork server, ``DistributedApplication.run``):
    unfreezing would undo that.
    """
    return _Paused()


#: The name used where modules load.
loading = gc_paused


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
