"""Replicas and the proxies in front of them.

:class:`Proxies` knows every proxied endpoint of the app: its :class:`~._proxy.EndpointProxy` and the port each
replica listens on. :func:`run_replicas` runs ``with_replicas(n)`` copies of a process: each gets its own
port through the endpoint's ``env=`` variable, its own log stream (log lines carry its ``instance_id``) and
its own :class:`~aspyre.model.ReplicaSnapshot`; the resource's state summarises them, and the proxy sends
connections to the replicas that run.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import string
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .._model._endpoints import EndpointAnnotation
from .._model._resources import IResource
from .._model._snapshot import (
    KnownProperties,
    KnownResourceStates,
    ReplicaSnapshot,
    ResourceSnapshot,
    ResourceStateSnapshot,
    StateStyle,
)
from ._proxy import EndpointProxy
from ._snapshots import env_snapshot

if TYPE_CHECKING:
    from ._logs import ResourceLoggerService
    from ._notifications import ResourceNotificationService
    from ._specs import ProcessSpec
    from ._translate import Resolved

__all__ = ["Proxies", "Target", "run_replicas", "summarise"]

S = KnownResourceStates
#: A proxy and one address it sends connections to.
Target = tuple[EndpointProxy, str, int]


@attrs.define(eq=False)
class _Entry:
    endpoint: EndpointAnnotation
    proxy: EndpointProxy
    target_ports: tuple[int, ...]


class Proxies:
    """The proxied endpoints of one app, by resource."""

    def __init__(self) -> None:
        self._by_resource: dict[int, list[_Entry]] = {}

    def add(self, r: IResource, ep: EndpointAnnotation, proxy: EndpointProxy, target_ports: tuple[int, ...]) -> None:
        self._by_resource.setdefault(id(r), []).append(_Entry(ep, proxy, target_ports))

    def endpoints(self, r: IResource) -> list[str]:
        """The names of *r*'s proxied endpoints."""
        return [e.endpoint.name for e in self._by_resource.get(id(r), ())]

    def proxy(self, r: IResource, endpoint_name: str) -> EndpointProxy | None:
        """The proxy of one endpoint, if it has one."""
        return next((e.proxy for e in self._by_resource.get(id(r), ()) if e.endpoint.name == endpoint_name), None)

    def targets(self, r: IResource, replica: int) -> list[Target]:
        """Where the proxies of *r* send connections for replica number *replica* (a process)."""
        return [(e.proxy, "127.0.0.1", e.target_ports[replica]) for e in self._by_resource.get(id(r), ())]

    def replica_ports(self, r: IResource, replica: int) -> tuple[tuple[str, int], ...]:
        """``(endpoint name, port)`` replica number *replica* listens on."""
        return tuple((e.endpoint.name, e.target_ports[replica]) for e in self._by_resource.get(id(r), ()))

    def replica_env(self, r: IResource, replica: int) -> dict[str, str]:
        """The endpoint variables (``env=``) of replica number *replica*: its own ports."""
        return {
            e.endpoint.env: str(e.target_ports[replica]) for e in self._by_resource.get(id(r), ()) if e.endpoint.env
        }

    def container_targets(self, r: IResource, host_ports: Mapping[tuple[int, str], int]) -> list[Target]:
        """Where the proxies of container *r* send connections: the host ports the engine published."""
        out: list[Target] = []
        for e in self._by_resource.get(id(r), ()):
            port = host_ports.get((e.endpoint.target_port or 0, e.endpoint.protocol.value))
            if port is not None:
                out.append((e.proxy, "127.0.0.1", port))
        return out

    @staticmethod
    def attach(targets: list[Target]) -> None:
        for proxy, host, port in targets:
            proxy.add_backend(host, port)

    @staticmethod
    def detach(targets: list[Target]) -> None:
        for proxy, host, port in targets:
            proxy.remove_backend(host, port)

    def close(self) -> None:
        for entries in self._by_resource.values():
            for e in entries:
                e.proxy.close()


