"""Driving app hosts from tests and tools: load an app host up to ``build()`` without running it.

The pytest fixtures live in :mod:`aspyre.pytest_plugin` (registered automatically through the
``pytest11`` entry point); see ``docs/testing.md``.
"""

from __future__ import annotations

from ._hosting._loading import AppHostLoaded, AppHostNotFoundError, load_app_host
from ._public import present as _present

__all__ = ["AppHostLoaded", "AppHostNotFoundError", "load_app_host"]

_present(globals(), __name__)
