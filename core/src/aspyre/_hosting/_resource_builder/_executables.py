"""Executables: how a process runs (Aspire's ``ExecutableResourceBuilderExtensions``).

``self`` is annotated with a builder of :class:`ExecutableResource` (Python apps included), so type
checkers reject these methods on other builders; they also check at run time.
"""

from __future__ import annotations

import os
from typing import TypeVar

from aspyre._model._resources import ExecutableResource

from ._base import R_co, ResourceBuilderBase, invalid, require_type

__all__ = ["ExecutableMethods"]

#: A builder of an executable (or of a subclass: ``ResourceBuilder[PythonAppResource]``).
_EB = TypeVar("_EB", bound="ResourceBuilderBase[ExecutableResource]")


class ExecutableMethods(ResourceBuilderBase[R_co]):
    """``with_working_directory``."""

    __slots__ = ()

    def with_working_directory(self: _EB, path: str | os.PathLike[str]) -> _EB:
        """Run the process in ``path`` (``~`` is expanded; a relative path is taken from the app host's directory)."""
        resource = self.resource
        require_type(resource, (ExecutableResource,), "an executable resource (ExecutableResource)", "with_working_directory")
        try:
            resource.working_dir = self.application_builder.resolve_path(path)
        except (TypeError, ValueError) as exc:
            raise invalid(resource, "with_working_directory", str(exc), type(exc)) from None
        return self
