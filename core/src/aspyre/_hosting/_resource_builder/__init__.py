"""The fluent resource builder, one module per concern (as Aspire keeps one
``*ResourceBuilderExtensions`` class per concern):

* ``_base``: the resource, its app builder, ``with_annotation``, relationships, capability checks;
* ``_environment``: environment, arguments, connection properties, references;
* ``_endpoints``: endpoints;
* ``_lifecycle``: waits, explicit start, events, commands, relationships, initial state,
  manifest publishing callbacks;
* ``_urls``: URLs and icons shown for the resource;
* ``_health``: health checks;
* ``_containers``: image, mounts, lifetime, runtime options, Dockerfile (containers only), and
  ``parse_image`` / ``volume_name``;
* ``_executables``: working directory (executables only);
* ``_python``: environment, package installs, debugpy, instrumentation (Python apps only).

:class:`ResourceBuilder` combines them, and looks up the methods of installed integrations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aspyre._public import present_top_level as _present_top_level

from .._typed_extensions import ResourceBuilderExtensionMethods
from ._base import R_co
from ._containers import ContainerMethods, parse_image, volume_name
from ._endpoints import EndpointMethods
from ._environment import EnvironmentMethods
from ._executables import ExecutableMethods
from ._health import HealthMethods
from ._lifecycle import LifecycleMethods
from ._python import PythonMethods
from ._urls import UrlMethods

__all__ = ["ResourceBuilder", "parse_image", "volume_name"]


class ResourceBuilder(
    EnvironmentMethods[R_co],
    EndpointMethods[R_co],
    LifecycleMethods[R_co],
    UrlMethods[R_co],
    HealthMethods[R_co],
    ContainerMethods[R_co],
    ExecutableMethods[R_co],
    PythonMethods[R_co],
    ResourceBuilderExtensionMethods[R_co],
):
    """Fluent configuration of one resource: ``builder.add_container(...).with_endpoint(...)``.

    Every ``with_*`` method adds annotations to :attr:`resource` and returns the same builder.
    A method that needs a capability the resource lacks raises :class:`TypeError` naming it;
    the container methods (``with_image``, ``with_volume``...) exist for type checkers only on
    builders of containers (``ResourceBuilder[ContainerResource]`` and its subclasses), and
    ``with_working_directory`` only on builders of executables, ``with_uv``, ``with_pip``, ``with_debugpy``...
    only on builders of Python apps. Methods of installed integrations (``with_persistence``...) are found
    through entry points (``aspyre stubs`` makes them known to type checkers).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ResourceBuilder({self._resource!r})"

    if not TYPE_CHECKING:  # type checkers see the methods of ResourceBuilderExtensionMethods instead

        def __getattr__(self, name: str) -> Any:
            """Find ``name`` among the installed resource-builder extension methods (entry points)."""
            if name.startswith("_"):
                raise AttributeError(name)
            from .._extensions import resource_method  # imports this package: not at the top

            return resource_method(self, name)


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
