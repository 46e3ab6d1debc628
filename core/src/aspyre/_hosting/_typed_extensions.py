"""What type checkers know of the extension methods installed plugins add: the classes ``aspyre stubs`` fills in.

:class:`~aspyre.DistributedApplicationBuilder` and :class:`~aspyre.ResourceBuilder` derive from the two
classes here. At run time they are empty: the methods are found by ``__getattr__`` among the entry points
(:mod:`aspyre._hosting._extensions`). For type checkers, as written here, any other attribute is ``Any``.

``aspyre stubs`` writes a partial stub package (PEP 561, ``aspyre-stubs``) holding only this module: the
same classes with one method per installed extension method, with the plugin function's real signature
(the builder argument becomes ``self``) and docstring. mypy and pyright then check every call, infer
``ResourceBuilder[RedisResource]`` from ``builder.add_redis(...)``, and report unknown names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aspyre._model._resources import IResource

__all__ = ["BuilderExtensionMethods", "ResourceBuilderExtensionMethods"]

R_co = TypeVar("R_co", bound=IResource, covariant=True)


class BuilderExtensionMethods:
    """The ``aspyre.builder_methods`` of the installed plugins, for type checkers (see the module)."""

    __slots__ = ()

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


class ResourceBuilderExtensionMethods(Generic[R_co]):
    """The ``aspyre.resource_methods`` of the installed plugins, for type checkers (see the module)."""

    __slots__ = ()

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...
