"""Run-mode containers through the docker SDK.

:class:`ContainerRuntime` is what the orchestrator uses to run container resources: it connects to the
engine (``DOCKER_HOST`` or the Docker CLI context, Podman's Docker-compatible socket works too), sweeps
objects left behind by app hosts that no longer run, creates the session network, pulls images per pull
policy, creates and starts containers (ports published on 127.0.0.1, mounts, network aliases, runtime
args), streams their output line by line, reports their exit, and stops and removes them.

The docker SDK blocks. Every short call runs in a worker thread under the runtime's own
:class:`anyio.CapacityLimiter`; every container's output is followed by one plain daemon thread that
hands lines to the event loop with :func:`anyio.from_thread.run_sync`. The ``docker`` package is
imported on :meth:`ContainerRuntime.connect` only (it costs ~140 ms).

See ``docs/containers.md`` for the user-facing behaviour.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import hashlib
import json
import logging
import math
import os
import re
import secrets
import string
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import attrs

from aspyre._model._annotations import ContainerImagePullPolicy, ContainerLifetime

from ._docker_owner import (
    LABEL_APP_HOST,
    LABEL_APP_HOST_HASH,
    LABEL_CONFIG_HASH,
    LABEL_LIFETIME,
    LABEL_MANAGED,
    LABEL_OWNER_HOST,
    LABEL_OWNER_PID,
    LABEL_OWNER_START_TIME,
    LABEL_PREFIX,
    LABEL_RESOURCE,
    LABEL_SESSION,
    LABEL_VOLUME_KIND,
    LIFETIME_PERSISTENT,
    LIFETIME_SESSION,
    OwnerIdentity,
    app_host_hash,
    app_name,
    owner_alive,
)
from ._docker_runargs import RuntimeOptions, parse_runtime_args

if TYPE_CHECKING:
    from docker import DockerClient

__all__ = [
    "ContainerExitUnknown",
    "ContainerHandle",
    "ContainerImageUnavailable",
    "ContainerRuntime",
    "ContainerRuntimeUnavailable",
    "ContainerSpec",
    "ContainerStartError",
    "MountSpec",
    "PortSpec",
]

_log = logging.getLogger("aspyre.containers")

T = TypeVar("T")

#: Worker threads for short blocking SDK calls when the caller passes no limiter.
_DEFAULT_THREADS = 8
#: HTTP timeout for ordinary engine requests once connected.
_REQUEST_TIMEOUT = 60
#: Connections kept per pool: every followed container holds one, so keep well above the default 10.
_MAX_POOL_SIZE = 64
#: Output lines longer than this are cut into several lines (a container writing without newlines).
_MAX_LINE = 64 * 1024
#: How long stop()/close() wait for a container's output thread to finish after the stream ends.
_MONITOR_JOIN_TIMEOUT = 10.0
_HOST_GATEWAY = "host.docker.internal"
_HINT = (
    "Start Docker (Docker Desktop, or `sudo systemctl start docker`), or set DOCKER_HOST to a running "
    "engine's socket; for Podman run `podman system service --time=0 unix:///run/podman/podman.sock` "
    "and set DOCKER_HOST=unix:///run/podman/podman.sock."
)


# --------------------------------------------------------------------------------------------- errors


class ContainerRuntimeUnavailable(RuntimeError):
    """No container engine could be reached (or it went away). The message says what to do."""


class ContainerImageUnavailable(RuntimeError):
    """A container's image is not present locally and could not (or may not) be pulled."""

    def __init__(self, message: str, *, image: str) -> None:
        super().__init__(message)
        #: The image reference that is unavailable.
        self.image = image


class ContainerStartError(RuntimeError):
    """The engine refused to create or start a container (port in use, bad mount, name conflict...)."""


class ContainerExitUnknown(RuntimeError):
    """:meth:`ContainerRuntime.wait` cannot tell an exit code: aspyre stopped following the container
    while it still runs (a persistent container at app stop, or the runtime was closed), or the container
    was removed outside aspyre."""


# ---------------------------------------------------------------------------------------------- specs


@attrs.frozen
class PortSpec:
    """A container port published on 127.0.0.1 (``host_port=None``: a free port chosen by the engine)."""

    target_port: int
    host_port: int | None = None
    protocol: str = "tcp"


@attrs.frozen
class MountSpec:
    """A bind mount (absolute host path) or a volume (``source=None``: an anonymous volume)."""

    type: Literal["bind", "volume"]
    source: str | None
    target: str
    read_only: bool = False


@attrs.frozen
class ContainerSpec:
    """Everything needed to run one container resource, fully resolved (no deferred values)."""

    resource_name: str
    #: A full image reference, e.g. ``docker.io/library/redis:7`` or ``redis@sha256:...``.
    image: str
    pull_policy: ContainerImagePullPolicy = ContainerImagePullPolicy.MISSING
    entrypoint: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = attrs.field(factory=dict)
    ports: tuple[PortSpec, ...] = ()
    mounts: tuple[MountSpec, ...] = ()
    #: Extra names on the session network; the resource name is always one.
    network_aliases: tuple[str, ...] = ()
    #: ``docker run`` flags; see :func:`aspyre._orchestrator._docker_runargs.parse_runtime_args`.
    runtime_args: tuple[str, ...] = ()
    lifetime: ContainerLifetime = ContainerLifetime.SESSION
    #: Explicit container name; default ``{resource}-{random8}`` (session) or ``{resource}-{apphosthash8}``.
    container_name: str | None = None
    #: Extra labels (keys may not start with ``aspyre.``).
    labels: Mapping[str, str] = attrs.field(factory=dict)
    #: Extra ``/etc/hosts`` entries, e.g. ``{"host.docker.internal": "host-gateway"}``.
    extra_hosts: Mapping[str, str] = attrs.field(factory=dict)


