"""Following one container: its output, line by line, and its exit code.

A :class:`Monitor` runs in a plain daemon thread (never in anyio's default thread pool: it lives as long
as the container) and hands lines to the event loop with :func:`anyio.from_thread.run_sync`. It follows the
run it started attached to (live output, see :meth:`._client.EngineClient.attach`), and whatever comes after:
restarts by a restart policy, a dropped connection, the engine going away (it then tells the loop,
``on_engine(True, problem)``, waits for the engine, and once it answers, ``on_engine(False, "")``). From then on
it reads the engine's log, from where the delivered output ends in the engine's own time (see :mod:`._logread`):
every line once, in order, however short the runs and whatever aspyre's clock says.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel

from .._output import LineSplitter
from ._client import EngineClient, OutputStream
from ._errors import APIError, NotFound, connection_problem, engine_lost
from ._logread import LogCursor, LogLines, engine_time_ns, unix_ns

__all__ = ["Monitor"]

_log = logging.getLogger("aspyre.containers")

#: The longest wait between two attempts to reach an engine that went away (seconds).
_RECONNECT_MAX = 2.0


class _LoopGone(Exception):
    """The event loop that owns a monitor has finished."""


class Monitor:
    """Follows one container: output lines to ``on_log`` and, when the output ends, the exit code.

    Runs in a plain daemon thread (never in anyio's default thread pool: it lives as long as the
    container). The thread talks to the loop only through ``anyio.from_thread.run_sync(token=...)``.
    """

    def __init__(
        self,
        api: EngineClient,
        container_id: str,
        name: str,
        on_log: Callable[[str, bool], None],
        on_engine: Callable[[bool, str], None] | None = None,
    ) -> None:
        self._api = api
        #: Whether the container has a TTY (its output is raw), as the attach found out.
        self._tty = False
        self._on_engine = on_engine
        self._away = False
        #: Whether the engine was away at some point (the attach may have missed the end of the run).
        self._was_away = False
        self._id = container_id
        self._name = name
        self._on_log = on_log
        self._token = anyio.lowlevel.current_token()
        self._lock = threading.Lock()
        self._stream: OutputStream | None = None
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        #: How far the output was delivered, in the engine's time (see :mod:`._logread`).
        self._cursor = LogCursor(None)
        #: Whether the output is read from the engine's log (after the attached run's output ended).
        self._from_log = False
        #: ``time.time()`` when the attach ended, for a container attached in the middle of a run (no floor).
        self._attach_ended = 0.0
        #: Whether the engine cannot give the container's log back (its logging driver keeps none).
        self._unreadable = False
        #: ``FinishedAt`` of the last run whose output was read while the container waited to restart.
        self._read_at_finish = ""
        #: Set (on the loop) when following ended, whatever the reason.
        self.done = anyio.Event()
        self.finished = threading.Event()
        self.exit_code: int | None = None
        #: True when following was stopped by aspyre while the container may still run.
        self.detached = False
        self.error: BaseException | None = None
        #: ``State.StartedAt`` of the run being followed; a new value means a restart policy restarted it.
        self.started_at = ""

    # -- called from worker threads / the loop
    def open_stream(self, *, tty: bool | None = None) -> OutputStream | None:
        """Attach to the container's stdout/stderr from now on (blocking): before a start, its every line once.

        *tty*: whether the container has a TTY, when known (``None``: the engine is asked).
        """
        stream = self._api.attach(self._id, tty=tty)
        self._tty = stream.tty
        return self._keep(stream)

    def _keep(self, stream: OutputStream) -> OutputStream | None:
        with self._lock:
            if self._closing.is_set():
                _close_stream(stream)
                return None
            self._stream = stream
        return stream

    def start(self, stream: OutputStream | None, started_at: str, *, log_floor: int | None = None) -> None:
        """Follow from *stream* (opened by :meth:`open_stream`), the run that started at *started_at*.

        *log_floor*: the engine time (UNIX ns) from which the container's log holds exactly what *stream* delivers:
        0 for a container created for this run (its whole log), :func:`._logread.log_end` before the start for one
        started again; ``None`` when the attach began in the middle of a run (or the engine keeps no log).
        """
        self.started_at = started_at
        if log_floor is not None:
            self._cursor = LogCursor(max(log_floor, 0))
        self._thread = threading.Thread(
            target=self._run, args=(stream,), name=f"aspyre-container-{self._name}", daemon=True
        )
        self._thread.start()

    def close(self, *, detach: bool = True) -> None:
        """Stop following (non-blocking; call on the event loop). *detach*: the container may still run."""
        if detach and not self.finished.is_set():
            self.detached = True
        self._closing.set()
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            _close_stream(stream)
        if self._thread is None and not self.finished.is_set():
            # never started (the container failed to start): nothing will set the events otherwise
            self.finished.set()
            self.done.set()

    def join(self, timeout: float) -> bool:
        return self.finished.wait(timeout)

    # -- the thread
    def _run(self, stream: OutputStream | None) -> None:
        try:
            if stream is not None:
                self._pump(stream, _AttachLines(self._cursor))
                self._attach_ended = time.time()
            self._follow_on()
        except _LoopGone:
            self.detached = True
        except BaseException as exc:
            self.error = exc
            _log.warning("following container %s failed: %s: %s", self._name, type(exc).__name__, exc)
        finally:
            with self._lock:
                self._stream = None
            try:
                anyio.from_thread.run_sync(self.done.set, token=self._token)
            except RuntimeError:
                pass  # the loop is gone; nobody waits any more
            self.finished.set()

    def _follow_on(self) -> None:
        """After the attached run's output ended: until the container stops for good, follow it in its log."""
        settle = True  # an output just ended: the engine may not have recorded the exit yet
        while not self._closing.is_set():
            try:
                state = self._state(settle=settle)
            except NotFound:
                return  # removed outside aspyre
            if state is None:
                return  # closing
            started_at = str(state.get("StartedAt", ""))
            same_run = started_at == self.started_at and not state.get("Restarting")
            if not state.get("Running"):  # stopped for good
                # what the runs since the last read wrote, or the run wrote while the engine was away
                if (self._from_log or not same_run or self._was_away) and not self._unreadable:
                    self._read_log(follow=False)
                self.exit_code = int(state.get("ExitCode", -1))
                return
            if state.get("Restarting"):  # the restart policy's back-off: show what the last run wrote, then wait
                finished_at = str(state.get("FinishedAt", ""))
                if finished_at != self._read_at_finish and not self._unreadable and self._read_log(follow=False):
                    self._read_at_finish = finished_at
                settle = False
                if self._closing.wait(0.1):
                    return
                continue
            if not same_run:
                _log.debug("container %s was restarted at %s: following the new run", self._name, started_at)
                self.started_at = started_at
            else:
                _log.debug("the output of container %s dropped: following its log from where it ended", self._name)
            if self._unreadable:  # no log to read back: the live output from now on, as the first run's
                settle = self._attach_again()
                if not settle and self._closing.wait(0.1):
                    return
                continue
            settle = self._read_log(follow=True)
            if not settle and self._closing.wait(0.1):  # the log could not be read: look again shortly
                return

    def _attach_again(self) -> bool:
        try:
            stream = self.open_stream(tty=self._tty)
        except Exception as exc:  # the engine went (the next look waits for it), or the container is gone
            _log.debug("attaching to container %s again failed: %s", self._name, exc)
            return False
        if stream is not None:
            self._pump(stream, _AttachLines(LogCursor(None)))
        return True

    def _read_log(self, *, follow: bool) -> bool:
        """Deliver the container's log from the cursor on (*follow*: until the current run ends); False if it failed."""
        cursor = self._cursor
        since = cursor.since()
        try:
            if since is None:  # attached in the middle of a run: from when the attach ended, in the engine's time
                since = self._engine_time_of(self._attach_ended)
                cursor.floor = since
            stream = self._keep(self._api.logs(self._id, since_ns=since, follow=follow, tty=self._tty, timestamps=True))
        except NotFound:
            return False  # the container is gone: the next look says so
        except APIError as exc:  # a logging driver the engine cannot read back (no dual logging)
            self._unreadable = True
            _log.warning(
                "cannot read the log of container %s back (%s): each later run is followed from when aspyre attaches",
                self._name,
                exc,
            )
            return False
        except Exception as exc:
            _log.debug("reading the log of container %s failed: %s", self._name, exc)
            return False
        if stream is None:
            return False  # closing
        self._from_log = True
        self._pump(stream, LogLines(cursor, since, tty=self._tty))
        return True

    def _engine_time_of(self, moment: float) -> int:
        """*moment* (this machine's ``time.time()``) in the engine's clock, UNIX ns (the engine may be remote)."""
        before = time.time()
        engine_now = engine_time_ns(self._api.system_time())
        after = time.time()
        if engine_now is None or engine_now <= 0:
            return unix_ns(moment)
        return engine_now - unix_ns((before + after) / 2 - moment)

    def _state(self, *, settle: bool) -> dict[str, Any] | None:
        """The container's ``State`` (``None``: closing); with *settle*, after its output ended: once the engine
        recorded the exit, if that is what ended it (it records it a moment after the output ends).

        Raises :class:`._errors.NotFound` when the container is gone.
        """
        looks = 40 if settle else 1
        while True:
            info = self._inspect()
            if info is None:
                return None
            state: dict[str, Any] = info["State"]
            looks -= 1
            if (
                looks <= 0  # still running: the connection dropped
                or not state.get("Running")
                or state.get("Restarting")
                or str(state.get("StartedAt", "")) != self.started_at
            ):
                return state
            if self._closing.wait(0.05):
                return None

    def _inspect(self) -> dict[str, Any] | None:
        """The container's details; while the engine cannot be reached, wait for it (``None``: closing).

        Raises :class:`._errors.NotFound` when the container is gone.
        """
        delay = 0.2
        while True:
            try:
                info = self._api.inspect_container(self._id)
            except Exception as exc:
                if not engine_lost(exc):
                    raise
                if not self._away:
                    self._away = self._was_away = True
                    self._tell_engine(True, connection_problem(exc))
                if self._closing.wait(delay):
                    return None
                delay = min(delay * 2, _RECONNECT_MAX)
                continue
            if self._away:
                self._away = False
                self._tell_engine(False, "")
            return info

    def _tell_engine(self, lost: bool, problem: str) -> None:
        if self._on_engine is None:
            return
        try:
            anyio.from_thread.run_sync(self._on_engine, lost, problem, token=self._token)
        except RuntimeError as exc:  # RunFinishedError: the loop finished under us
            raise _LoopGone from exc

    def _pump(self, stream: OutputStream, lines: _AttachLines | LogLines) -> None:
        try:
            for frame in stream:
                batch = lines.feed(frame)
                if batch:
                    self._deliver(batch)
        except _LoopGone:
            raise
        except Exception as exc:  # the stream broke (engine went away, socket closed under us)
            _log.debug("output stream of container %s ended: %s", self._name, exc)
        tail = lines.flush()
        if tail:
            self._deliver(tail)

    def _deliver(self, batch: list[tuple[str, bool]]) -> None:
        try:
            anyio.from_thread.run_sync(self._emit, batch, token=self._token)
        except RuntimeError as exc:  # RunFinishedError: the loop finished under us
            raise _LoopGone from exc

    def _emit(self, batch: list[tuple[str, bool]]) -> None:
        for line, is_stderr in batch:
            try:
                self._on_log(line, is_stderr)
            except Exception:
                _log.exception("log callback failed for container %s", self._name)


class _AttachLines:
    """The attach's raw output as lines, counted (per stream) into the cursor while its floor is known."""

    __slots__ = ("_count", "_cursor", "_splitters")

    def __init__(self, cursor: LogCursor) -> None:
        self._cursor = cursor
        self._count = cursor.floor is not None
        self._splitters = (LineSplitter(), LineSplitter())

    def feed(self, frame: tuple[bytes | None, bytes | None]) -> list[tuple[str, bool]]:
        batch: list[tuple[str, bool]] = []
        for index, chunk in enumerate(frame):
            if chunk:
                lines = self._splitters[index].feed(chunk)
                if lines:
                    if self._count:
                        self._cursor.attached[index] += len(lines)
                    batch.extend((line, index == 1) for line in lines)
        return batch

    def flush(self) -> list[tuple[str, bool]]:
        batch: list[tuple[str, bool]] = []
        for index in range(2):
            lines = self._splitters[index].flush()
            if self._count:
                self._cursor.attached[index] += len(lines)
            batch.extend((line, index == 1) for line in lines)
        return batch


def _close_stream(stream: Any) -> None:
    try:
        stream.close()
    except Exception as exc:
        _log.debug("closing a container stream failed: %s", exc)
