"""JavaScript apps for aspyre: ``builder.add_node_app(...)``, ``add_npm_app(...)``, ``add_vite_app(...)``.

Installed, it adds those to the app builder and ``with_npm`` to the builders of JavaScript apps (through
entry points: app hosts do not import this package). Apps with a ``package.json`` get their packages
installed before they start (state ``Installing``), again only when the package files changed. See
``docs/apps.md``.
"""

from __future__ import annotations

from ._builder import add_node_app, add_npm_app, add_vite_app, with_npm
from ._resources import JavaScriptAppResource, NodeAppResource, NpmAnnotation, ViteAppResource

__all__ = [
    "JavaScriptAppResource",
    "NodeAppResource",
    "NpmAnnotation",
    "ViteAppResource",
    "add_node_app",
    "add_npm_app",
    "add_vite_app",
    "with_npm",
]