# --------------------------------------------------------------------------------------------- handle


@attrs.define(eq=False)
class ContainerHandle:
    """A container the runtime started (or adopted), as returned by :meth:`ContainerRuntime.start_container`."""

    id: str
    name: str
    resource_name: str
    #: True when an existing persistent container was adopted as it was (not restarted).
    reused: bool
    persistent: bool
    #: ``(target_port, protocol) -> host port`` on 127.0.0.1, read back from the engine after start.
    host_ports: dict[tuple[int, str], int]
    image_id: str
    config_hash: str
    network_aliases: tuple[str, ...]
    _monitor: _Monitor = attrs.field(repr=False, alias="monitor")
    _anonymous_volumes: tuple[str, ...] = attrs.field(default=(), repr=False, alias="anonymous_volumes")
    _removed: bool = attrs.field(default=False, repr=False, alias="removed")

    @property
    def exit_code(self) -> int | None:
        """The exit code once the container exited (as seen by its output thread), else ``None``."""
        return self._monitor.exit_code


# -------------------------------------------------------------------------------------------- monitor


class _LoopGone(Exception):
    """The event loop that owns a monitor has finished."""


class _Monitor:
    """Follows one container: output lines to ``on_log`` and, when the output ends, the exit code.

    Runs in a plain daemon thread (never in anyio's default thread pool: it lives as long as the
    container). The thread talks to the loop only through ``anyio.from_thread.run_sync(token=...)``.
    """

    def __init__(
        self,
        api: Any,
        container_id: str,
        name: str,
        on_log: Callable[[str, bool], None],
    ) -> None:
        self._api = api
        self._id = container_id
        self._name = name
        self._on_log = on_log
        self._token = anyio.lowlevel.current_token()
        self._lock = threading.Lock()
        self._stream: Any = None
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
    def open_stream(self, *, logs: bool) -> Any:
        """Attach to the container's stdout/stderr (blocking). ``logs=True`` includes earlier output."""
        stream = self._api.attach(self._id, stdout=True, stderr=True, stream=True, logs=logs, demux=True)
        return self._keep(stream)

    def _open_run_logs(self, previous_finished_at: str, started_at: str) -> Any:
        """Follow the output of a run that began after *previous_finished_at* (engine time), from its first line.

        Used after a restart policy restarted the container: attaching would miss what the new run
        wrote before the attach. The logs endpoint does not keep stdout and stderr apart, so these
        lines are all reported as stdout.
        """
        since = _engine_timestamp(previous_finished_at) or max(0.0, _engine_timestamp(started_at) - 1.0)
        stream = self._api.logs(self._id, stdout=True, stderr=True, stream=True, follow=True, since=since)
        return self._keep(_StdoutFrames(stream))

    def _keep(self, stream: Any) -> Any:
        with self._lock:
            if self._closing.is_set():
                _close_stream(stream)
                return None
            self._stream = stream
        return stream

    def start(self, stream: Any, started_at: str) -> None:
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
    def _run(self, stream: Any) -> None:
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
            _log.warning("following container %s failed: %s", self._name, exc, exc_info=True)
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

    def _reattach(self) -> Any:
        """Follow the container again after its output ended while it still runs (or restarts)."""
        import docker.errors

        while not self._closing.wait(0.1):
            try:
                state = self._api.inspect_container(self._id)["State"]
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
                _log.debug("the output stream of container %s dropped: attaching again", self._name)
                return self.open_stream(logs=False)  # same run, the connection dropped: new output only
            except docker.errors.NotFound:
                return None
            except Exception as exc:
                _log.debug("re-attaching to container %s failed: %s", self._name, exc)
        return None

    def _outcome_after_eof(self) -> int | None:
        """After the output ended: the exit code, ``-1`` if the container is gone, ``None`` if it still runs."""
        import docker.errors

        for _ in range(40):
            try:
                info = self._api.inspect_container(self._id)
            except docker.errors.NotFound:
                return -1
            state = info["State"]
            if state.get("Restarting") or str(state.get("StartedAt", "")) != self.started_at:
                return None  # a restart policy is restarting it (or already did)
            if not state.get("Running"):
                return int(state.get("ExitCode", -1))
            # The output ends a moment before the engine records the exit: look again shortly.
            if self._closing.wait(0.05):
                return None
        return None  # still running: the connection dropped

    def _pump(self, stream: Any) -> None:
        decoders = [codecs.getincrementaldecoder("utf-8")("replace") for _ in range(2)]
        pending = ["", ""]
        try:
            for frame in stream:
                batch: list[tuple[str, bool]] = []
                for index, chunk in enumerate(frame):
                    if chunk:
                        pending[index] = _split_lines(pending[index] + decoders[index].decode(chunk), index == 1, batch)
                if batch:
                    self._deliver(batch)
        except _LoopGone:
            raise
        except Exception as exc:  # the stream broke (engine went away, socket closed under us)
            _log.debug("output stream of container %s ended: %s", self._name, exc)
        tail: list[tuple[str, bool]] = []
        for index in range(2):
            rest = pending[index] + decoders[index].decode(b"", final=True)
            if rest:
                tail.append((rest.removesuffix("\r"), index == 1))
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


class _StdoutFrames:
    """Adapts a plain byte stream (the logs endpoint) to the ``(stdout, stderr)`` frames of an attach."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[tuple[bytes, None]]:
        for chunk in self._stream:
            yield (chunk, None)

    def close(self) -> None:
        self._stream.close()


def _engine_timestamp(value: str) -> float:
    """A Docker RFC 3339 time (nanoseconds, ``Z``) as a UNIX timestamp; 0.0 if unset or unparsable."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", value)
    if match is None:
        return 0.0
    base, fraction, zone = match.groups()
    moment = dt.datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    timestamp = moment.timestamp() + float(f"0.{fraction or 0}")
    return max(timestamp, 0.0)


