"""Where user callbacks run, and what keeps a blocking one from freezing the app host.

* Sync health checks run in daemon threads (:func:`run_in_thread`): a check that blocks past its
  timeout is abandoned (its thread finishes on its own, or with the process) and reports Unhealthy.
* Every other user callback (environment and argument callbacks, event handlers, commands, snapshot
  updates, value callbacks) runs on the event loop, as its contract says (it may change the model or
  publish updates). :class:`LoopWatchdog` watches the loop from a thread: when it is blocked longer than
  ``app.options.blocked_loop_warning`` seconds it logs a warning naming the callback that blocks it, and
  a Ctrl-C (SIGINT) or SIGTERM that arrives while a callback blocks the loop (one call for
  ``_INTERRUPT_AFTER`` seconds) interrupts that callback (:class:`CallbackInterrupted`), so the app stops
  as asked instead of waiting for it; a callback that returns sooner is never interrupted.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import os
import re
import signal
import sys
import sysconfig
import threading
import time
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

__all__ = [
    "CallbackInterrupted",
    "LoopWatchdog",
    "is_async_callable",
    "is_library",
    "is_user_code",
    "run_in_thread",
    "user_error_report",
]

log = logging.getLogger("aspyre.orchestrator")

T = TypeVar("T")

#: How often the loop's heartbeat ticks (seconds); the watchdog looks as often.
_BEAT = 0.1
#: How long one call of a user callback must have held the loop before a signal interrupts it (seconds):
#: a callback that returns sooner (a plugin's listener, called for every log line) is left alone.
_INTERRUPT_AFTER = 0.3


class CallbackInterrupted(Exception):
    """A callback blocked the event loop when Ctrl-C (or SIGTERM) came: it was interrupted so that the app stops."""


def is_async_callable(fn: object) -> bool:
    """Whether calling *fn* gives a coroutine (``async def``, a partial of one, or an object with one as ``__call__``)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))  # noqa: B004


async def run_in_thread(fn: Callable[..., T], *args: Any, name: str) -> T:
    """``fn(*args)`` in a new daemon thread; cancelling the caller abandons the thread (it is not waited for).

    Unlike anyio's worker threads, an abandoned thread never delays the exit of the process.
    """
    token = anyio.lowlevel.current_token()
    done = anyio.Event()
    outcome: list[Any] = []
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome.append((True, context.run(fn, *args)))
        except BaseException as exc:  # handed to the caller, whatever it is
            outcome.append((False, exc))
        try:
            anyio.from_thread.run_sync(done.set, token=token)
        except RuntimeError:  # the loop finished meanwhile: nobody waits any more
            pass

    threading.Thread(target=target, name=f"aspyre-{name}", daemon=True).start()
    await done.wait()
    ok, value = outcome[0]
    if not ok:
        raise value
    result: T = value
    return result


#: Packages aspyre itself calls on the loop (the console draws with rich...): code of theirs that runs
#: there was called by aspyre, not by a user callback, and is never interrupted. Every distribution
#: aspyre depends on, directly or not, counts too (:func:`_libraries`); these hold where metadata lacks.
_LIBRARIES = ("attr", "attrs", "cattrs", "docker", "httpx", "httpcore", "h11", "requests", "urllib3", "rich",
              "pygments", "markdown_it", "sniffio")  # fmt: skip


def _directory(path: str | Path) -> str:
    return str(Path(path).resolve()) + os.sep


@functools.cache
def _dirs() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(aspyre's, anyio's and pluggy's directories; the standard library's; site-packages)."""
    import pluggy

    internal = tuple(_directory(Path(m.__file__).parent) for m in (sys.modules["aspyre"], anyio, pluggy) if m.__file__)
    paths = sysconfig.get_paths()
    stdlib = tuple(_directory(paths[k]) for k in ("stdlib", "platstdlib") if paths.get(k))
    kept = tuple(_directory(paths[k]) for k in ("purelib", "platlib") if paths.get(k))
    return internal, stdlib, kept


def _dependency_names() -> set[str]:
    """The distributions aspyre depends on, directly or not, that are installed (its extras, the
    integrations, are not: they are plugins)."""
    from importlib import metadata

    def key(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    todo, seen, found = ["aspyre"], set(), set()
    while todo:
        name = key(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        found.add(name)
        todo.extend(re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0] for r in requirements if "extra ==" not in r)
    found.discard("aspyre")
    return found


def _distribution_paths(name: str) -> Iterable[str]:
    """The top-level packages (``dir/``) and modules (``file.py``) installed by distribution *name*
    (namespace directories, which other distributions share, are not its own)."""
    from importlib import metadata

    dist = metadata.distribution(name)
    for f in dist.files or ():
        if len(f.parts) == 1 and f.suffix == ".py":
            yield str(Path(str(dist.locate_file(f))).resolve())
        elif len(f.parts) == 2 and f.name == "__init__.py":
            yield _directory(str(dist.locate_file(f.parts[0])))


@functools.cache
def _libraries() -> tuple[str, ...]:
    """Where the code of the libraries aspyre uses lives. Reads installed metadata (~80 ms): the
    watchdog's thread computes it as it starts, off the loop."""
    import importlib.util

    out: list[str] = []
    for module in _LIBRARIES:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            out.extend(_directory(loc) for loc in spec.submodule_search_locations)
    try:
        for name in _dependency_names():
            out.extend(_distribution_paths(name))
    except Exception as exc:  # broken metadata: the built-in list still applies
        log.debug("listing aspyre's libraries failed: %s", exc)
    return tuple(dict.fromkeys(out))


