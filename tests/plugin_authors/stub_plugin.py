"""Extension methods with every kind of signature the stub renderer must write (``test_stub_render.py``)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import aspyre

if TYPE_CHECKING:
    from decimal import Decimal

R = TypeVar("R", aspyre.ContainerResource, aspyre.ExecutableResource)
T = TypeVar("T")


class Speed(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


def add_widget(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    /,
    size: int = 1,
    *tags: str,
    mode: Literal["a", "b"] = "a",
    speed: Speed = Speed.FAST,
    on_ready: Callable[[aspyre.ResourceBuilder[aspyre.ContainerResource]], None] | None = None,
    **extra: object,
) -> aspyre.ResourceBuilder[aspyre.ContainerResource]:
    """Add a widget.

    With a second paragraph, and a "quoted" word and a \\ backslash.
    """
    return builder.add_container(name, "widget")


def add_untyped(builder, name, count=3):  # type: ignore[no-untyped-def]
    return None


def add_precise(builder: aspyre.DistributedApplicationBuilder, amount: Decimal) -> None:
    """Only typed under TYPE_CHECKING: the annotation cannot be evaluated."""


@overload
def add_either(builder: aspyre.DistributedApplicationBuilder, name: str) -> str: ...
@overload
def add_either(builder: aspyre.DistributedApplicationBuilder, name: str, count: int) -> int: ...
def add_either(builder: aspyre.DistributedApplicationBuilder, name: str, count: int | None = None) -> str | int:
    return name if count is None else count


async def add_later(builder: aspyre.DistributedApplicationBuilder, name: str) -> tuple[int, ...]:
    return ()


def add_generic(builder: aspyre.DistributedApplicationBuilder, value: T) -> list[T]:
    return [value]


@aspyre.plugins.resource_extension(aspyre.ContainerResource, aspyre.ExecutableResource)
def with_label(
    builder: aspyre.ResourceBuilder[R], label: str, check: Callable[[R], bool] | None = None
) -> aspyre.ResourceBuilder[R]:
    """Label it."""
    return builder


@aspyre.plugins.resource_extension(aspyre.ParameterResource)
def with_note(builder: aspyre.ResourceBuilder[aspyre.ParameterResource], note: str) -> aspyre.ResourceBuilder[Any]:
    return builder


#: The module ``with_lazy`` names its second resource type in: imported by ``aspyre stubs``, not by this module.
LAZY_TYPE = f"{__name__.rpartition('.')[0]}.stub_lazy:LazyResource"


@aspyre.plugins.resource_extension(aspyre.ParameterResource, LAZY_TYPE)
def with_lazy(builder: aspyre.ResourceBuilder[Any], level: int) -> None:
    return None


@aspyre.plugins.resource_extension("no_such_module_anywhere:Thing")
def with_missing_type(builder: aspyre.ResourceBuilder[Any]) -> None:
    return None


@aspyre.plugins.resource_extension(aspyre.PythonAppResource)
def with_shadowing(builder: Any, **settings: int) -> None:
    return None


def with_undeclared(builder: Any) -> None:
    return None
