"""Run mode or publish mode."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

from aspyre._public import present_top_level as _present_top_level

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ExecutionContext", "Operation"]


class Operation(enum.Enum):
    """What the app host was asked to do."""

    RUN = "run"
    PUBLISH = "publish"


@attrs.frozen
class ExecutionContext:
    """Whether the app host runs the app or publishes it, and with which publisher.

    Decided once, from the command line, when the builder is created::

        python apphost.py                                   # run mode
        python apphost.py --publisher manifest --output-path out/   # publish mode
        python apphost.py --publisher docker-compose --parameter api-key=... --output-path out/
    """

    operation: Operation = Operation.RUN
    publisher_name: str | None = None
    output_path: Path | None = None
    #: Publish mode: parameter values given with ``--parameter NAME=VALUE``, in order (never shown in a repr).
    parameters: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=False)

    @property
    def parameter_values(self) -> dict[str, str]:
        """``--parameter`` values by parameter name (the last one given wins)."""
        return dict(self.parameters)

    @property
    def is_run_mode(self) -> bool:
        return self.operation is Operation.RUN

    @property
    def is_publish_mode(self) -> bool:
        return self.operation is Operation.PUBLISH


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
