"""Driving app hosts from tests and tools: load an app host up to ``build()`` without running it; test a
plugin without installing it (:class:`PluginTester`).

The pytest fixtures live in :mod:`aspyre.pytest_plugin` (registered automatically through the
``pytest11`` entry point): ``aspyre_app_factory``, ``aspyre_plugins``; see ``docs/testing.md`` and
``docs/writing-an-integration.md``.
"""

from __future__ import annotations

from ._hosting._loading import AppHostLoaded, AppHostNotFoundError, load_app_host
from ._hosting._plugin_testing import PluginTester
from ._public import present as _present

__all__ = ["AppHostLoaded", "AppHostNotFoundError", "PluginTester", "load_app_host"]

_present(globals(), __name__)
