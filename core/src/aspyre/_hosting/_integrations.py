"""Helpers for integrations (``add_redis``, ``add_postgres``...): the rules every integration would
otherwise copy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aspyre._eventing._events import BeforeStartEvent
from aspyre._model._annotations import ManifestPublishingCallbackAnnotation, MutationBehavior
from aspyre._model._environment import find_referrers
from aspyre._model._names import validate_name
from aspyre._model._resources import ParameterResource

if TYPE_CHECKING:
    from ._builder import DistributedApplicationBuilder

__all__ = ["DuplicateResourceError", "check_name_available", "exclude_from_manifest_if_unused"]


class DuplicateResourceError(ValueError):
    """A resource with the same (case-insensitive) name is already in the model."""


def check_name_available(
    builder: DistributedApplicationBuilder, name: str, resource_type: type | str, *, hint: str | None = None
) -> None:
    """Raise unless a resource called ``name`` can be added: the name must be valid and unused.

    ``resource_type`` (a class or its name) is the type about to be added, for the message. An
    integration that adds several resources (a server and its generated password parameter) checks
    every name first, so that a clash leaves nothing behind. Raises :class:`~aspyre.InvalidNameError`
    for a bad name and :class:`DuplicateResourceError` (ending with ``hint``, if given) for a name
    that is taken; names are compared case-insensitively.
    """
    validate_name("Resource", name)
    existing = builder._lookup(name)
    if existing is None:
        return
    type_name = resource_type if isinstance(resource_type, str) else resource_type.__name__
    raise DuplicateResourceError(
        f"Cannot add resource of type {type_name} with name {name!r} because resource of type "
        f"{type(existing).__name__} with that name already exists. Resource names are case-insensitive."
        + (f" {hint}" if hint else "")
    )


def exclude_from_manifest_if_unused(builder: DistributedApplicationBuilder, parameter: ParameterResource) -> None:
    """In publish mode, leave ``parameter`` out of the manifest when no resource uses it.

    For a parameter an integration generated (a password) that the app host may replace
    (``with_password(...)``): a deployment tool should then not be asked for an unused secret. The
    check runs before the app starts publishing (``BeforeStartEvent``), when the model is complete;
    run mode is unaffected.
    """
    if not isinstance(parameter, ParameterResource):
        raise TypeError(f"exclude_from_manifest_if_unused() takes a parameter resource, not {parameter!r}")

    async def exclude_if_unused(event: BeforeStartEvent) -> None:
        app = event.app
        context = app.execution_context
        if not context.is_publish_mode:
            return
        if await find_referrers(app.model, parameter, context):
            return
        parameter.annotations.add(ManifestPublishingCallbackAnnotation.ignore(), MutationBehavior.REPLACE)

    builder.eventing.subscribe(BeforeStartEvent, exclude_if_unused)