def _split_lines(text: str, is_stderr: bool, batch: list[tuple[str, bool]]) -> str:
    *lines, rest = text.split("\n")
    batch.extend((line.removesuffix("\r"), is_stderr) for line in lines)
    while len(rest) > _MAX_LINE:
        batch.append((rest[:_MAX_LINE], is_stderr))
        rest = rest[_MAX_LINE:]
    return rest


def _close_stream(stream: Any) -> None:
    try:
        stream.close()
    except Exception as exc:
        _log.debug("closing a container stream failed: %s", exc)


def _is_not_found(exc: BaseException) -> bool:
    import docker.errors

    return isinstance(exc, docker.errors.NotFound)


def _explain(exc: BaseException) -> str:
    import docker.errors

    if isinstance(exc, docker.errors.APIError):
        explanation = exc.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode("utf-8", "replace")
        return str(explanation or exc)
    return f"{type(exc).__name__}: {exc}"


def _connect_problem(exc: BaseException) -> str:
    """A short reason for a failed connection (the SDK wraps the socket error in a long message)."""
    text = str(exc)
    if "FileNotFoundError" in text or "No such file or directory" in text:
        return "the socket does not exist (is the engine running?)"
    if "PermissionError" in text or "Permission denied" in text:
        return "permission denied on the socket (add your user to the 'docker' group, or use rootless Docker / Podman)"
    if "ConnectionRefused" in text or "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "no answer (timed out)"
    return _explain(exc)


def _random_suffix() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


# -------------------------------------------------------------------------------------------- runtime


