"""Publish mode: the publisher contract, the Aspire manifest model and the built-in manifest publisher."""

from __future__ import annotations

from ._public import present as _present
from ._publishing import (
    AmbiguousPublisherError,
    ManifestPublisher,
    ManifestPublishingContext,
    ManifestPublishingError,
    Publisher,
    PublishingContext,
    UnknownPublisherError,
    build_manifest,
    manifest_file_path,
    publisher_names,
    resolve_publisher,
    write_manifest,
)
from ._publishing._model import (
    Manifest,
    ManifestAnnotatedString,
    ManifestBinding,
    ManifestBindMount,
    ManifestBuild,
    ManifestBuildSecret,
    ManifestContainer,
    ManifestExecutable,
    ManifestGenerateDefault,
    ManifestParameter,
    ManifestParameterDefault,
    ManifestParameterInput,
    ManifestRawResource,
    ManifestResource,
    ManifestValue,
    ManifestVolume,
    manifest_from_json,
    manifest_to_json,
)

__all__ = [
    "AmbiguousPublisherError",
    "Manifest",
    "ManifestAnnotatedString",
    "ManifestBindMount",
    "ManifestBinding",
    "ManifestBuild",
    "ManifestBuildSecret",
    "ManifestContainer",
    "ManifestExecutable",
    "ManifestGenerateDefault",
    "ManifestParameter",
    "ManifestParameterDefault",
    "ManifestParameterInput",
    "ManifestPublisher",
    "ManifestPublishingContext",
    "ManifestPublishingError",
    "ManifestRawResource",
    "ManifestResource",
    "ManifestValue",
    "ManifestVolume",
    "Publisher",
    "PublishingContext",
    "UnknownPublisherError",
    "build_manifest",
    "manifest_file_path",
    "manifest_from_json",
    "manifest_to_json",
    "publisher_names",
    "resolve_publisher",
    "write_manifest",
]

_present(globals(), __name__, resolve_types=True)