def summarise(replicas: tuple[ReplicaSnapshot, ...], s: ResourceSnapshot) -> ResourceSnapshot:
    """The resource's snapshot with *replicas*: Running while one runs, Finished once all ended, else Starting."""
    states = [r.state_text for r in replicas]
    if S.RUNNING in states:
        running = states.count(S.RUNNING)
        style = StateStyle.SUCCESS if running == len(states) else StateStyle.WARNING
        s = s.with_state(S.RUNNING, style)
    elif all(S.is_terminal(x) for x in states):
        codes = [r.exit_code for r in replicas if r.exit_code is not None]
        failed = next((c for c in codes if c != 0), None)
        s = s.with_state(S.FINISHED, StateStyle.SUCCESS if failed is None else StateStyle.ERROR)
        s = s.evolve(exit_code=0 if failed is None else failed)
    else:
        s = s.with_state(S.STARTING, StateStyle.INFO)
    return s.evolve(replicas=replicas)


def _instance_id(name: str) -> str:
    return f"{name}-{''.join(secrets.choice(string.ascii_lowercase) for _ in range(8))}"


async def run_replicas(
    r: IResource,
    spec: ProcessSpec,
    resolved: Resolved,
    *,
    notifications: ResourceNotificationService,
    loggers: ResourceLoggerService,
    proxies: Proxies,
    created: Callable[[], None],
    run_one: Callable[..., Awaitable[int]],
) -> None:
    """Run the replicas of *r* until all exited, or the run is cancelled (each is then stopped gracefully)."""
    import anyio

    from ._addresses import replica_count

    count = replica_count(r)
    logger: logging.Logger = loggers.get_logger(r)
    replicas = [
        ReplicaSnapshot(
            _instance_id(r.name),
            i,
            ResourceStateSnapshot(S.STARTING, StateStyle.INFO),
            target_ports=proxies.replica_ports(r, i),
        )
        for i in range(count)
    ]
    env = env_snapshot(resolved.env, resolved.secret)

    def publish() -> None:
        current = tuple(replicas)

        def update(s: ResourceSnapshot) -> ResourceSnapshot:
            s = s.with_property(KnownProperties.Executable.ARGS, list(spec.args), is_sensitive=resolved.secret_args)
            return summarise(current, s.evolve(environment_variables=env))

        notifications.publish_update(r, update)

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def one(i: int) -> None:
        replica_id = replicas[i].instance_id
        targets = proxies.targets(r, i)
        own_env = {**spec.env, **proxies.replica_env(r, i)}
        if "OTEL_RESOURCE_ATTRIBUTES" in own_env:  # telemetry: each replica is an instance of its own
            own_env["OTEL_RESOURCE_ATTRIBUTES"] = f"service.instance.id={replica_id}"
        replica_spec = attrs.evolve(spec, env=own_env)

        def on_line(line: str, is_error: bool) -> None:
            loggers.write(r, line, is_error, replica=replica_id)

        def on_started(pid: int) -> None:
            running = ResourceStateSnapshot(S.RUNNING, StateStyle.SUCCESS)
            replicas[i] = attrs.evolve(replicas[i], state=running, pid=pid, start_time_stamp=now())
            proxies.attach(targets)
            publish()
            created()

        def on_exit(code: int) -> None:
            proxies.detach(targets)
            style = StateStyle.SUCCESS if code == 0 else StateStyle.ERROR
            state = ResourceStateSnapshot(S.FINISHED, style)
            replicas[i] = attrs.evolve(replicas[i], state=state, exit_code=code, stop_time_stamp=now())
            publish()
            if code != 0:
                logger.warning("Replica %s exited with code %d", replica_id, code)

        kwargs: dict[str, Any] = {"on_line": on_line, "on_started": on_started, "on_exit": on_exit}
        try:
            await run_one(replica_spec, **kwargs)
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:
            proxies.detach(targets)
            state = ResourceStateSnapshot(S.FAILED_TO_START, StateStyle.ERROR)
            replicas[i] = attrs.evolve(replicas[i], state=state)
            publish()
            logger.error("Replica %s failed to start: %s", replica_id, exc)

    publish()
    async with anyio.create_task_group() as tg:
        for i in range(count):
            tg.start_soon(one, i)
    if all(x.state_text == S.FAILED_TO_START for x in replicas):
        raise RuntimeError(f"none of the {count} replicas of {r.name!r} started")
