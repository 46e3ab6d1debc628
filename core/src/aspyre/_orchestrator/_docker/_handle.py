"""A container the runtime follows."""

from __future__ import annotations

import attrs

from ._monitor import Monitor

__all__ = ["ContainerHandle"]


@attrs.define(eq=False)
class ContainerHandle:
    """A container the runtime started (or reused), as returned by :meth:`ContainerRuntime.start_container`."""

    id: str
    name: str
    resource_name: str
    #: True when an existing persistent container was reused: followed as it ran, or started again.
    reused: bool
    persistent: bool
    #: ``(target_port, protocol) -> host port`` on 127.0.0.1, read back from the engine after start.
    host_ports: dict[tuple[int, str], int]
    image_id: str
    config_hash: str
    network_aliases: tuple[str, ...]
    _monitor: Monitor = attrs.field(repr=False, alias="monitor")
    _anonymous_volumes: tuple[str, ...] = attrs.field(default=(), repr=False, alias="anonymous_volumes")
    _removed: bool = attrs.field(default=False, repr=False, alias="removed")

    @property
    def exit_code(self) -> int | None:
        """The exit code once the container exited (as seen by its output thread), else ``None``."""
        return self._monitor.exit_code
