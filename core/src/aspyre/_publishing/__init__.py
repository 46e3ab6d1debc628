"""Publish mode: the publisher contract, the manifest model and the built-in manifest publisher."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .._eventing._app import App
from ._contract import (
    AmbiguousPublisherError,
    Publisher,
    PublisherOptionsError,
    PublishingContext,
    UnknownPublisherError,
    parse_publisher_options,
    publisher_names,
    publisher_options_parser,
    resolve_publisher,
)
from ._deploy import (
    DeploymentParameter,
    ManifestExpressionError,
    ManifestExpressionResolver,
    completion_targets,
    deployment_parameters,
    deployment_service_of,
    env_variable_name,
    write_private_file,
)
from ._dockerfile import DEFAULT_PYTHON_IMAGE, PythonDockerfile, python_app_dockerfile
from ._expressions import ManifestPlaceholder, parse_manifest_expression, render_manifest_expression
from ._manifest import (
    MANIFEST_FILE_NAME,
    ManifestPublisher,
    ManifestPublishingContext,
    ManifestPublishingError,
    build_manifest,
    manifest_file_path,
    write_manifest,
)

__all__ = [
    "AmbiguousPublisherError",
    "DEFAULT_PYTHON_IMAGE",
    "DeploymentParameter",
    "MANIFEST_FILE_NAME",
    "ManifestExpressionError",
    "ManifestExpressionResolver",
    "ManifestPlaceholder",
    "ManifestPublisher",
    "ManifestPublishingContext",
    "ManifestPublishingError",
    "Publisher",
    "PublisherOptionsError",
    "PublishingContext",
    "PythonDockerfile",
    "UnknownPublisherError",
    "build_manifest",
    "completion_targets",
    "deployment_parameters",
    "deployment_service_of",
    "env_variable_name",
    "manifest_file_path",
    "parse_manifest_expression",
    "parse_publisher_options",
    "publisher_names",
    "publisher_options_parser",
    "python_app_dockerfile",
    "render_manifest_expression",
    "resolve_publisher",
    "run_publisher",
    "write_manifest",
    "write_private_file",
]


def _output_directory(path: Path | None) -> Path:
    return Path(os.path.abspath(path if path is not None else os.getcwd()))


async def run_publisher(app: App) -> Path:
    """Run the publisher named on the command line for ``app`` (publish mode).

    Resolves the publisher (``--publisher NAME``, default ``manifest``) through the
    ``aspyre.publishers`` entry points, then fires ``BeforePublishEvent``, runs the publisher
    with the validated model and the output directory, and fires ``AfterPublishEvent``.
    Returns the path the publisher reported (the manifest file for ``manifest``), else the
    output directory.
    """
    from aspyre._eventing._progress_events import AfterPublishEvent, BeforePublishEvent

    ctx = app.execution_context
    name = ctx.publisher_name or "manifest"
    output = _output_directory(ctx.output_path)
    builder = getattr(app, "builder", None)
    publisher = resolve_publisher(name, getattr(builder, "plugin_selection", None))
    options = parse_publisher_options(publisher, name, getattr(builder, "remaining_args", ()))
    context = PublishingContext(
        model=app.model,
        output_path=output,
        execution_context=ctx,
        logger=logging.getLogger(f"aspyre.publishing.{name}"),
        publisher_name=name,
        app=app,
        options=options,
    )
    await app.eventing.publish(BeforePublishEvent(app=app))
    result = await publisher.publish(context)
    await app.eventing.publish(AfterPublishEvent(app=app))
    return Path(result) if result is not None else output
