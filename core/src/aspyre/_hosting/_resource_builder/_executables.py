"""Executables: how a process runs (Aspire's ``ExecutableResourceBuilderExtensions``).

``self`` is annotated with a builder of :class:`ExecutableResource` (Python apps included), so type
checkers reject these methods on other builders; they also check at run time.
"""

from __future__ import annotations

import os
from typing import TypeVar

from aspyre._model._annotations import MutationBehavior
from aspyre._model._resources import ExecutableResource

from ._base import R_co, ResourceBuilderBase, check_type, invalid, require_type

__all__ = ["ExecutableMethods"]

#: A builder of an executable (or of a subclass: ``ResourceBuilder[PythonAppResource]``).
_EB = TypeVar("_EB", bound="ResourceBuilderBase[ExecutableResource]")


class ExecutableMethods(ResourceBuilderBase[R_co]):
    """``with_working_directory``, ``with_replicas``."""

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

    def with_replicas(self: _EB, replicas: int) -> _EB:
        """Run ``replicas`` copies of the process behind each of its endpoints (Aspire's ``WithReplicas``).

        Each endpoint's proxy listens on the endpoint's one address and spreads connections over the copies
        that run (round-robin); each copy listens on a port of its own, handed over through the endpoint's
        ``env=`` variable, so every endpoint needs ``env=`` and no fixed ``target_port`` (``build()`` checks).
        Snapshots show each copy (``snapshot.replicas``), log lines say which copy wrote them (``line.replica``).
        """
        from aspyre._model._endpoint_runtime import ReplicaAnnotation
        resource = self.resource
        require_type(resource, (ExecutableResource,), "an executable resource (ExecutableResource)", "with_replicas")
        check_type(resource, "with_replicas", "replicas", replicas, int, "an int >= 1")
        if replicas < 1:
            raise invalid(resource, "with_replicas", f"replicas must be at least 1, not {replicas}")
        return self.with_annotation(ReplicaAnnotation(replicas), MutationBehavior.REPLACE)
