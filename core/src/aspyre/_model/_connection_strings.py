"""Connection strings as resources and values: ``add_connection_string`` (composed from values, or supplied from
outside as a parameter) and a resource's connection string used as a value (``ConnectionStringReference``).

Imported where used (``add_connection_string``, a resource with a connection string given as a value, run and publish
mode), not by every app host's builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import attrs

from aspyre._public import present as _present
from aspyre._public import present_top_level as _present_top_level

from ._known import KnownResourceTypes
from ._resources import (
    IResourceWithConnectionString,
    IResourceWithoutLifetime,
    IResourceWithWaitSupport,
    ParameterResource,
    Resource,
)
from ._value_context import ValueContext
from ._values import ReferenceExpression

__all__ = ["ConnectionStringParameterResource", "ConnectionStringReference", "ConnectionStringResource"]


@attrs.define(eq=False, repr=False)
class ConnectionStringParameterResource(ParameterResource, IResourceWithConnectionString):
    """``add_connection_string(name)``: a connection string supplied from outside (``ConnectionStrings__{name}``)."""

    resource_type: ClassVar[str] = KnownResourceTypes.CONNECTION_STRING

    environment_variable: str | None = attrs.field(default=None, kw_only=True)

    @property
    def is_connection_string(self) -> bool:
        """Always ``True``."""
        return True

    @property
    def configuration_key(self) -> str:
        """The environment variable the value is read from: ``ConnectionStrings__{name}``."""
        return f"ConnectionStrings__{self.name}"

    @property
    def value_expression(self) -> str:
        """``{name.connectionString}``, as for every resource with a connection string."""
        return f"{{{self.name}.connectionString}}"

    @property
    def connection_string_expression(self) -> ReferenceExpression:
        """The parameter's value (``{name.value}`` in the manifest)."""
        return ReferenceExpression.format("{}", _ParameterValue(self))

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        """None of its own (``with_connection_property`` adds some)."""
        return ()


@attrs.frozen(eq=False)
class _ParameterValue:
    """The parameter's value as a slot (so a connection-string parameter is not its own reference)."""

    parameter: ParameterResource

    @property
    def value_expression(self) -> str:
        return f"{{{self.parameter.name}.value}}"

    @property
    def references(self) -> Sequence[object]:
        return (self.parameter,)

    async def get_value(self, context: ValueContext) -> str | None:
        return self.parameter.value


@attrs.define(eq=False, repr=False)
class ConnectionStringResource(
    Resource, IResourceWithConnectionString, IResourceWithWaitSupport, IResourceWithoutLifetime
):
    """A connection string composed from other values (``add_connection_string(name, expr)``)."""

    resource_type: ClassVar[str] = KnownResourceTypes.CONNECTION_STRING

    expression: ReferenceExpression = attrs.field(kw_only=True)
    environment_variable: str | None = attrs.field(default=None, kw_only=True)

    @property
    def connection_string_expression(self) -> ReferenceExpression:
        """The expression given to ``add_connection_string``."""
        return self.expression

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        """None of its own (``with_connection_property`` adds some)."""
        return ()


@attrs.frozen(eq=False)
class ConnectionStringReference:
    """A resource's connection string, as a value (``{name.connectionString}`` in manifests)."""

    resource: IResourceWithConnectionString
    optional: bool = False

    @property
    def value_expression(self) -> str:
        """``{name.connectionString}``."""
        return f"{{{self.resource.name}.connectionString}}"

    @property
    def references(self) -> Sequence[object]:
        """The resource whose connection string this is."""
        return (self.resource,)

    async def get_value(self, context: ValueContext) -> str | None:
        """The live connection string; :class:`LookupError` if it is empty and not ``optional``."""
        value = await self.resource.connection_string_expression.get_value(context)
        if not value and not self.optional:
            raise LookupError(f"The connection string for the resource {self.resource.name!r} is not available.")
        return value

    def __repr__(self) -> str:
        return f"ConnectionStringReference({self.resource.name!r})"

    def __eq__(self, other: object) -> bool:
        """References to the same resource object, with the same ``optional``, are equal."""
        if not isinstance(other, ConnectionStringReference):
            return NotImplemented
        return self.resource is other.resource and self.optional == other.optional

    def __hash__(self) -> int:
        return hash((id(self.resource), self.optional))


# aspyre and aspyre.model import these on first use (their _LAZY): they report it however they are reached.
_present_top_level(globals())
_present(globals(), "aspyre.model", names=["ConnectionStringReference"])