class ContainerRuntime:
    """Runs container resources of one app host session on a Docker-compatible engine.

    Construction does not touch the engine (and does not import ``docker``); call :meth:`connect`
    first. All methods are coroutines meant for one event loop; blocking SDK calls run in worker
    threads limited by *limiter* (default: a private limiter of 8 threads).

    *owner_pid* names the process whose lifetime owns the session's objects (default: this process);
    :meth:`sweep_orphans` of a later run removes them once that process no longer runs.
    """

    def __init__(
        self,
        *,
        session_id: str,
        app_host_path: Path | str,
        docker_host: str | None = None,
        limiter: anyio.CapacityLimiter | None = None,
        owner_pid: int | None = None,
    ) -> None:
        if not session_id:
            raise ValueError("session_id must not be empty")
        self._session_id = session_id
        self._app_host_path = os.path.abspath(os.fspath(app_host_path))
        self._app_host_hash = app_host_hash(self._app_host_path)
        self._docker_host = docker_host
        self._limiter = limiter if limiter is not None else anyio.CapacityLimiter(_DEFAULT_THREADS)
        self._owner = OwnerIdentity.of(owner_pid)
        session_hash = hashlib.sha256(session_id.encode()).hexdigest()[:8]
        self._network_name = f"aspyre-session-{session_hash}-{app_name(self._app_host_path)}"
        self._persistent_network_name = f"aspyre-persistent-{self._app_host_hash}"
        self._client: DockerClient | None = None
        self._network_id: str | None = None
        self._persistent_network_id: str | None = None
        self._handles: dict[str, ContainerHandle] = {}
        self._lock: anyio.Lock | None = None
        self._closed = False

    # ------------------------------------------------------------------ properties
    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def app_host_hash(self) -> str:
        """First 8 hex digits of the SHA-256 of the lower-cased app host path."""
        return self._app_host_hash

    @property
    def session_network_name(self) -> str:
        """``aspyre-session-<hash8 of the session id>-<app name>``; created by :meth:`ensure_network`."""
        return self._network_name

    @property
    def persistent_network_name(self) -> str:
        """``aspyre-persistent-<app host hash8>``: the network persistent containers live on."""
        return self._persistent_network_name

    @property
    def connected(self) -> bool:
        return self._client is not None

    @staticmethod
    def host_gateway_name() -> str:
        """The name containers use to reach the host (map it with ``extra_hosts={name: "host-gateway"}``)."""
        return _HOST_GATEWAY

    def container_address(self, resource_name: str, target_port: int) -> tuple[str, int]:
        """How another container on the session network reaches *resource_name*'s *target_port*."""
        return (resource_name, target_port)

    # ------------------------------------------------------------------ plumbing
    def _get_lock(self) -> anyio.Lock:
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock

    def _api(self) -> Any:
        if self._client is None:
            raise RuntimeError("ContainerRuntime.connect() has not been called (or the runtime was closed)")
        return self._client.api

    async def _call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run one blocking SDK call in a worker thread; a lost connection becomes ContainerRuntimeUnavailable."""
        import requests.exceptions

        try:
            return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=self._limiter)
        except requests.exceptions.ConnectionError as exc:
            raise ContainerRuntimeUnavailable(f"Lost the connection to the container engine ({exc}). {_HINT}") from exc

    def _labels(self, lifetime: str, **extra: str) -> dict[str, str]:
        return {
            LABEL_MANAGED: "true",
            LABEL_LIFETIME: lifetime,
            LABEL_SESSION: self._session_id,
            LABEL_APP_HOST: self._app_host_path,
            LABEL_APP_HOST_HASH: self._app_host_hash,
            **self._owner.labels(),
            **extra,
        }

    # ------------------------------------------------------------------ connect
    async def connect(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - bounds the engine handshake
        """Connect to the engine (``DOCKER_HOST``, else the Docker CLI context, else the default socket).

        Raises :class:`ContainerRuntimeUnavailable` within about *timeout* seconds when no engine answers.
        """
        if self._client is not None:
            return
        if self._closed:
            raise RuntimeError("this ContainerRuntime was closed")
        abandoned = threading.Event()
        docker_host = self._docker_host

        def _connect() -> DockerClient:
            try:
                import docker
            except ImportError as exc:  # pragma: no cover - docker is a dependency of aspyre
                raise ContainerRuntimeUnavailable(
                    f"The docker SDK is not installed ({exc}); `pip install docker`."
                ) from exc
            environment = dict(os.environ)
            if docker_host:
                environment["DOCKER_HOST"] = docker_host
            client = docker.from_env(
                timeout=max(1, math.ceil(timeout)), environment=environment, max_pool_size=_MAX_POOL_SIZE
            )
            try:
                client.ping()
            except BaseException:
                client.close()
                raise
            client.api.timeout = _REQUEST_TIMEOUT
            if abandoned.is_set():
                client.close()
            return client

        where = docker_host or os.environ.get("DOCKER_HOST") or "the default Docker socket/context"
        try:
            with anyio.fail_after(timeout + 1):
                client = await anyio.to_thread.run_sync(_connect, limiter=self._limiter, abandon_on_cancel=True)
        except TimeoutError:
            abandoned.set()
            raise ContainerRuntimeUnavailable(
                f"The container engine at {where} did not answer within {timeout:g} s. {_HINT}"
            ) from None
        except ContainerRuntimeUnavailable:
            raise
        except Exception as exc:
            raise ContainerRuntimeUnavailable(
                f"Cannot connect to a container engine at {where}: {_connect_problem(exc)}. {_HINT}"
            ) from exc
        self._client = client
        _log.debug("connected to the container engine at %s", client.api.base_url)

    # ------------------------------------------------------------------ orphans
    async def sweep_orphans(self) -> list[str]:
        """Remove session objects (containers, networks, anonymous volumes) of app hosts that no longer run.

        Only objects labelled ``aspyre.lifetime=session`` whose owner labels name a process on this
        machine that has exited (or whose PID now belongs to another process) are removed. Objects of
        live app hosts, of other machines, persistent containers and named volumes are never touched.
        Returns one description per removed object.
        """
        await self.connect()
        api = self._api()
        this_host = self._owner.host
        removed: list[str] = []
        verdicts: dict[tuple[str, str, str], bool | None] = {}

        def dead(labels: Mapping[str, str] | None) -> bool:
            labels = labels or {}
            if labels.get(LABEL_SESSION) == self._session_id or labels.get(LABEL_LIFETIME) != LIFETIME_SESSION:
                return False
            key = (
                labels.get(LABEL_OWNER_HOST, ""),
                labels.get(LABEL_OWNER_PID, ""),
                labels.get(LABEL_OWNER_START_TIME, ""),
            )
            if key not in verdicts:
                verdicts[key] = owner_alive(labels, this_host=this_host)
            return verdicts[key] is False

        def owner_text(labels: Mapping[str, str]) -> str:
            return (
                f"app host {labels.get(LABEL_APP_HOST, '?')}, pid {labels.get(LABEL_OWNER_PID, '?')}, "
                f"session {labels.get(LABEL_SESSION, '?')}"
            )

        def sweep() -> None:
            import docker.errors

            label_filter = {"label": [f"{LABEL_MANAGED}=true", f"{LABEL_LIFETIME}={LIFETIME_SESSION}"]}
            for summary in api.containers(all=True, filters=label_filter):
                labels = summary.get("Labels") or {}
                if not dead(labels):
                    continue
                name = (summary.get("Names") or [summary["Id"][:12]])[0].lstrip("/")
                try:
                    api.remove_container(summary["Id"], v=True, force=True)
                except docker.errors.NotFound:
                    continue
                except docker.errors.APIError as exc:
                    _log.warning("could not remove orphaned container %s: %s", name, _explain(exc))
                    continue
                removed.append(f"container {name} ({owner_text(labels)})")
            for network in api.networks(filters=label_filter):
                labels = network.get("Labels") or {}
                if not dead(labels):
                    continue
                try:
                    details = api.inspect_network(network["Id"])
                    for container_id in details.get("Containers") or {}:
                        try:
                            api.disconnect_container_from_network(container_id, network["Id"], force=True)
                        except docker.errors.APIError as exc:
                            _log.debug("disconnecting %s from %s: %s", container_id, network["Name"], exc)
                    api.remove_network(network["Id"])
                except docker.errors.NotFound:
                    continue
                except docker.errors.APIError as exc:
                    _log.warning("could not remove orphaned network %s: %s", network["Name"], _explain(exc))
                    continue
                removed.append(f"network {network['Name']} ({owner_text(labels)})")
            for volume in api.volumes(filters=label_filter).get("Volumes") or []:
                labels = volume.get("Labels") or {}
                if not dead(labels):
                    continue
                try:
                    api.remove_volume(volume["Name"])
                except docker.errors.NotFound:
                    continue
                except docker.errors.APIError as exc:
                    _log.warning("could not remove orphaned volume %s: %s", volume["Name"], _explain(exc))
                    continue
                removed.append(f"volume {volume['Name']} ({owner_text(labels)})")

        await self._call(sweep)
        for line in removed:
            _log.info("removed orphaned %s", line)
        return removed

    # ------------------------------------------------------------------ networks
    async def ensure_network(self) -> str:
        """Create the session's bridge network once (labelled like every session object); return its name.

        Every container of the session joins it, reachable under its resource name and aliases.
        """
        await self.connect()
        async with self._get_lock():
            if self._network_id is None:
                self._network_id = await self._call(
                    self._create_network, self._network_name, self._labels(LIFETIME_SESSION), True
                )
        return self._network_name

    async def _ensure_persistent_network(self) -> str:
        async with self._get_lock():
            if self._persistent_network_id is None:
                self._persistent_network_id = await self._call(
                    self._create_network, self._persistent_network_name, self._labels(LIFETIME_PERSISTENT), False
                )
        return self._persistent_network_name

    def _create_network(self, name: str, labels: dict[str, str], session: bool) -> str:
        import docker.errors

        api = self._api()
        try:
            return str(api.create_network(name, driver="bridge", labels=labels, check_duplicate=True)["Id"])
        except docker.errors.APIError as exc:
            if exc.status_code != 409:
                raise ContainerStartError(f"Cannot create the network {name}: {_explain(exc)}") from exc
        existing = api.inspect_network(name)
        existing_labels = existing.get("Labels") or {}
        ours = existing_labels.get(LABEL_MANAGED) == "true" and (
            existing_labels.get(LABEL_SESSION) == self._session_id
            if session
            else existing_labels.get(LABEL_APP_HOST_HASH) == self._app_host_hash
        )
        if not ours:
            raise ContainerStartError(
                f"A network named {name} exists but was not created by this app host; remove it with "
                f"`docker network rm {name}`."
            )
        return str(existing["Id"])

    # ------------------------------------------------------------------ images
    async def _ensure_image(
        self, spec: ContainerSpec, platform: str | None, status: Callable[[str], None]
    ) -> dict[str, Any]:
        policy = spec.pull_policy
        if policy is not ContainerImagePullPolicy.ALWAYS:
            info = await self._call(self._inspect_image, spec.image)
            if info is not None:
                return info
            if policy is ContainerImagePullPolicy.NEVER:
                raise ContainerImageUnavailable(
                    f"The image {spec.image} of container resource '{spec.resource_name}' is not present "
                    f"locally and its pull policy is 'never'. Pull or build it first (`docker pull {spec.image}`), "
                    "or use the pull policy 'missing'.",
                    image=spec.image,
                )
        status(f"Pulling image {spec.image}")
        try:
            await anyio.to_thread.run_sync(
                functools.partial(self._pull, spec.image, platform), limiter=self._limiter, abandon_on_cancel=True
            )
        except Exception as exc:
            if isinstance(exc, ContainerRuntimeUnavailable):
                raise
            local = "" if policy is not ContainerImagePullPolicy.ALWAYS else await self._local_copy_note(spec.image)
            raise ContainerImageUnavailable(
                f"The image {spec.image} of container resource '{spec.resource_name}' is not available "
                f"locally and could not be pulled: {_explain(exc)}. Check the image name and tag, log in to "
                f"the registry (`docker login`) or make the image available locally (`docker pull` / "
                f"`docker build -t {spec.image} ...`).{local}",
                image=spec.image,
            ) from exc
        info = await self._call(self._inspect_image, spec.image)
        if info is None:
            raise ContainerImageUnavailable(
                f"The image {spec.image} of container resource '{spec.resource_name}' was pulled but the "
                "engine does not find it under that name.",
                image=spec.image,
            )
        return info

    async def _local_copy_note(self, image: str) -> str:
        info = await self._call(self._inspect_image, image)
        if info is None:
            return ""
        return " A local copy exists: the pull policy 'missing' would use it."

    def _inspect_image(self, image: str) -> dict[str, Any] | None:
        import docker.errors

        try:
            return dict(self._api().inspect_image(image))
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.NotFound:
            return None

    def _pull(self, image: str, platform: str | None) -> None:
        import requests.exceptions

        try:
            for item in self._api().pull(image, stream=True, decode=True, platform=platform):
                if isinstance(item, dict) and item.get("error"):
                    raise RuntimeError(str(item["error"]).strip())
        except requests.exceptions.ConnectionError as exc:
            raise ContainerRuntimeUnavailable(f"Lost the connection to the container engine ({exc}). {_HINT}") from exc

    # ------------------------------------------------------------------ containers
    async def start_container(
        self,
        spec: ContainerSpec,
        on_log: Callable[[str, bool], None],
        *,
        on_status: Callable[[str], None] | None = None,
    ) -> ContainerHandle:
        """Create and start (or, for an unchanged persistent container, adopt) the container of *spec*.

        Output lines go to ``on_log(line, is_stderr)``, always called on the event loop. ``on_status``
        (also on the loop) receives short human-readable progress notes (pulling, reusing, recreating).
        Raises :class:`ValueError` for an invalid spec (unsupported runtime flag, relative bind source),
        :class:`ContainerImageUnavailable`, :class:`ContainerStartError` or
        :class:`ContainerRuntimeUnavailable`.
        """
        status = on_status or (lambda message: None)
        options = parse_runtime_args(spec.runtime_args, resource_name=spec.resource_name)
        _validate(spec)
        network = await self.ensure_network()
        persistent = spec.lifetime is ContainerLifetime.PERSISTENT
        image = await self._ensure_image(spec, options.kwargs.get("platform"), status)
        image_id = str(image["Id"])
        config_hash = _config_hash(spec, image_id)
        aliases = tuple(dict.fromkeys((spec.resource_name, *spec.network_aliases)))
        if spec.container_name:
            name = spec.container_name
        elif persistent:
            name = f"{spec.resource_name}-{self._app_host_hash}"
        else:
            name = f"{spec.resource_name}-{_random_suffix()}"

        primary_network = network
        if persistent:
            primary_network = await self._ensure_persistent_network()
            existing = await self._call(self._inspect_container, name)
            if existing is not None:
                labels = existing["Config"].get("Labels") or {}
                if labels.get(LABEL_MANAGED) != "true":
                    raise ContainerStartError(
                        f"A container named {name} exists but was not created by aspyre, so the persistent "
                        f"container resource '{spec.resource_name}' cannot use that name. Remove it "
                        f"(`docker rm -f {name}`) or choose another name with with_container_name()."
                    )
                if labels.get(LABEL_APP_HOST_HASH) != self._app_host_hash:
                    raise ContainerStartError(
                        f"A container named {name} belongs to another app host ({labels.get(LABEL_APP_HOST, '?')}), "
                        f"so the persistent container resource '{spec.resource_name}' cannot use that name. Remove it "
                        f"(`docker rm -f {name}`) or choose another name with with_container_name()."
                    )
                running = bool(existing["State"].get("Running"))
                if labels.get(LABEL_CONFIG_HASH) == config_hash and running:
                    handle = await self._adopt(spec, existing, aliases, on_log)
                    if handle is not None:
                        status(f"Reusing persistent container {name} (configuration unchanged)")
                        return handle
                    reason = "it stopped while aspyre attached to it"
                elif labels.get(LABEL_CONFIG_HASH) != config_hash:
                    reason = "its configuration changed"
                else:
                    reason = f"it is {existing['State'].get('Status', 'not running')}"
                status(f"Recreating persistent container {name}: {reason}")
                await self._call(self._remove_container_quietly, existing["Id"])

        lifetime = LIFETIME_PERSISTENT if persistent else LIFETIME_SESSION
        create_kwargs = await self._create_kwargs(
            spec, options, image, lifetime, name, primary_network, aliases, config_hash
        )
        try:
            container = await self._call(self._create, create_kwargs)
        except ContainerRuntimeUnavailable:
            raise
        except Exception as exc:
            raise ContainerStartError(
                f"Cannot create the container {name} of resource '{spec.resource_name}': {_explain(exc)}"
            ) from exc
        container_id = str(container["Id"])
        api = self._api()
        monitor = _Monitor(api, container_id, name, on_log)
        handle = ContainerHandle(
            id=container_id,
            name=name,
            resource_name=spec.resource_name,
            reused=False,
            persistent=persistent,
            host_ports={},
            image_id=image_id,
            config_hash=config_hash,
            network_aliases=aliases,
            monitor=monitor,
        )
        self._handles[container_id] = handle
        try:
            if persistent:
                await self._call(api.connect_container_to_network, container_id, network, aliases=list(aliases))
            stream = await self._call(monitor.open_stream, logs=True)
            try:
                await self._call(api.start, container_id)
            except Exception as exc:
                if isinstance(exc, ContainerRuntimeUnavailable):
                    raise
                raise ContainerStartError(
                    f"Cannot start the container {name} of resource '{spec.resource_name}': {_explain(exc)}"
                ) from exc
            info = await self._call(api.inspect_container, container_id)
        except BaseException:
            monitor.close(detach=False)
            with anyio.CancelScope(shield=True):
                await self._forget(handle, remove=True)
            raise
        monitor.start(stream, str(info["State"].get("StartedAt", "")))
        handle.host_ports = _host_ports(info)
        handle._anonymous_volumes = _anonymous_volumes(info)
        return handle

    async def _create_kwargs(
        self,
        spec: ContainerSpec,
        options: RuntimeOptions,
        image: dict[str, Any],
        lifetime: str,
        name: str,
        network: str,
        aliases: tuple[str, ...],
        config_hash: str,
    ) -> dict[str, Any]:
        from docker.types import Mount

        api = self._api()
        resource_labels = {LABEL_RESOURCE: spec.resource_name}
        anonymous_labels = self._labels(lifetime, **resource_labels, **{LABEL_VOLUME_KIND: "anonymous"})
        mounts: list[Mount] = []
        for mount in spec.mounts:
            if mount.type == "bind":
                mounts.append(Mount(mount.target, mount.source, type="bind", read_only=mount.read_only))
            elif mount.source:
                await self._call(self._ensure_named_volume, mount.source, spec.resource_name)
                mounts.append(Mount(mount.target, mount.source, type="volume", read_only=mount.read_only))
            else:
                mounts.append(
                    Mount(mount.target, None, type="volume", read_only=mount.read_only, labels=anonymous_labels)
                )
        # Volumes the image declares: mount them explicitly so the anonymous volumes carry our labels too.
        targets = {mount.target.rstrip("/") or "/" for mount in spec.mounts}
        for path in sorted((image.get("Config") or {}).get("Volumes") or {}):
            if (path.rstrip("/") or "/") not in targets:
                mounts.append(Mount(path, None, type="volume", labels=anonymous_labels))

        ports: dict[str, list[tuple[str, int | None]]] = {}
        for port in spec.ports:
            ports.setdefault(f"{port.target_port}/{port.protocol}", []).append(("127.0.0.1", port.host_port))
        labels = {
            **spec.labels,
            **options.labels,
            **self._labels(lifetime, **resource_labels, **{LABEL_CONFIG_HASH: config_hash}),
        }
        extra_hosts = {**spec.extra_hosts, **options.extra_hosts}
        return {
            "image": spec.image,
            "command": list(spec.args) or None,
            "entrypoint": [spec.entrypoint] if spec.entrypoint else None,
            "environment": dict(spec.env),
            "ports": {key: (value[0] if len(value) == 1 else value) for key, value in ports.items()},
            "mounts": mounts,
            "labels": labels,
            "name": name,
            "network": network,
            "networking_config": {network: api.create_endpoint_config(aliases=list(aliases))},
            "extra_hosts": extra_hosts or None,
            "detach": True,
            **options.kwargs,
        }

    def _create(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        assert self._client is not None
        container = self._client.containers.create(**kwargs)
        return dict(container.attrs)

    def _ensure_named_volume(self, name: str, resource_name: str) -> None:
        import docker.errors

        api = self._api()
        try:
            api.inspect_volume(name)
        except docker.errors.NotFound:
            labels = self._labels(LIFETIME_PERSISTENT, **{LABEL_RESOURCE: resource_name, LABEL_VOLUME_KIND: "named"})
            try:
                api.create_volume(name, labels=labels)
            except docker.errors.APIError as exc:
                if exc.status_code != 409:
                    raise

    def _inspect_container(self, name_or_id: str) -> dict[str, Any] | None:
        import docker.errors

        try:
            return dict(self._api().inspect_container(name_or_id))
        except docker.errors.NotFound:
            return None

    def _remove_container_quietly(self, container_id: str) -> None:
        import docker.errors

        try:
            self._api().remove_container(container_id, v=True, force=True)
        except docker.errors.NotFound:
            pass

    async def _adopt(
        self,
        spec: ContainerSpec,
        existing: dict[str, Any],
        aliases: tuple[str, ...],
        on_log: Callable[[str, bool], None],
    ) -> ContainerHandle | None:
        """Follow a running persistent container as it is; ``None`` if it stopped meanwhile."""
        import docker.errors

        container_id = str(existing["Id"])
        name = str(existing["Name"]).lstrip("/")
        api = self._api()
        networks = (existing.get("NetworkSettings") or {}).get("Networks") or {}
        monitor = _Monitor(api, container_id, name, on_log)
        try:
            if self._network_name not in networks:
                await self._call(
                    api.connect_container_to_network, container_id, self._network_name, aliases=list(aliases)
                )
            stream = await self._call(monitor.open_stream, logs=False)
            info = await self._call(api.inspect_container, container_id)
        except docker.errors.APIError as exc:
            _log.debug("adopting container %s failed: %s", name, exc)
            monitor.close(detach=False)
            return None
        if not info["State"].get("Running"):
            monitor.close(detach=False)
            return None
        monitor.start(stream, str(info["State"].get("StartedAt", "")))
        handle = ContainerHandle(
            id=container_id,
            name=name,
            resource_name=spec.resource_name,
            reused=True,
            persistent=True,
            host_ports=_host_ports(info),
            image_id=str(info.get("Image", "")),
            config_hash=str((info["Config"].get("Labels") or {}).get(LABEL_CONFIG_HASH, "")),
            network_aliases=aliases,
            monitor=monitor,
            anonymous_volumes=_anonymous_volumes(info),
        )
        self._handles[container_id] = handle
        return handle

    async def wait(self, handle: ContainerHandle) -> int:
        """The container's exit code, once it exits. Cancelling the wait leaves the container alone.

        Raises :class:`ContainerExitUnknown` when aspyre stopped following a container that still runs
        (a persistent container at app stop, or after :meth:`close`), or the container was removed
        outside aspyre.
        """
        monitor = handle._monitor
        await monitor.done.wait()
        if monitor.exit_code is not None:
            return monitor.exit_code
        if monitor.detached:
            raise ContainerExitUnknown(
                f"aspyre stopped following container {handle.name} of resource '{handle.resource_name}' "
                "while it was running"
            )
        # Following ended without an exit code (the output thread failed): ask the engine.
        while True:
            info = await self._call(self._inspect_container, handle.id)
            if info is None:
                raise ContainerExitUnknown(
                    f"container {handle.name} of resource '{handle.resource_name}' was removed outside aspyre"
                )
            state = info["State"]
            if not state.get("Running") and not state.get("Restarting"):
                return int(state.get("ExitCode", -1))
            await anyio.sleep(1.0)

    async def stop(self, handle: ContainerHandle, grace: float, *, stop_persistent: bool = False) -> None:
        """Stop a container: SIGTERM (or the image's stop signal), then SIGKILL after *grace* seconds.

        *grace* is rounded up to whole seconds (the engine's unit). Session containers are then
        removed together with their anonymous volumes. Persistent containers are left running unless
        *stop_persistent*: aspyre stops following them and disconnects them from the session network.
        Runs to completion even when the calling task is cancelled.
        """
        with anyio.CancelScope(shield=True):
            if handle._removed:
                return
            if handle.persistent and not stop_persistent:
                await self._detach(handle)
                return
            import docker.errors

            try:
                await self._call(self._api().stop, handle.id, timeout=max(0, math.ceil(grace)))
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                _log.warning("stopping container %s failed: %s", handle.name, _explain(exc))
            if not await self._call(handle._monitor.join, _MONITOR_JOIN_TIMEOUT):
                handle._monitor.close(detach=False)
            if handle.persistent:
                await self._detach(handle)
            else:
                await self._forget(handle, remove=True)

    async def remove(self, handle: ContainerHandle) -> None:
        """Remove the container now (killing it if it runs), with its anonymous volumes; persistent too."""
        with anyio.CancelScope(shield=True):
            if handle._removed:
                return
            await self._kill(handle)
            await self._forget(handle, remove=True)

    async def _kill(self, handle: ContainerHandle) -> None:
        """SIGKILL the container if it runs and let its output thread record the exit code."""
        import docker.errors

        if not handle._monitor.finished.is_set():
            try:
                await self._call(self._api().kill, handle.id)
            except docker.errors.APIError as exc:  # not running (409) or gone (404)
                _log.debug("killing container %s: %s", handle.name, exc)
            if not await self._call(handle._monitor.join, _MONITOR_JOIN_TIMEOUT):
                handle._monitor.close(detach=False)

    async def _detach(self, handle: ContainerHandle) -> None:
        import docker.errors

        handle._monitor.close(detach=True)
        await self._call(handle._monitor.join, _MONITOR_JOIN_TIMEOUT)
        if self._network_id is not None:
            try:
                await self._call(self._api().disconnect_container_from_network, handle.id, self._network_id, force=True)
            except docker.errors.APIError as exc:
                _log.debug("disconnecting %s from the session network: %s", handle.name, exc)
        handle._removed = True
        self._handles.pop(handle.id, None)

    async def _forget(self, handle: ContainerHandle, *, remove: bool) -> None:
        handle._removed = True
        self._handles.pop(handle.id, None)
        if not remove or self._client is None:
            return
        try:
            await self._call(self._remove_with_volumes, handle.id, handle._anonymous_volumes)
        except Exception as exc:
            _log.warning("removing container %s failed: %s", handle.name, exc)
        await self._call(handle._monitor.join, _MONITOR_JOIN_TIMEOUT)

    def _remove_with_volumes(self, container_id: str, volumes: tuple[str, ...]) -> None:
        import docker.errors

        api = self._api()
        self._remove_container_quietly(container_id)
        # Engines that keep anonymous volumes created through the mounts API despite v=True: remove ours.
        for volume in volumes:
            try:
                labels = api.inspect_volume(volume).get("Labels") or {}
                if labels.get(LABEL_MANAGED) == "true" and labels.get(LABEL_VOLUME_KIND) == "anonymous":
                    api.remove_volume(volume)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                _log.debug("removing volume %s: %s", volume, exc)

    async def close(self) -> None:
        """Stop following every container, remove remaining session containers and the session network,
        and close the client. Persistent containers keep running. Idempotent; shielded from cancellation."""
        with anyio.CancelScope(shield=True):
            self._closed = True
            if self._client is None:
                return
            for handle in list(self._handles.values()):
                try:
                    if handle.persistent:
                        await self._detach(handle)
                    else:
                        await self._kill(handle)
                        await self._forget(handle, remove=True)
                except Exception as exc:
                    _log.warning("cleaning up container %s failed: %s", handle.name, exc)
            if self._network_id is not None:
                try:
                    await self._call(self._remove_network, self._network_id)
                except Exception as exc:
                    _log.warning("removing network %s failed: %s", self._network_name, exc)
                self._network_id = None
            client, self._client = self._client, None
            await self._call(client.close)

    def _remove_network(self, network_id: str) -> None:
        import docker.errors

        api = self._api()
        try:
            details = api.inspect_network(network_id)
        except docker.errors.NotFound:
            return
        for container_id in details.get("Containers") or {}:
            try:
                api.disconnect_container_from_network(container_id, network_id, force=True)
            except docker.errors.APIError as exc:
                _log.debug("disconnecting %s: %s", container_id, exc)
        try:
            api.remove_network(network_id)
        except docker.errors.NotFound:
            pass

    async def persistent_host_ports(
        self, resource_name: str, container_name: str | None = None
    ) -> dict[tuple[int, str], int]:
        """Host ports published by this app host's existing persistent container (empty when none).

        The orchestrator reuses them, so an unchanged persistent container keeps its address.
        """
        name = container_name or f"{resource_name}-{self._app_host_hash}"
        info = await self._call(self._inspect_container, name)
        return {} if info is None else _host_ports(info)

    def iter_handles(self) -> Iterator[ContainerHandle]:
        """Containers started or adopted by this runtime and not yet stopped/removed."""
        return iter(list(self._handles.values()))


# ------------------------------------------------------------------------------------------- helpers


def _validate(spec: ContainerSpec) -> None:
    where = f"container resource '{spec.resource_name}'"
    if not spec.image:
        raise ValueError(f"{where} has no image")
    for key in spec.labels:
        if key.startswith(LABEL_PREFIX):
            raise ValueError(f"label {key!r} of {where} uses the prefix {LABEL_PREFIX!r}, which is reserved for aspyre")
    for port in spec.ports:
        if port.protocol not in {"tcp", "udp", "sctp"}:
            raise ValueError(
                f"port {port.target_port} of {where}: protocol must be tcp, udp or sctp, not {port.protocol!r}"
            )
        if not 0 < port.target_port < 65536 or (port.host_port is not None and not 0 < port.host_port < 65536):
            raise ValueError(f"port {port.target_port} of {where}: ports must be between 1 and 65535")
    for mount in spec.mounts:
        if not mount.target.startswith("/"):
            raise ValueError(f"mount target {mount.target!r} of {where} must be an absolute path in the container")
        if mount.type == "bind":
            if not mount.source or not os.path.isabs(mount.source):
                raise ValueError(
                    f"bind mount source {mount.source!r} of {where} must be an absolute host path "
                    "(relative paths are resolved against the app host's directory before this point)"
                )
        elif mount.type != "volume":
            raise ValueError(f"mount type {mount.type!r} of {where} must be 'bind' or 'volume'")


def _config_hash(spec: ContainerSpec, image_id: str) -> str:
    """SHA-256 over everything that defines a persistent container (nothing per-run)."""
    document = {
        "version": 1,
        "image": image_id,
        "entrypoint": spec.entrypoint,
        "args": list(spec.args),
        "env": sorted(spec.env.items()),
        "ports": sorted([port.target_port, port.protocol, port.host_port or 0] for port in spec.ports),
        "mounts": sorted([m.type, m.source or "", m.target, m.read_only] for m in spec.mounts),
        "runtime_args": list(spec.runtime_args),
        "labels": sorted(spec.labels.items()),
        "extra_hosts": sorted(spec.extra_hosts.items()),
        "aliases": sorted({spec.resource_name, *spec.network_aliases}),
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def _host_ports(info: Mapping[str, Any]) -> dict[tuple[int, str], int]:
    ports: dict[tuple[int, str], int] = {}
    bindings = ((info.get("NetworkSettings") or {}).get("Ports")) or {}
    for key, entries in bindings.items():
        if not entries:
            continue
        port, _, protocol = str(key).partition("/")
        chosen = next((e for e in entries if e.get("HostIp") in {"127.0.0.1", "0.0.0.0", ""}), entries[0])
        if chosen.get("HostPort"):
            ports[(int(port), protocol or "tcp")] = int(chosen["HostPort"])
    return ports


def _anonymous_volumes(info: Mapping[str, Any]) -> tuple[str, ...]:
    names = []
    for mount in info.get("Mounts") or []:
        name = str(mount.get("Name") or "")
        if mount.get("Type") == "volume" and len(name) == 64 and all(c in "0123456789abcdef" for c in name):
            names.append(name)
    return tuple(names)
