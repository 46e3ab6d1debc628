"""Following one container: its output, line by line, and its exit code.

A :class:`Monitor` runs in a plain daemon thread (never in anyio's default thread pool: it lives as long
as the container) and hands lines to the event loop with :func:`anyio.from_thread.run_sync`. It keeps
following across restarts by a restart policy, across a dropped connection, and across the engine
going away: it then tells the loop (``on_engine(True, problem)``), waits for the engine, and once it
answers (``on_engine(False, "")``) follows the container again, from the moment the engine went.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel

from .._output import LineSplitter
from ._client import EngineClient, OutputStream
from ._errors import NotFound, connection_problem, engine_lost

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
        #: ``time.time()`` when the engine went away, while it is away (the lines written meanwhile are
        #: read back from the engine's log once it is back).
        self._lost_at: float | None = None
        self._away = False
        self._id = container_id
        self._name = name
        self._on_log = on_log
        self._token = anyio.lowlevel.current_token()
        self._lock = threading.Lock()
        self._stream: OutputStream | None = None
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
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

    def _open_run_logs(self, previous_finished_at: str, started_at: str) -> OutputStream | None:
        """Follow the output of a run that began after *previous_finished_at* (engine time), from its first line.

        Used after a restart policy restarted the container: attaching would miss what the new run
        wrote before the attach.
        """
        since = _engine_timestamp(previous_finished_at) or max(0.0, _engine_timestamp(started_at) - 1.0)
        return self._keep(self._api.logs(self._id, since=since, follow=True, tty=self._tty))

    def _keep(self, stream: OutputStream) -> OutputStream | None:
        with self._lock:
            if self._closing.is_set():
                _close_stream(stream)
                return None
            self._stream = stream
        return stream

    def start(self, stream: OutputStream | None, started_at: str) -> None:
        self.started_at = started_at
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
            while stream is not None:
                self._pump(stream)
                stream = None
                if self._closing.is_set():
                    break
                if not self._record_outcome():
                    # Still running: a restart policy restarted it, or the connection dropped. Follow new output.
                    stream = self._reattach()
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

    def _record_outcome(self) -> bool:
        """After the output ended: record the exit code; False if the container still runs."""
        outcome = self._outcome_after_eof()
        if outcome is None:
            return False
        self.exit_code = outcome if outcome >= 0 else None
        return True

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
                    self._away = True
                    self._lost_at = time.time()
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

    def _reattach(self) -> OutputStream | None:
        """Follow the container again after its output ended while it still runs (or restarts)."""
        while not self._closing.wait(0.1):
            try:
                info = self._inspect()
                if info is None:
                    return None
                state = info["State"]
                if state.get("Restarting"):
                    continue  # the restart policy's back-off: wait for the next run
                if not state.get("Running"):
                    self.exit_code = int(state.get("ExitCode", -1))
                    return None
                started_at = str(state.get("StartedAt", ""))
                if started_at and started_at != self.started_at:
                    _log.debug("container %s was restarted at %s: following the new run", self._name, started_at)
                    self.started_at = started_at
                    # The new run may write before the engine records StartedAt; everything after the
                    # previous run finished belongs to it.
                    return self._open_run_logs(str(state.get("FinishedAt", "")), started_at)
                if self._lost_at is not None:
                    # Same run, the engine was away: from the moment it went, so no line is missed.
                    since, self._lost_at = self._lost_at, None
                    return self._keep(self._api.logs(self._id, since=since, follow=True, tty=self._tty))
                _log.debug("the output stream of container %s dropped: attaching again", self._name)
                return self.open_stream()  # same run, the connection dropped: new output only
            except NotFound:
                return None
            except Exception as exc:
                _log.debug("re-attaching to container %s failed: %s", self._name, exc)
        return None

    def _outcome_after_eof(self) -> int | None:
        """After the output ended: the exit code, ``-1`` if the container is gone, ``None`` if it still runs."""
        for _ in range(40):
            try:
                info = self._inspect()
            except NotFound:
                return -1
            if info is None:
                return None  # closing
            state = info["State"]
            if state.get("Restarting") or str(state.get("StartedAt", "")) != self.started_at:
                return None  # a restart policy is restarting it (or already did)
            if not state.get("Running"):
                return int(state.get("ExitCode", -1))
            # The output ends a moment before the engine records the exit: look again shortly.
            if self._closing.wait(0.05):
                return None
        return None  # still running: the connection dropped

    def _pump(self, stream: OutputStream) -> None:
        splitters = (LineSplitter(), LineSplitter())
        try:
            for frame in stream:
                batch: list[tuple[str, bool]] = []
                for index, chunk in enumerate(frame):
                    if chunk:
                        batch.extend((line, index == 1) for line in splitters[index].feed(chunk))
                if batch:
                    self._deliver(batch)
        except _LoopGone:
            raise
        except Exception as exc:  # the stream broke (engine went away, socket closed under us)
            _log.debug("output stream of container %s ended: %s", self._name, exc)
        tail = [(line, index == 1) for index in range(2) for line in splitters[index].flush()]
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


def _engine_timestamp(value: str) -> float:
    """A Docker RFC 3339 time (nanoseconds, ``Z``) as a UNIX timestamp; 0.0 if unset or unparsable."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", value)
    if match is None:
        return 0.0
    base, fraction, zone = match.groups()
    moment = dt.datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    timestamp = moment.timestamp() + float(f"0.{fraction or 0}")
    return max(timestamp, 0.0)


def _close_stream(stream: Any) -> None:
    try:
        stream.close()
    except Exception as exc:
        _log.debug("closing a container stream failed: %s", exc)
