"""The manifest publisher: the app model as an Aspire manifest (``aspire-manifest.json``).

The rules follow Aspire's ``ManifestPublishingContext``: resources in model order, then the
resources that were referenced but are not in the model, then the ``annotated.string``
entries of parameters used with a format (``{pw:uri}``). Values are placeholders, never live
values; paths are relative to the manifest's directory.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from aspyre._model._execution import ExecutionContext, Operation
from aspyre._model._gc import gc_paused
from aspyre._model._graph import DistributedApplicationModel

from ._contract import PublishingContext
from ._manifest_context import ManifestPublishingContext
from ._manifest_writer import ManifestPublishingError, _log, _ManifestWriter
from ._model import Manifest, manifest_to_json

__all__ = [
    "MANIFEST_FILE_NAME",
    "ManifestPublisher",
    "ManifestPublishingContext",
    "ManifestPublishingError",
    "build_manifest",
    "manifest_file_path",
    "write_manifest",
]

#: The file the manifest publisher writes in the output directory.
MANIFEST_FILE_NAME = "aspire-manifest.json"


def manifest_file_path(output_path: Path) -> Path:
    """Where the manifest goes: ``output_path`` itself when it ends in ``.json`` (as azd passes it), else
    ``output_path / "aspire-manifest.json"``."""
    output_path = Path(output_path)
    if output_path.suffix.lower() == ".json":
        return output_path
    return output_path / MANIFEST_FILE_NAME


def _parent_directory(path: Path) -> Path:
    return Path(os.path.dirname(os.path.abspath(path)))


async def build_manifest(
    model: DistributedApplicationModel,
    *,
    manifest_path: Path,
    execution_context: ExecutionContext | None = None,
    logger: logging.Logger | None = None,
) -> Manifest:
    """The manifest of ``model`` as typed data; relative paths are relative to ``manifest_path``'s directory.

    Runs the environment and argument callbacks of each resource with the publish-mode
    ``execution_context``; starts nothing and reads no live value.
    """
    if execution_context is None:
        execution_context = ExecutionContext(Operation.PUBLISH, "manifest", _parent_directory(manifest_path))
    writer = _ManifestWriter(model, manifest_path, execution_context, logger or _log)
    with gc_paused():
        return await writer.write_model()


def write_manifest(manifest: Manifest, path: Path) -> Path:
    """Write ``manifest`` to ``path`` (parent directories created, replaced atomically)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gc_paused():
        text = manifest_to_json(manifest)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class ManifestPublisher:
    """The built-in ``manifest`` publisher: writes ``aspire-manifest.json`` in the output directory.

    Registered like any other publisher, in aspyre's own ``aspyre.publishers`` entry points::

        python apphost.py --publisher manifest --output-path out/
    """

    async def publish(self, context: PublishingContext) -> Path:
        path = manifest_file_path(context.output_path)
        # One pause of the collector for building and writing, the manifest dropped inside it: its many objects
        # are freed by reference counting without the collector ever scanning them.
        with gc_paused():
            manifest = await context.build_manifest(path)
            write_manifest(manifest, path)
            del manifest
        context.logger.info("Published manifest to: %s", path)
        return path