def is_library(filename: str) -> bool:
    """Whether *filename* is code of a library aspyre uses (one of its dependencies, installed)."""
    return _resolved(filename).startswith(_libraries())


@functools.lru_cache(maxsize=4096)
def _resolved(filename: str) -> str:
    try:
        return str(Path(filename).resolve())
    except OSError:  # pragma: no cover
        return filename


def _is_internal(filename: str) -> bool:
    """aspyre's, anyio's or pluggy's code."""
    return _resolved(filename).startswith(_dirs()[0])


def is_user_code(filename: str) -> bool:
    """Whether *filename* is code of an app host or a plugin (not aspyre's, anyio's, pluggy's or the stdlib's).

    Generated code (``<attrs generated init ...>``, ``<string>``, ``<frozen ...>``) is not: aspyre calls
    attrs-made methods on every log line.
    """
    if filename.startswith("<"):
        return False
    internal, stdlib, kept = _dirs()
    resolved = _resolved(filename)
    if resolved.startswith(internal):
        return False
    return not (resolved.startswith(stdlib) and not resolved.startswith(kept))


def _loop_frames(frame: types.FrameType | None) -> list[types.FrameType]:
    """The frames of the task step that runs on the loop now, innermost first (none when the loop waits)."""
    frames: list[types.FrameType] = []
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_run" and code.co_filename.endswith(os.path.join("asyncio", "events.py")):
            return frames  # below the loop's call of one ready callback
        frames.append(frame)
        frame = frame.f_back
    return []


def _called_by_aspyre(frame: types.FrameType | None) -> types.FrameType | None:
    """The frame aspyre called last on the loop, if the loop runs code that is not aspyre's right now."""
    frames = _loop_frames(frame)
    called: list[types.FrameType] = []
    for f in frames:
        if _is_internal(f.f_code.co_filename):
            break
        called.append(f)
    else:
        return None  # no aspyre frame below: not a callback of aspyre's
    return called[-1] if called else None


def _describe(f: types.FrameType) -> str:
    try:
        where = os.path.relpath(f.f_code.co_filename)
    except ValueError:  # pragma: no cover - another drive
        where = f.f_code.co_filename
    return f"{f.f_code.co_qualname} ({where}:{f.f_lineno})"


def _callback_frame(frame: types.FrameType | None) -> types.FrameType | None:
    """The frame of the user callback (app host or plugin code) running on the loop, if one is."""
    entry = _called_by_aspyre(frame)
    if entry is None or not is_user_code(entry.f_code.co_filename) or is_library(entry.f_code.co_filename):
        return None
    return entry


def blocking_callback(frame: types.FrameType | None) -> str | None:
    """``name (file:line)`` of the user callback (app host or plugin code) running on the loop, if one is.

    Code aspyre calls for itself (the standard library, the libraries it uses) is not a callback.
    """
    entry = _callback_frame(frame)
    return None if entry is None else _describe(entry)


def blocking_code(frame: types.FrameType | None) -> str:
    """What runs on the loop now, for the watchdog's warning: the user callback, else the code aspyre called."""
    entry = _called_by_aspyre(frame)
    if entry is not None:
        return _describe(entry)
    frames = _loop_frames(frame)
    return f"aspyre itself ({_describe(frames[0])})" if frames else "aspyre itself"


