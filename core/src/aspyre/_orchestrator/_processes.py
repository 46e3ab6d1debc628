"""Running processes with anyio: output captured line by line, graceful stop in a shielded finally."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable

import anyio
import anyio.abc
import anyio.lowlevel

from .._errors import DistributedApplicationException
from ._output import LineSplitter
from ._reaping import OWNER_VARIABLE, ProcessWatchdog, end_group
from ._specs import ProcessSpec

__all__ = ["ProcessLaunchError", "run_process"]

#: How long output is still read after the process exited.
DRAIN_SECONDS = 1.0
#: The most bytes of output handled in one go before other tasks get their turn.
READ_SIZE = 4 * 1024


class ProcessLaunchError(DistributedApplicationException, RuntimeError):
    """The process could not be started (command not found, bad working directory...)."""


async def _pump(
    stream: anyio.abc.ByteReceiveStream | None, on_line: Callable[[str, bool], None], is_error: bool
) -> None:
    """Read *stream* to its end, a line at a time to ``on_line``; after each read, let other tasks run.

    A read returns at once while the pipe holds data: without the checkpoint a process writing without
    pause would keep the event loop to itself (no Ctrl-C, no state change, no other resource's output).
    """
    if stream is None:
        return
    splitter = LineSplitter()
    try:
        while True:
            try:
                chunk = await stream.receive(READ_SIZE)
            except anyio.EndOfStream:
                break
            for line in splitter.feed(chunk):
                on_line(line, is_error)
            await anyio.lowlevel.checkpoint()
    except (anyio.ClosedResourceError, anyio.BrokenResourceError):
        pass
    for line in splitter.flush():
        on_line(line, is_error)


async def _wait_unless_forced(process: anyio.abc.Process, grace_period: float, force: anyio.Event | None) -> None:
    """Wait for the process to exit, at most ``grace_period`` seconds, less if ``force`` is set."""
    with anyio.move_on_after(grace_period):
        async with anyio.create_task_group() as tg:

            async def forced() -> None:
                if force is not None:
                    await force.wait()
                    tg.cancel_scope.cancel()

            tg.start_soon(forced)
            await process.wait()
            tg.cancel_scope.cancel()


def _signal_group(pid: int, sig: int) -> None:
    """Signal the process group we created (``start_new_session``); the leader is still ours (not reaped)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


async def run_process(
    spec: ProcessSpec,
    *,
    on_line: Callable[[str, bool], None],
    on_started: Callable[[int], None] | None = None,
    on_exit: Callable[[int], None] | None = None,
    grace_period: float = 10.0,
    force: anyio.Event | None = None,
    owner: str | None = None,
    watchdog: ProcessWatchdog | None = None,
) -> int:
    """Run the process of *spec* until it exits; return its exit code.

    stdout and stderr go to ``on_line(line, is_stderr)``. If the calling task is cancelled, the
    process group gets SIGTERM, then SIGKILL after ``grace_period`` seconds; this happens in a
    shielded scope, so cancellation never skips it. Setting ``force`` cuts the grace period short.
    Once the process ended (stopped or by itself), what is left of its group (its children) is
    stopped the same way. ``owner`` goes to the environment as ``ASPYRE_OWNER``; ``watchdog`` is told
    about the group while it runs (see :mod:`._reaping`).
    """
    command, cwd = spec.command, spec.cwd
    if not await anyio.Path(cwd).is_dir():
        raise ProcessLaunchError(f"working directory {str(cwd)!r} does not exist")
    env = {**os.environ, **spec.env} if spec.inherit_environment else dict(spec.env)
    if owner is not None:
        env[OWNER_VARIABLE] = owner
    if watchdog is not None:
        watchdog.start()  # before the process: the app host may die before it tells the watchdog about it
    try:
        process = await anyio.open_process(
            [command, *spec.args],
            env=env,
            cwd=str(cwd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ProcessLaunchError(f"command {command!r} not found ({exc.strerror}); check the path or PATH") from exc
    except PermissionError as exc:
        raise ProcessLaunchError(f"command {command!r} cannot be executed ({exc.strerror})") from exc
    if watchdog is not None:
        watchdog.watch(process.pid)
    if on_started is not None:
        on_started(process.pid)
    # The pumps live in a shielded scope: when the caller is cancelled they keep reading while the
    # process shuts down, so its last words reach the log. They end at end-of-file, or when the
    # drain time after exit runs out (a grandchild may hold the pipes open).
    pump_scope = anyio.CancelScope(shield=True)
    pumps_done = anyio.Event()

    async def pumps() -> None:
        try:
            with pump_scope:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_pump, process.stdout, on_line, False)
                    tg.start_soon(_pump, process.stderr, on_line, True)
        finally:
            pumps_done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(pumps)
        try:
            return await process.wait()
        finally:
            with anyio.CancelScope(shield=True):
                deadline = anyio.current_time() + grace_period
                if process.returncode is None:
                    _signal_group(process.pid, signal.SIGTERM)
                    await _wait_unless_forced(process, grace_period, force)
                    if process.returncode is None:
                        _signal_group(process.pid, signal.SIGKILL)
                        await process.wait()
                # Children left in the group (they may hold the output pipes open) end with it.
                await end_group(process.pid, deadline, force)
                if watchdog is not None:
                    watchdog.unwatch(process.pid)
                with anyio.move_on_after(DRAIN_SECONDS):
                    await pumps_done.wait()
                pump_scope.cancel()
                await process.aclose()
                if on_exit is not None and process.returncode is not None:
                    on_exit(process.returncode)
    raise AssertionError("unreachable")  # pragma: no cover - the task group returns or raises
