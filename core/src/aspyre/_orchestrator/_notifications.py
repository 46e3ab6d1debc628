"""Live resource snapshots: publish updates, watch them, wait for states."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import anyio
import attrs
from anyio.streams.memory import MemoryObjectSendStream

from .._errors import DistributedApplicationException
from .._model._callback_contexts import HealthStatus
from .._model._dependencies import WaitAnnotation, WaitBehavior, WaitType
from .._model._graph import DistributedApplicationModel
from .._model._names import name_key
from .._model._resources import IResource, IResourceWithoutLifetime, resource_type_name
from .._model._snapshot import KnownResourceStates, ResourceSnapshot, ResourceSnapshotUpdate, health_failure
from ._health import collect_health_checks

__all__ = [
    "DependencyFailedError",
    "ResourceNotificationService",
    "ResourceSnapshotUpdate",
]


class DependencyFailedError(DistributedApplicationException, RuntimeError):
    """A resource waited for another one, which failed or stopped."""


def _waitable(w: WaitAnnotation) -> bool:
    """Whether a wait is waited for: a resource without a lifetime (a parameter, a connection string) is
    inert data, so waits on it are skipped, unless it has health checks (an external service behind a
    connection string): then waiting for it healthy waits for them."""
    if not isinstance(w.resource, IResourceWithoutLifetime):
        return True
    return w.wait_type is WaitType.WAIT_UNTIL_HEALTHY and bool(collect_health_checks(w.resource))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


StateTarget = str | Iterable[str] | Callable[[ResourceSnapshot], bool]


def _predicate(target: StateTarget) -> Callable[[ResourceSnapshot], bool]:
    if callable(target):
        return target
    states = {target} if isinstance(target, str) else set(target)
    return lambda s: s.state_text in states


class ResourceNotificationService:
    """The current snapshot of every resource, and every change to it.

    * :meth:`publish_update` replaces a resource's snapshot with ``update(old)``;
    * :meth:`watch` replays the current snapshot of every resource, then streams every change
      (each subscriber gets every change, in order);
    * :meth:`wait_for_resource` / :meth:`wait_for_resource_healthy` wait for a state.
    """

    def __init__(
        self,
        model: DistributedApplicationModel,
        *,
        default_wait_behavior: WaitBehavior = WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE,
        on_change: Callable[[IResource, ResourceSnapshot, ResourceSnapshot | None], None] | None = None,
    ) -> None:
        self._model = model
        self._snapshots: dict[str, ResourceSnapshot] = {}
        self._watchers: list[MemoryObjectSendStream[ResourceSnapshotUpdate]] = []
        self._changed = anyio.Event()
        self._ready: dict[str, anyio.Event] = {}
        self._ready_error: dict[str, BaseException | None] = {}
        self.default_wait_behavior = default_wait_behavior
        self._on_change = on_change
        self._closed = False

    # -- lookups --------------------------------------------------------------------------------------
    def _resource(self, resource: IResource | str) -> IResource:
        return self._model[resource] if isinstance(resource, str) else resource

    def get_snapshot(self, resource: IResource | str) -> ResourceSnapshot | None:
        """The current snapshot of a resource (``None`` before its first one)."""
        return self._snapshots.get(name_key(self._resource(resource).name))

    def snapshots(self) -> dict[str, ResourceSnapshot]:
        """The current snapshot of every resource that has one, by resource name."""
        return {r.name: s for r in self._model if (s := self._snapshots.get(name_key(r.name))) is not None}

    # -- updates --------------------------------------------------------------------------------------
    def publish_update(
        self,
        resource: IResource | str,
        update: Callable[[ResourceSnapshot], ResourceSnapshot] | ResourceSnapshot,
    ) -> ResourceSnapshot:
        """Replace the resource's snapshot with ``update(current)`` (or with ``update`` itself).

        Call it from the app's event loop. Returns the new snapshot.
        """
        r = self._resource(resource)
        key = name_key(r.name)
        old = self._snapshots.get(key)
        if isinstance(update, ResourceSnapshot):
            new = update
        else:
            base = old if old is not None else ResourceSnapshot(resource_type_name(r))
            new = update(base)
            if not isinstance(new, ResourceSnapshot):
                raise TypeError(
                    f"publish_update for {r.name!r}: the update must return a ResourceSnapshot, got {new!r}"
                )
        new = attrs.evolve(new, version=(old.version + 1) if old is not None else 1)
        became_running = new.state_text == KnownResourceStates.RUNNING and (
            old is None or old.state_text != KnownResourceStates.RUNNING
        )
        if became_running and (
            new.start_time_stamp is None or (old is not None and old.start_time_stamp == new.start_time_stamp)
        ):
            new = attrs.evolve(new, start_time_stamp=utcnow(), stop_time_stamp=None)
        became_terminal = KnownResourceStates.is_terminal(new.state_text) and (
            old is None or not KnownResourceStates.is_terminal(old.state_text)
        )
        if became_terminal and new.stop_time_stamp is None:
            new = attrs.evolve(new, stop_time_stamp=utcnow())
        if new.creation_time_stamp is None:
            new = attrs.evolve(
                new, creation_time_stamp=old.creation_time_stamp if old and old.creation_time_stamp else utcnow()
            )
        self._snapshots[key] = new
        item = ResourceSnapshotUpdate(r, new)
        for w in list(self._watchers):
            try:
                w.send_nowait(item)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._watchers.remove(w)
        changed, self._changed = self._changed, anyio.Event()
        changed.set()
        if self._on_change is not None:
            self._on_change(r, new, old)
        return new

    async def watch(self) -> AsyncIterator[ResourceSnapshotUpdate]:
        """The current snapshot of every resource, then every change, until the app stops."""
        send, receive = anyio.create_memory_object_stream[ResourceSnapshotUpdate](math.inf)
        for r in self._model:
            snap = self._snapshots.get(name_key(r.name))
            if snap is not None:
                send.send_nowait(ResourceSnapshotUpdate(r, snap))
        if self._closed:
            send.close()
        else:
            self._watchers.append(send)
        try:
            async with receive:
                async for item in receive:
                    yield item
        finally:
            if send in self._watchers:
                self._watchers.remove(send)
            send.close()

    def close(self) -> None:
        """End every :meth:`watch` (the app stopped)."""
        self._closed = True
        for w in self._watchers:
            w.close()
        self._watchers.clear()
        changed, self._changed = self._changed, anyio.Event()
        changed.set()

    # -- readiness (resource-ready handlers finished) -----------------------------------------------------
    def reset_ready(self, resource: IResource) -> None:
        key = name_key(resource.name)
        self._ready[key] = anyio.Event()
        self._ready_error[key] = None

    def set_ready(self, resource: IResource, error: BaseException | None = None) -> None:
        key = name_key(resource.name)
        ev = self._ready.setdefault(key, anyio.Event())
        self._ready_error[key] = error
        ev.set()
        changed, self._changed = self._changed, anyio.Event()
        changed.set()

    def is_ready(self, resource: IResource | str) -> bool:
        ev = self._ready.get(name_key(self._resource(resource).name))
        return ev is not None and ev.is_set() and self._ready_error.get(name_key(self._resource(resource).name)) is None

    # -- waiting --------------------------------------------------------------------------------------
    async def _wait_until(self, check: Callable[[], Any]) -> Any:
        while True:
            result = check()
            if result is not None and result is not False:
                return result
            if self._closed:
                raise anyio.ClosedResourceError("the app stopped while waiting")
            await self._changed.wait()

    async def wait_for_resource(
        self, resource: IResource | str, target: StateTarget = KnownResourceStates.RUNNING
    ) -> ResourceSnapshot:
        """Wait until the resource's snapshot matches: a state name, several, or a predicate."""
        r = self._resource(resource)
        match = _predicate(target)

        def check() -> ResourceSnapshot | None:
            s = self.get_snapshot(r)
            return s if s is not None and match(s) else None

        result: ResourceSnapshot = await self._wait_until(check)
        return result

    def _unavailable(self, dep: IResource, snap: ResourceSnapshot | None) -> str | None:
        if snap is None:
            return None
        state = snap.state_text
        if state == KnownResourceStates.FAILED_TO_START:
            return f"Dependency resource {dep.name!r} failed to start."
        if state in (KnownResourceStates.FINISHED, KnownResourceStates.EXITED, KnownResourceStates.RUNTIME_UNHEALTHY):
            failure = health_failure(snap)
            why = f" (it was unhealthy: {failure})" if failure else ""
            return f"Dependency resource {dep.name!r} entered the {state!r} state prematurely{why}."
        return None

    async def wait_for_resource_healthy(
        self, resource: IResource | str, behavior: WaitBehavior | None = None
    ) -> ResourceSnapshot:
        """Wait until the resource is Running, healthy and its resource-ready handlers finished.

        With ``STOP_ON_RESOURCE_UNAVAILABLE`` (the default here), raises
        :class:`DependencyFailedError` if the resource fails or stops first (saying why it was
        unhealthy, when a check said so).
        """
        r = self._resource(resource)
        behavior = behavior or self.default_wait_behavior
        key = name_key(r.name)

        def check() -> ResourceSnapshot | None:
            snap = self.get_snapshot(r)
            if behavior is WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE:
                problem = self._unavailable(r, snap)
                if problem is not None:
                    raise DependencyFailedError(problem)
            if snap is None or snap.state_text != KnownResourceStates.RUNNING:
                return None
            if snap.health_status is not HealthStatus.HEALTHY:
                return None
            ev = self._ready.get(key)
            if ev is None or not ev.is_set():
                return None
            err = self._ready_error.get(key)
            if err is not None:
                raise DependencyFailedError(
                    f"Dependency resource {r.name!r} became healthy but a resource-ready handler failed: {err}"
                ) from err
            return snap

        result: ResourceSnapshot = await self._wait_until(check)
        return result

    async def wait_for_resource_started(
        self, resource: IResource | str, behavior: WaitBehavior | None = None
    ) -> ResourceSnapshot:
        r = self._resource(resource)
        behavior = behavior or self.default_wait_behavior

        def check() -> ResourceSnapshot | None:
            snap = self.get_snapshot(r)
            if behavior is WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE:
                problem = self._unavailable(r, snap)
                if problem is not None:
                    raise DependencyFailedError(problem)
            return snap if snap is not None and snap.state_text == KnownResourceStates.RUNNING else None

        result: ResourceSnapshot = await self._wait_until(check)
        return result

    async def wait_for_resource_completion(self, resource: IResource | str, exit_code: int = 0) -> ResourceSnapshot:
        r = self._resource(resource)

        def check() -> ResourceSnapshot | None:
            snap = self.get_snapshot(r)
            if snap is None:
                return None
            if snap.state_text == KnownResourceStates.FAILED_TO_START:
                raise DependencyFailedError(f"Dependency resource {r.name!r} failed to start.")
            if KnownResourceStates.is_terminal(snap.state_text) or snap.exit_code is not None:
                if snap.exit_code is None and snap.state_text is not None:
                    # terminal without an exit code (e.g. a custom resource marked Finished)
                    return snap if exit_code == 0 else None
                if snap.exit_code != exit_code:
                    raise DependencyFailedError(
                        f"Resource {r.name!r} has completed with exit code {snap.exit_code}, expected {exit_code}."
                    )
                return snap
            return None

        result: ResourceSnapshot = await self._wait_until(check)
        return result

    async def wait_for_dependencies(self, resource: IResource, on_waiting: Callable[[], None] | None = None) -> None:
        """Satisfy every wait of ``resource`` (in parallel). Raises if one cannot be satisfied."""
        waits = [w for w in resource.annotations.all(WaitAnnotation) if _waitable(w)]
        if not waits:
            return
        if on_waiting is not None:
            on_waiting()
        errors: list[BaseException] = []

        async def one(w: WaitAnnotation) -> None:
            try:
                if w.wait_type is WaitType.WAIT_UNTIL_HEALTHY:
                    await self.wait_for_resource_healthy(w.resource, w.behavior)
                elif w.wait_type is WaitType.WAIT_UNTIL_STARTED:
                    await self.wait_for_resource_started(w.resource, w.behavior)
                else:
                    await self.wait_for_resource_completion(w.resource, w.exit_code)
            except DependencyFailedError as exc:
                errors.append(exc)
                tg.cancel_scope.cancel()

        async with anyio.create_task_group() as tg:
            for w in waits:
                tg.start_soon(one, w)
        if errors:
            raise errors[0]
