"""What deployment targets need to know about a resource that run mode does not: probes and files.

Run mode checks health with :class:`~aspyre.HealthCheckAnnotation` callables that run in the app
host. A deployed container is checked by its engine instead (a Compose ``healthcheck``, a
Kubernetes readiness probe), which can only run a command inside the container or call one of
its endpoints. Integrations describe that here, as data, once for every engine:

* :class:`EndpointProbeAnnotation`: ``GET`` a path on an HTTP endpoint (Aspire's ``WithHttpProbe``);
  ``with_http_health_check`` adds one for the same path;
* :class:`CommandProbeAnnotation`: run a command in the container; exit code 0 means healthy
  (``redis-cli ping``, ``pg_isready``);
* :class:`DeploymentFileAnnotation`: a file the deployed container needs (an init script),
  written by the publisher next to its output and mounted read-only (Kubernetes: a ConfigMap).

Publishers that deploy containers (``aspyre-docker-compose``, ``aspyre-kubernetes``) read them;
the manifest publisher and run mode ignore them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

from ._annotations import ResourceAnnotation

__all__ = [
    "CommandProbeAnnotation",
    "ProbeAnnotation",
    "ProbeType",
]

# EndpointProbeAnnotation and DeploymentFileAnnotation live in _deployment_extras: only some resources carry them
# (with_http_health_check, Postgres' init script), so they stay off an app host's builder path until used.


class ProbeType(enum.Enum):
    """When a deployment target runs a probe (Kubernetes' three kinds; Compose knows readiness only)."""

    #: Until it first succeeds; the other probes wait for it.
    STARTUP = "startup"
    #: Decides whether the resource receives traffic, and whether waiting resources may start.
    READINESS = "readiness"
    #: Failing repeatedly restarts the container.
    LIVENESS = "liveness"


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"probe {attribute.name} must be a positive number, got {value!r}")


def _not_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"probe {attribute.name} must be a number >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class ProbeAnnotation(ResourceAnnotation):
    """Base of the probes: when it runs and how often (seconds), and how many failures count.

    Aspire's names: ``initial_delay`` (``initialDelaySeconds``, Compose ``start_period``),
    ``period`` (``periodSeconds``, Compose ``interval``), ``timeout``, ``failure_threshold``
    (Compose ``retries``).
    """

    type: ProbeType = ProbeType.READINESS
    initial_delay: float = attrs.field(default=0.0, validator=_not_negative)
    period: float = attrs.field(default=5.0, validator=_positive)
    timeout: float = attrs.field(default=3.0, validator=_positive)
    failure_threshold: int = attrs.field(default=10, validator=_positive)


def _argv(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _check_command(value: tuple[str, ...]) -> None:
    if not value or not all(isinstance(a, str) for a in value):
        raise ValueError(f"a command probe needs a non-empty list of strings, got {value!r}")


@attrs.frozen(kw_only=True)
class CommandProbeAnnotation(ProbeAnnotation):
    """Healthy when ``command`` exits with 0 inside the container (exec form: argv, no shell).

    Use ``("/bin/sh", "-c", "...")`` to read the container's environment (``"$REDIS_PASSWORD"``):
    secrets then stay out of the deployment files.
    """

    command: tuple[str, ...] = attrs.field(converter=_argv, validator=lambda _, __, value: _check_command(value))
