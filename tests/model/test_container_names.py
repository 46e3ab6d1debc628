"""The names a container engine accepts, checked while the model is built: image references (the
``docker/distribution`` grammar), volume names and container names; the engine itself is the oracle."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from aspyre._model._container_names import (
    ImageReference,
    container_name_problem,
    digest_problem,
    image_reference_problem,
    parse_image_reference,
    registry_problem,
    tag_problem,
    volume_name_problem,
)

HEX = "0123456789abcdef" * 4

#: References the grammar accepts.
VALID = [
    "redis",
    "redis:8.6",
    "docker.io/library/redis:8.6",
    "ghcr.io/org/app:1.2",
    "localhost/app",
    "localhost:5000/team/app:v1",
    "registry.example.com:5000/a/b/c:tag_1.2-x",
    "Registry.Example.COM/app",  # the registry host may have upper case
    "127.0.0.1:5000/app",
    "my__repo",
    "my--repo",
    "a-b_c.d__e/f",
    "0abc",
    "foo_bar.com/app",  # parsed as a path, as the engine does
    "app:_tag",
    "app:" + "t" * 128,
    f"app@sha256:{HEX}",
    f"app:1@sha256:{HEX}",
    f"localhost:5000/app:tag@sha256:{HEX}",
    "foo.com:5000",  # image foo.com, tag 5000
    "a" * 237,  # docker.io/library/ + 237 = 255
    "x/" + "a" * 243,  # docker.io/ + 245 = 255
    "[::1]:5000/app",  # IPv6 registries (distribution/reference v0.6+; older engines refuse them)
]

#: References it refuses, with a word of the reason.
INVALID = [
    ("", "empty"),
    ("Redis", "lower-case: use 'redis'"),
    ("docker.io/library/Redis:8.6", "lower-case: use 'docker.io/library/redis:8.6'"),
    ("Foo/bar", "lower-case"),
    ("LOCALHOST/app", "lower-case"),
    ("my image", "whitespace"),
    (" redis", "whitespace"),
    ("redis:", "tag is empty"),
    ("redis:-x", "tag"),
    ("redis:.x", "tag"),
    ("app:" + "t" * 129, "128"),
    ("redis:1:2", "character"),
    ("my___repo", "separators"),
    ("my..repo", "separators"),
    ("my._repo", "separators"),
    ("my-_repo", "separators"),
    ("image-", "start and end"),
    ("_abc", "start and end"),
    ("a_", "start and end"),
    ("a//b", "empty path segment"),
    ("/a", "empty path segment"),
    ("a/", "empty path segment"),
    ("re$dis", "'$'"),
    ("a" * 238, "255"),
    ("x/" + "a" * 244, "255"),
    ("example.com/" + "a" * 244, "255"),
    (HEX, "64 hex digits"),
    ("redis@", "nothing follows '@'"),
    ("redis@sha256:abc", "64 hex digits"),
    (f"redis@sha256:{HEX}0", "64 hex digits"),
    (f"redis@sha512:{HEX}{HEX}", "only sha256"),
    ("redis@md5:" + "a" * 32, "only sha256"),
    (f"redis@{HEX}", "algorithm"),
    ("foo.com:abc/bar", "registry"),
    ("-foo.com/bar", "registry"),
    ("foo-.com/bar", "registry"),
]


@pytest.mark.parametrize("reference", VALID)
def test_valid_references(reference: str) -> None:
    assert image_reference_problem(reference) is None


@pytest.mark.parametrize(("reference", "reason"), INVALID)
def test_invalid_references_say_why(reference: str, reason: str) -> None:
    problem = image_reference_problem(reference)
    assert problem is not None
    assert reason in problem
    with pytest.raises(ValueError, match="is not a valid image reference"):
        parse_image_reference(reference)


def test_parsing_splits_registry_image_tag_and_digest() -> None:
    assert parse_image_reference("redis") == ImageReference(None, "redis", None, None)
    assert parse_image_reference("localhost:5000/team/app:v1") == ImageReference("localhost:5000", "team/app", "v1", None)
    assert parse_image_reference("localhost/app") == ImageReference("localhost", "app", None, None)
    assert parse_image_reference(f"app:1@sha256:{HEX.upper()}") == ImageReference(None, "app", "1", HEX)
    assert parse_image_reference("foo.com:5000") == ImageReference(None, "foo.com", "5000", None)
    assert parse_image_reference("library/redis:8.6") == ImageReference(None, "library/redis", "8.6", None)


def test_parts_on_their_own() -> None:
    assert tag_problem("8.6") is None
    assert "str" in (tag_problem(8) or "")
    assert registry_problem("localhost:5000") is None
    assert "host name" in (registry_problem("my registry") or "")
    assert digest_problem(f"sha256:{HEX}") is None
    assert digest_problem(HEX) is None
    assert "64 hex digits" in (digest_problem("abc") or "")


@pytest.mark.parametrize("name", ["ab", "a_", "a.b", "a-", "A1", "data", "x" * 255])
def test_valid_volume_names(name: str) -> None:
    assert volume_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a", "at least two"),
        ("0", "at least two"),
        ("a b", "must match"),
        ("_a", "must match"),
        (".a", "must match"),
        ("a:b", "must match"),
        ("ü", "at least two"),
        ("a/b", "with_bind_mount()"),
        ("./data", "with_bind_mount()"),
        ("x" * 256, "255"),
        (123, "str"),
    ],
)
def test_invalid_volume_names_say_why(name: Any, reason: str) -> None:
    assert reason in (volume_name_problem(name) or "")


def test_container_names() -> None:
    assert container_name_problem("my-db.1_x") is None
    for bad in ("x", "my db", "-db", "db/1", ""):
        assert "[a-zA-Z0-9][a-zA-Z0-9_.-]+" in (container_name_problem(bad) or ""), bad


# --------------------------------------------------------------------------- the engine as the oracle

#: Where this grammar and an engine differ on purpose: IPv6 registries (accepted by current engines,
#: refused by older ones such as Debian 12's 20.10), and digests other than sha256 (valid, but aspyre pins
#: images by SHA-256 only, as Aspire's ``WithImageSHA256``).
ENGINE_DIFFERS = {"[::1]:5000/app", f"redis@sha512:{HEX}{HEX}"}


def _engine_verdict(client: Any, reference: str) -> bool:
    """Whether the engine accepts ``reference`` in a create request (an unknown image is a 404, a bad
    reference a 400). Nothing is created: the references name images no engine has."""
    import docker.errors

    try:
        created = client.api.create_container(image=reference, labels={"aspyre.test": "reference-oracle"})
    except docker.errors.ImageNotFound:
        return True
    except docker.errors.APIError as exc:
        status = exc.status_code
    else:
        client.api.remove_container(created["Id"], force=True)  # pragma: no cover - the image exists after all
        return True
    assert status == 400, reference
    return False


@pytest.mark.docker
def test_the_grammar_agrees_with_the_engine(docker_client: Any) -> None:
    unique = f"zz{uuid.uuid4().hex[:8]}"
    disagreements = []
    checked = 0
    for reference in [*VALID, *(r for r, _ in INVALID)]:
        if reference in ENGINE_DIFFERS or not reference.strip() or reference == HEX:
            continue  # an empty reference never reaches the engine; 64 hex digits name an image id there
        # Make each reference name an image no engine has, without changing its shape.
        probe = reference.replace("redis", unique).replace("app", unique[:3] + "app")
        ours = image_reference_problem(probe) is None
        if ours != _engine_verdict(docker_client, probe):
            disagreements.append((probe, ours))
        checked += 1
    assert checked > 40
    assert disagreements == []


@pytest.mark.docker
def test_volume_names_agree_with_the_engine(docker_client: Any) -> None:
    import docker.errors

    unique = uuid.uuid4().hex[:6]
    for name in ["a", "a b", "_a", ".a", "a:b", "a/b", f"ok{unique}", f"ok{unique}_.-", f"Z{unique}"]:
        status = 0
        try:
            docker_client.api.create_volume(name, labels={"aspyre.test": "volume-oracle"})
        except docker.errors.APIError as exc:
            status = exc.status_code or 0
        else:
            docker_client.api.remove_volume(name)
        assert status in (0, 400), name
        engine = status == 0
        assert (volume_name_problem(name) is None) == engine, name