class LoopWatchdog:
    """Watches the app's event loop from a daemon thread (see the module docstring).

    :meth:`run` is the loop-side heartbeat (a task of the app); :meth:`watch_signals` installs the
    Python-level SIGINT/SIGTERM handlers that interrupt a callback blocking the loop (``app.run()`` only:
    under pytest, pytest keeps its own).
    """

    def __init__(self) -> None:
        self._warn_after = 5.0
        self._beat = time.monotonic()
        self._loop_thread: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: The call of a user callback that holds the loop, and since when (the watching thread's view).
        self._held: tuple[types.FrameType, float] | None = None
        #: A signal that came while a callback ran that had not blocked yet: (signal, when).
        self._pending: tuple[int, float] | None = None
        self._redelivered = 0
        self._lock = threading.Lock()

    async def run(self, warn_after: float) -> None:
        """The heartbeat; starts the watching thread (run it as a task of the app, cancel it to stop).

        A warning names the callback that blocks the loop longer than *warn_after* seconds.
        """
        self._warn_after = warn_after
        self._loop_thread = threading.get_ident()
        self._thread = threading.Thread(target=self._watch, name="aspyre-loop-watchdog", daemon=True)
        self._thread.start()
        try:
            while True:
                self._beat = time.monotonic()
                await anyio.sleep(_BEAT)
        finally:
            self._stop.set()
            self._held = None

    def blocked_for(self) -> float:
        """Seconds since the loop last ran the heartbeat, beyond its period."""
        return max(0.0, time.monotonic() - self._beat - _BEAT)

    def _watch(self) -> None:
        _libraries()  # found here, off the loop, before a signal handler needs it
        warned: str | None = None
        since = 0.0
        while not self._stop.wait(_BEAT):
            self._follow_callback()
            blocked = self.blocked_for()
            if blocked < self._warn_after:
                if warned is not None:
                    log.warning("the event loop ran again after %.1f s blocked by %s", time.monotonic() - since, warned)
                    warned = None
                continue
            if warned is None and self._loop_thread is not None:
                frame = sys._current_frames().get(self._loop_thread)
                culprit = blocking_code(frame)
                since = self._beat
                warned = culprit
                log.warning(
                    "the event loop has been blocked for %.1f s by %s: nothing else runs meanwhile (states, logs, "
                    "health checks, Ctrl-C is answered by interrupting it). Make the callback async, or run its "
                    "blocking work in a thread (anyio.to_thread.run_sync)",
                    blocked,
                    culprit,
                )

    def _follow_callback(self) -> None:
        """(Watching thread) Note which call of a user callback holds the loop, and since when; deliver
        again a signal that came while it had not blocked yet, once it has."""
        now = time.monotonic()
        held = self._held
        entry = None
        if self._loop_thread is not None and self.blocked_for() > 0:
            entry = _callback_frame(sys._current_frames().get(self._loop_thread))
        if entry is None:
            self._held = None
        elif held is None or held[0] is not entry:
            self._held = (entry, now)
        pending, held = self._pending, self._held
        if pending is None or self._loop_thread is None:
            return
        signum, at = pending
        if self._beat > at:  # the loop ran since: it heard the signal itself
            self._pending = None
        elif held is not None and now - held[1] >= _INTERRUPT_AFTER:
            self._pending = None
            with self._lock:
                self._redelivered += 1
            signal.pthread_kill(self._loop_thread, signum)

    def take_redelivered(self) -> bool:
        """Whether a signal the loop heard is one delivered again by the watchdog (to interrupt a callback
        that blocked): its listener counts it once only."""
        with self._lock:
            if self._redelivered:
                self._redelivered -= 1
                return True
            return False

    def on_signal(self, signum: int, frame: types.FrameType | None) -> None:
        """The Python-level handler of SIGINT/SIGTERM while the app runs (the loop's own handler still runs).

        If a user callback blocks the loop when the signal comes (app host or plugin code called by aspyre,
        not aspyre's own code nor a library aspyre calls, in one call for ``_INTERRUPT_AFTER`` seconds or
        more), it is interrupted with :class:`CallbackInterrupted`: the loop gets back to the signal and
        stops the app. A callback that has not blocked that long yet is left to return; if it blocks on, the
        watchdog delivers the signal again once it has (:meth:`take_redelivered`).
        """
        if threading.get_ident() != self._loop_thread:
            return
        entry = _callback_frame(frame)
        if entry is None:
            return
        held = self._held
        if held is None or held[0] is not entry or time.monotonic() - held[1] < _INTERRUPT_AFTER:
            self._pending = (signum, time.monotonic())
            return
        self._pending = None
        name = signal.Signals(signum).name
        raise CallbackInterrupted(f"{_describe(entry)} was interrupted by {name}: it was running on the event loop")


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for e in exc.exceptions for leaf in _leaves(e)]
    return [exc]


def user_error_report(exc: BaseException) -> str:
    """*exc* as the app host's author needs it: the real errors (not their task-group wrappers), each with
    the frames of the app host and plugins only, its message and its notes."""
    import traceback

    parts = []
    for leaf in _leaves(exc):
        te = traceback.TracebackException.from_exception(leaf)
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if is_user_code(f.filename)])
        parts.append("".join(te.format() if te.stack else te.format_exception_only()))
    return "".join(parts).rstrip("\n")
