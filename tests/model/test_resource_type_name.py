"""One rule names a resource's type (snapshots, ``aspyre describe``, the pytest report)."""

from __future__ import annotations

from pathlib import Path

import attrs

import aspyre
from aspyre._model._resources import resource_type_name


@attrs.define(eq=False)
class Topic(aspyre.Resource):
    resource_type = "Topic"


@attrs.define(eq=False)
class Queue(aspyre.Resource):
    """Inherits ``resource_type`` from :class:`aspyre.Resource`."""


class Bare:
    """A resource only by shape (the IResource protocol), without the Resource base."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.annotations = aspyre.annotations.Annotations()


def test_the_class_says_the_type() -> None:
    assert resource_type_name(aspyre.ContainerResource("web")) == "Container"
    assert resource_type_name(aspyre.ParameterResource("p")) == "Parameter"
    assert resource_type_name(Topic("events")) == "Topic"
    assert resource_type_name(Queue("jobs")) == "Resource"


def test_a_resource_by_shape_is_named_by_its_class() -> None:
    bare = Bare("thing")
    assert isinstance(bare, aspyre.IResource)
    assert resource_type_name(bare) == "Bare"


def test_a_first_snapshot_carries_the_name(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    builder.add_resource(Topic("events"))
    app = builder.build()
    snapshot = app.resource_notifications.publish_update("events", lambda current: current)
    assert snapshot.resource_type == "Topic"


def test_the_built_in_resources_use_the_known_type_names() -> None:
    known = aspyre.model.KnownResourceTypes
    assert aspyre.ContainerResource.resource_type is known.CONTAINER
    assert aspyre.ExecutableResource.resource_type is known.EXECUTABLE
    assert aspyre.PythonAppResource.resource_type is known.PYTHON_APP
    assert aspyre.ParameterResource.resource_type is known.PARAMETER
    assert aspyre.ConnectionStringResource.resource_type is known.CONNECTION_STRING
    assert aspyre.ConnectionStringParameterResource.resource_type is known.CONNECTION_STRING
