"""The commands a resource offers (``with_command``; ``app.execute_command`` and a dashboard run them).

Imported by ``with_command`` and run mode, not by every app host's builder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from aspyre._public import present as _present

from ._annotations import ResourceAnnotation

__all__ = ["ResourceCommandAnnotation"]


@attrs.frozen
class ResourceCommandAnnotation(ResourceAnnotation):
    """A named command that can be run against the resource (``app.execute_command``)."""

    name: str
    display_name: str
    execute: Callable[..., Any]
    description: str | None = None
    #: ``snapshot -> "enabled" | "disabled" | "hidden"``
    update_state: Callable[[Any], str] | None = None
    #: Asked before running the command (a dashboard shows it in a confirmation dialog).
    confirmation_message: str | None = None
    #: Shown as a button of its own rather than in a menu.
    is_highlighted: bool = False


_present(globals(), "aspyre.annotations")
