"""The talking clock: a custom aspyre resource with its own lifecycle (skeleton)."""

from __future__ import annotations

from typing import ClassVar

import attrs

import aspyre

__all__ = ["TalkingClockResource", "add_talking_clock"]


@attrs.define(eq=False, repr=False)
class TalkingClockResource(aspyre.Resource):
    """A resource that is neither a container nor a process."""

    resource_type: ClassVar[str] = "TalkingClock"


def add_talking_clock(
    builder: aspyre.DistributedApplicationBuilder, name: str
) -> aspyre.ResourceBuilder[TalkingClockResource]:
    """Add a talking clock."""
    return builder.add_resource(TalkingClockResource(name))
