"""The JavaScript app resource types (Aspire's ``JavaScriptAppResource``, ``NodeAppResource``, ``ViteAppResource``)."""

from __future__ import annotations

from typing import ClassVar

import attrs

import aspyre

__all__ = ["JavaScriptAppResource", "NodeAppResource", "NpmAnnotation", "ViteAppResource"]


@attrs.define(eq=False, repr=False)
class JavaScriptAppResource(aspyre.ExecutableResource):
    """A JavaScript app run by a package manager's script (``npm run start``), in its directory."""

    resource_type: ClassVar[str] = "JavaScriptApp"


@attrs.define(eq=False, repr=False)
class NodeAppResource(JavaScriptAppResource):
    """A Node.js script run by ``node`` (``node server.js``)."""

    resource_type: ClassVar[str] = "NodeApp"


@attrs.define(eq=False, repr=False)
class ViteAppResource(JavaScriptAppResource):
    """A Vite dev server (``npm run dev -- --port <port>``)."""

    resource_type: ClassVar[str] = "ViteApp"


@attrs.frozen
class NpmAnnotation(aspyre.annotations.ResourceAnnotation):
    """The app's packages come from npm (``with_npm()``).

    ``install_command``: ``ci`` or ``install`` (``None``: ``ci`` when a lockfile is there when the install
    runs, else ``install``); ``install_args`` are added to it; ``install=False``: no install step.
    """

    install: bool = True
    install_command: str | None = None
    install_args: tuple[str, ...] = ()
