"""What a manifest-writing callback receives: :class:`ManifestPublishingContext`."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aspyre._model._execution import ExecutionContext
from aspyre._model._resources import IResource

from ._model import ManifestBinding, ManifestContainer, ManifestResource, manifest_converter

if TYPE_CHECKING:
    from ._manifest_writer import _ManifestWriter

__all__ = ["ManifestPublishingContext"]


class ManifestPublishingContext:
    """What a manifest-writing callback (``with_manifest_publishing_callback``) receives.

    Fill :attr:`entry` (a JSON object, at least ``type``) or pass a typed entry to
    :meth:`write`. The helpers give the pieces aspyre writes itself, already as manifest
    expressions::

        async def as_worker(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
            entry = await ctx.default_entry()             # what aspyre would write
            ctx.write(attrs.evolve(entry, bindings=None))  # ...without the bindings

        def as_queue(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
            ctx.entry["type"] = "acme.queue.v0"
            ctx.entry["connectionString"] = ctx.expression(queue_url)
    """

    def __init__(self, writer: _ManifestWriter, resource: IResource) -> None:
        self._writer = writer
        self.resource = resource
        #: The JSON object written for the resource; keys in the order they are set.
        self.entry: dict[str, Any] = {}

    @property
    def execution_context(self) -> ExecutionContext:
        return self._writer.execution_context

    @property
    def manifest_path(self) -> Path:
        """The manifest file being written (absolute)."""
        return self._writer.manifest_path

    @property
    def output_path(self) -> Path:
        """The directory of the manifest: relative paths in the manifest are relative to it."""
        return self._writer.manifest_dir

    @property
    def logger(self) -> logging.Logger:
        return self._writer.logger

    def write(self, entry: ManifestResource | dict[str, Any]) -> None:
        """Replace :attr:`entry` with ``entry`` (a typed manifest entry or a JSON object)."""
        if isinstance(entry, dict):
            self.entry = dict(entry)
        else:
            self.entry = manifest_converter().unstructure(entry, type(entry))

    def relative_path(self, path: str | os.PathLike[str]) -> str:
        """``path`` relative to the manifest's directory, with ``/`` separators."""
        return self._writer.relative_path(path)

    def expression(self, value: object) -> str:
        """The manifest form of a value (literal, parameter, endpoint, ReferenceExpression...).

        Resources the value refers to are noted, so that they are written even if they are not
        in the model, and parameters used with a format get their ``annotated.string`` entry.
        """
        self._writer.track(value)
        return self._writer.expression(value)

    async def environment(self, resource: IResource | None = None) -> dict[str, str]:
        """The environment of ``resource`` (default: this one), callbacks run, values as placeholders."""
        return await self._writer.environment(resource or self.resource)

    async def arguments(self, resource: IResource | None = None) -> list[str]:
        """The arguments of ``resource`` (default: this one), as manifest expressions."""
        return await self._writer.arguments(resource or self.resource)

    def bindings(self, resource: IResource | None = None) -> dict[str, ManifestBinding]:
        """The bindings of ``resource``'s endpoints (ports allocated as Aspire does)."""
        return self._writer.bindings(resource or self.resource)

    def connection_string(self, resource: IResource | None = None) -> str | None:
        """The connection string expression of ``resource``, or ``None`` if it has none."""
        return self._writer.connection_string(resource or self.resource)

    async def default_entry(self, resource: IResource | None = None) -> ManifestResource:
        """The entry aspyre writes for ``resource`` (default: this one) when there is no callback."""
        return await self._writer.default_entry(resource or self.resource)

    async def container_entry(self, resource: IResource | None = None) -> ManifestContainer:
        """A ``container.v0``/``container.v1`` entry for ``resource`` (it needs an image or a Dockerfile)."""
        return await self._writer.container_entry(resource or self.resource)

    def __repr__(self) -> str:
        return f"ManifestPublishingContext({self.resource.name!r})"
