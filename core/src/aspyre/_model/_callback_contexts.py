"""What the model's callbacks receive when run or publish mode computes a resource: the contexts of environment
and arguments callbacks, and of health checks, and what a health check returns.

Imported where a callback is called (run and publish mode, a health check), not by an app host's builder: the
builder only stores the callbacks.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import attrs

from aspyre._public import present as _present
from aspyre._public import present_top_level as _present_top_level

if TYPE_CHECKING:
    from ._resources import IResource

__all__ = [
    "CommandLineArgsCallbackContext",
    "EnvironmentCallbackContext",
    "HealthCheckContext",
    "HealthCheckResult",
    "HealthStatus",
]


@attrs.define
class EnvironmentCallbackContext:
    """What an environment callback receives; it writes into ``environment``."""

    resource: IResource
    environment: dict[str, object]
    execution_context: Any
    logger: Any = None


@attrs.define
class CommandLineArgsCallbackContext:
    """What an arguments callback receives; it edits ``args`` (literals or deferred values)."""

    resource: IResource
    args: list[object]
    execution_context: Any
    logger: Any = None


class HealthStatus(enum.Enum):
    """Aspire's health statuses, ordered from worst to best."""

    UNHEALTHY = "Unhealthy"
    DEGRADED = "Degraded"
    HEALTHY = "Healthy"

    @property
    def rank(self) -> int:
        return {"Unhealthy": 0, "Degraded": 1, "Healthy": 2}[self.value]


@attrs.frozen
class HealthCheckResult:
    """What a health check returns: a status, and optionally why."""

    status: HealthStatus
    description: str | None = None
    exception: str | None = None

    @classmethod
    def healthy(cls, description: str | None = None) -> HealthCheckResult:
        return cls(HealthStatus.HEALTHY, description)

    @classmethod
    def unhealthy(cls, description: str | None = None, exception: BaseException | None = None) -> HealthCheckResult:
        return cls(HealthStatus.UNHEALTHY, description, None if exception is None else repr(exception))

    @classmethod
    def degraded(cls, description: str | None = None) -> HealthCheckResult:
        return cls(HealthStatus.DEGRADED, description)


@attrs.define
class HealthCheckContext:
    """What a health check receives: the resource it checks and the resource being reported."""

    resource: IResource
    app: Any = None


# aspyre.annotations and aspyre import these on first use (their _LAZY): they report it however they are reached.
_present(globals(), "aspyre.annotations", names=["CommandLineArgsCallbackContext", "EnvironmentCallbackContext"])
_present_top_level(globals())
