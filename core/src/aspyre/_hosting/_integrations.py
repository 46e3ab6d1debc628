"""Helpers for integrations (``add_redis``, ``add_postgres``...): the rules every integration would
otherwise copy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aspyre._errors import DistributedApplicationException
from aspyre._eventing._events import BeforeStartEvent
from aspyre._model._annotations import ManifestPublishingCallbackAnnotation, MutationBehavior
from aspyre._model._names import validate_name
from aspyre._model._resources import GenerateParameterDefault, ParameterResource
from aspyre._public import present_top_level as _present_top_level

if TYPE_CHECKING:
    from ._builder import DistributedApplicationBuilder

__all__ = [
    "DuplicateResourceError",
    "check_name_available",
    "create_default_password_parameter",
    "create_generated_parameter",
    "exclude_from_manifest_if_unused",
]


class DuplicateResourceError(DistributedApplicationException, ValueError):
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
        from aspyre._model._environment import find_referrers

        if await find_referrers(app.model, parameter, context):
            return
        parameter.annotations.add(ManifestPublishingCallbackAnnotation.ignore(), MutationBehavior.REPLACE)

    builder.eventing.subscribe(BeforeStartEvent, exclude_if_unused)


def create_generated_parameter(
    builder: DistributedApplicationBuilder, name: str, *, secret: bool, default: GenerateParameterDefault
) -> ParameterResource:
    """A parameter whose value is generated (``default``) and kept like every other generated value, not
    added to the model: Aspire's ``CreateGeneratedParameter``.

    Use it for a value an integration's resource holds (a password): when the model uses the parameter,
    ``build()`` adds it after the other resources, so it is shown, resolved (``Parameters__{name}``, the
    secrets store, then a value generated once and saved there) and written to manifests like a parameter
    added with ``builder.add_parameter``. Raises :class:`~aspyre.InvalidNameError` for a bad name.
    """
    validate_name("Resource", name)
    if not isinstance(default, GenerateParameterDefault):
        raise TypeError(f"Parameter {name!r}: default must be a GenerateParameterDefault, not {default!r}")
    parameter = ParameterResource(name, secret=secret, default=default)
    parameter.set_resolver(builder._parameter_resolver)
    return parameter


def create_default_password_parameter(
    builder: DistributedApplicationBuilder,
    name: str,
    *,
    lower: bool = True,
    upper: bool = True,
    numeric: bool = True,
    special: bool = True,
    min_lower: int = 0,
    min_upper: int = 0,
    min_numeric: int = 0,
    min_special: int = 0,
) -> ParameterResource:
    """A secret parameter holding a generated password of 22 characters (128 bits of entropy with every
    class of characters): Aspire's ``CreateDefaultPasswordParameter``. See :func:`create_generated_parameter`.

    ``special=False`` leaves out the characters that would need escaping in a connection string or a URL.
    """
    default = GenerateParameterDefault(
        min_length=22,
        lower=lower,
        upper=upper,
        numeric=numeric,
        special=special,
        min_lower=min_lower,
        min_upper=min_upper,
        min_numeric=min_numeric,
        min_special=min_special,
    )
    return create_generated_parameter(builder, name, secret=True, default=default)


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
