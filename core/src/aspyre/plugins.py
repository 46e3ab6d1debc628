"""Writing plugins: hook implementations, extension methods, the entry-point registry, integration helpers.

A distribution extends aspyre through entry points (``aspyre.builder_methods``,
``aspyre.resource_methods``, ``aspyre.hooks``, ``aspyre.publishers``); see
``docs/writing-an-integration.md``, ``docs/writing-a-lifecycle-extension.md`` and, for the versions a
plugin declares and the deprecation policy, ``docs/plugin-api.md`` (:data:`API_VERSION`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING

from ._eventing._hookspecs import HookSpecs, hookimpl, hookspec
from ._hosting._config import SecretsStore
from ._hosting._extensions import StubsOutOfDateWarning
from ._hosting._integrations import (
    check_name_available,
    create_default_password_parameter,
    create_generated_parameter,
    exclude_from_manifest_if_unused,
)
from ._hosting._resource_builder import parse_image, volume_name
from ._plugin_selection import PluginSelection
from ._plugins import (
    PluginConflictError,
    PluginEntry,
    PluginHookError,
    PluginLoadError,
    PluginRegistry,
    PluginValidationError,
    registry,
    resource_extension,
)
from ._public import lazy_exports
from ._public import present as _present
from ._version import API_VERSION

if _TYPE_CHECKING:
    from ._hosting._plugin_check import PluginProblem, check_plugins

__all__ = [
    "API_VERSION",
    "HookSpecs",
    "PluginConflictError",
    "PluginEntry",
    "PluginHookError",
    "PluginLoadError",
    "PluginProblem",
    "PluginRegistry",
    "PluginSelection",
    "PluginValidationError",
    "SecretsStore",
    "StubsOutOfDateWarning",
    "check_name_available",
    "check_plugins",
    "create_default_password_parameter",
    "create_generated_parameter",
    "exclude_from_manifest_if_unused",
    "hookimpl",
    "hookspec",
    "lazy_exports",
    "parse_image",
    "registry",
    "resource_extension",
    "volume_name",
]

#: Names an app host's builder does not need, imported on first use (``aspyre plugins --check`` and tests use them).
_LAZY: dict[str, str] = dict.fromkeys(["PluginProblem", "check_plugins"], "._hosting._plugin_check")

_present(globals(), __name__)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
