"""aspyre's version and the version of its plugin API (see ``docs/plugin-api.md``).

A module of its own, below every room, so the plugin registry can check what a plugin asks for
without importing the rest of aspyre.
"""

from __future__ import annotations

__all__ = ["API_VERSION", "__version__"]

#: The version of the aspyre distribution (kept equal to ``core/pyproject.toml``).
__version__ = "0.1.0"

#: The version of the plugin API: aspyre's ``major.minor``. Within one API version nothing a plugin
#: uses (public names, entry-point groups, hook names and arguments) is removed or changed
#: incompatibly; a name that goes away is deprecated for at least one minor release first.
API_VERSION = ".".join(__version__.split(".")[:2])
