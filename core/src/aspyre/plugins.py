"""Writing plugins: hook implementations, extension methods, the entry-point registry, integration helpers.

A distribution extends aspyre through entry points (``aspyre.builder_methods``,
``aspyre.resource_methods``, ``aspyre.hooks``, ``aspyre.publishers``); see
``docs/writing-an-integration.md`` and ``docs/writing-a-lifecycle-extension.md``.
"""

from __future__ import annotations

from ._eventing._hookspecs import HookSpecs, hookimpl, hookspec
from ._hosting._config import SecretsStore
from ._hosting._integrations import (
    check_name_available,
    create_default_password_parameter,
    create_generated_parameter,
    exclude_from_manifest_if_unused,
)
from ._hosting._resource_builder import parse_image, volume_name
from ._plugins import PluginEntry, PluginHookError, PluginLoadError, PluginRegistry, registry, resource_extension
from ._public import present as _present

__all__ = [
    "HookSpecs",
    "PluginEntry",
    "PluginHookError",
    "PluginLoadError",
    "PluginRegistry",
    "SecretsStore",
    "check_name_available",
    "create_default_password_parameter",
    "create_generated_parameter",
    "exclude_from_manifest_if_unused",
    "hookimpl",
    "hookspec",
    "parse_image",
    "registry",
    "resource_extension",
    "volume_name",
]

_present(globals(), __name__)
