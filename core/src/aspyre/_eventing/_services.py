"""Services by type: the Python answer to Aspire's ``IServiceProvider`` (``builder.Services``, ``event.Services``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar, overload

__all__ = ["ServiceRegistry"]

T = TypeVar("T")


class ServiceRegistry:
    """Objects an app host, its integrations and its plugins share, looked up by class.

    Aspire hands every event an ``IServiceProvider``; aspyre has no dependency-injection container, so
    ``builder.services`` (the same object as ``app.services`` and ``event.services``) is a small typed
    registry instead. The app registers itself, its builder, its model, its eventing bus and its
    execution context; integrations add what they share::

        builder.services.add(MyClient(...))
        client = event.services.get(MyClient)          # typed: MyClient

    Keys are classes, matched exactly (register under a base class with ``as_type=``). Protocols cannot
    be keys: type checkers reject them as ``type[T]``; the app's notification and logger services are
    attributes of the app and of the events instead.
    """

    __slots__ = ("_services",)

    def __init__(self) -> None:
        self._services: dict[type, object] = {}

    def add(self, service: T, *, as_type: type[T] | None = None, replace: bool = False) -> T:
        """Register ``service`` under its class (or ``as_type``); returns it.

        Registering a second service under the same class raises :class:`ValueError` unless ``replace``.
        """
        key = type(service) if as_type is None else as_type
        if not isinstance(key, type):
            raise TypeError(f"services are registered under a class, not {key!r}")
        if not isinstance(service, key):
            raise TypeError(f"{service!r} is not an instance of {key.__name__}")
        if key in self._services and not replace and self._services[key] is not service:
            raise ValueError(
                f"A {key.__name__} service is already registered; pass replace=True to replace it"
            )
        self._services[key] = service
        return service

    @overload
    def get(self, service_type: type[T]) -> T: ...
    @overload
    def get(self, service_type: type[T], default: T) -> T: ...
    def get(self, service_type: type[T], default: Any = ...) -> T:
        """The service registered under ``service_type``; :class:`LookupError` naming the registered ones
        if there is none (or ``default``, when given)."""
        found = self._services.get(service_type)
        if found is None:
            if default is not ...:
                return default  # type: ignore[no-any-return]
            known = ", ".join(sorted(t.__name__ for t in self._services)) or "none"
            raise LookupError(
                f"No {getattr(service_type, '__name__', service_type)} service is registered (registered: {known}); "
                "add it with builder.services.add(...)"
            )
        return found  # type: ignore[return-value]

    def find(self, service_type: type[T]) -> T | None:
        """The service registered under ``service_type``, or ``None``."""
        return self._services.get(service_type)  # type: ignore[return-value]

    def remove(self, service_type: type) -> None:
        """Forget the service registered under ``service_type`` (if any)."""
        self._services.pop(service_type, None)

    def __contains__(self, service_type: object) -> bool:
        return service_type in self._services

    def __iter__(self) -> Iterator[type]:
        """The registered classes, in the order they were first registered."""
        return iter(list(self._services))

    def __len__(self) -> int:
        return len(self._services)

    def __repr__(self) -> str:
        return f"ServiceRegistry({[t.__name__ for t in self._services]})"
