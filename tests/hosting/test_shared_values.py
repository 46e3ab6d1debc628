"""Values the builder shares between resources rather than make once per use (issue 19: fewer objects per
resource): they stay immutable and equal, the model reads the same, and errors still name the resource at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

import aspyre
from aspyre.annotations import ContainerImageAnnotation, ReferenceAnnotation, ResourceRelationshipAnnotation


@pytest.fixture
def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


def _relationships(resource: aspyre.ContainerResource) -> list[ResourceRelationshipAnnotation]:
    return resource.annotations.all(ResourceRelationshipAnnotation)


def test_resources_that_use_the_same_one_share_their_relationship_and_reference(
    builder: aspyre.DistributedApplicationBuilder,
) -> None:
    pw = builder.add_parameter("pw", secret=True)
    db = builder.add_connection_string("db", aspyre.ReferenceExpression.format("pw={}", pw))
    a = builder.add_container("a", "img").with_environment("PW", pw).with_reference(db)
    b = builder.add_container("b", "img").with_environment("PW", pw).with_environment("AGAIN", pw).with_reference(db)
    for r in (a, b):  # one Reference relationship per resource used, however often it is used
        rels = _relationships(r.resource)
        assert [(rel.resource, rel.type) for rel in rels] == [(pw.resource, "Reference"), (db.resource, "Reference")]
    assert all(x is y for x, y in zip(_relationships(a.resource), _relationships(b.resource), strict=True))
    ref_a = a.resource.annotations.all(ReferenceAnnotation)
    ref_b = b.resource.annotations.all(ReferenceAnnotation)
    assert ref_a == ref_b == [ReferenceAnnotation(db.resource, use_service_discovery=False)]
    assert ref_a[0] is ref_b[0]


def test_a_reference_with_options_is_its_own(builder: aspyre.DistributedApplicationBuilder) -> None:
    db = builder.add_connection_string("db", "Host=x")
    a = builder.add_container("a", "img").with_reference(db)
    b = builder.add_container("b", "img").with_reference(db, "main", optional=True)
    (plain,) = a.resource.annotations.all(ReferenceAnnotation)
    (named,) = b.resource.annotations.all(ReferenceAnnotation)
    assert (plain.connection_name, plain.optional) == (None, False)
    assert (named.connection_name, named.optional) == ("main", True)


def test_a_relationship_added_by_hand_is_not_added_twice(builder: aspyre.DistributedApplicationBuilder) -> None:
    pw = builder.add_parameter("pw")
    a = builder.add_container("a", "img")
    mine = ResourceRelationshipAnnotation(pw.resource, "Reference")
    a.with_annotation(mine).with_environment("PW", pw)
    assert _relationships(a.resource) == [mine]
    assert _relationships(a.resource)[0] is mine


def test_get_endpoint_gives_one_reference_per_resource_and_name(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_container("api", "img").with_endpoint(target_port=80, name="http")
    other = builder.add_container("other", "img").with_endpoint(target_port=80, name="http")
    first = api.get_endpoint("http")
    assert api.get_endpoint("http") is first
    assert builder.create_resource_builder(api.resource).get_endpoint("http") is first
    assert first == aspyre.EndpointReference(api.resource, "http")
    assert other.get_endpoint("http") is not first
    assert other.get_endpoint("http").resource is other.resource
    assert api.get_endpoint("grpc") != first


def test_containers_of_one_image_share_its_annotation_and_a_bad_image_names_each_resource(
    builder: aspyre.DistributedApplicationBuilder,
) -> None:
    a = builder.add_container("a", "redis", "7")
    b = builder.add_container("b", "redis", "7")
    c = builder.add_container("c", "redis", "8")
    (img_a,) = a.resource.annotations.all(ContainerImageAnnotation)
    (img_b,) = b.resource.annotations.all(ContainerImageAnnotation)
    (img_c,) = c.resource.annotations.all(ContainerImageAnnotation)
    assert img_a is img_b
    assert img_a == ContainerImageAnnotation("redis", "7")
    assert img_c.tag == "8"
    for name in ("bad-1", "bad-2"):  # an error is never remembered: each call names its own resource
        with pytest.raises(ValueError, match=rf"add_container\(\) on resource '{name}': the image 'Bad Image' is not"):
            builder.add_container(name, "Bad Image")
    for name in ("tagged-1", "tagged-2"):
        with pytest.raises(ValueError, match=rf"resource '{name}': the image 'redis:7' already has a tag"):
            builder.add_container(name, "redis:7", "8")


def test_resource_classes_answer_isinstance_by_their_hierarchy(tmp_path: Path) -> None:
    container = aspyre.ContainerResource("c")
    app = aspyre.PythonAppResource("p", command="python", working_dir=tmp_path)
    assert isinstance(container, aspyre.ContainerResource)
    assert not isinstance(container, aspyre.ExecutableResource)
    assert isinstance(app, aspyre.ExecutableResource)
    assert not isinstance(app, aspyre.ContainerResource)
    assert not isinstance("c", aspyre.ContainerResource)
    assert issubclass(aspyre.PythonAppResource, aspyre.ExecutableResource)
    assert not issubclass(aspyre.ContainerResource, aspyre.ExecutableResource)
    # The capability protocols still answer structurally, and for the resource classes.
    assert isinstance(container, aspyre.IResourceWithEnvironment)
    assert not isinstance(container, aspyre.IResourceWithConnectionString)

    class Proxy:  # claims to be a container (as a mock or a lazy proxy does)
        @property
        def __class__(self) -> type:  # type: ignore[override]
            return aspyre.ContainerResource

    assert isinstance(Proxy(), aspyre.ContainerResource)
