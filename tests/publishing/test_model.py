"""The typed manifest model and its JSON form (cattrs)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

import aspyre

# A manifest as Aspire itself writes it (abridged from Aspire's ManifestGenerationTests), including a
# type aspyre does not model (project.v0) and no "$schema".
ASPIRE_WRITTEN = """{
  "resources": {
    "servicea": {
      "type": "project.v0",
      "path": "testproject/TestProject.ServiceA/TestProject.ServiceA.csproj",
      "env": {
        "HTTP_PORTS": "{servicea.bindings.http.targetPort}"
      },
      "bindings": {
        "http": {
          "scheme": "http",
          "protocol": "tcp",
          "transport": "http"
        }
      }
    },
    "redis": {
      "type": "container.v0",
      "connectionString": "{redis.bindings.tcp.host}:{redis.bindings.tcp.port},password={redis-password.value}",
      "image": "docker.io/library/redis:8.6",
      "entrypoint": "/bin/sh",
      "args": [
        "-c",
        "redis-server --requirepass $REDIS_PASSWORD"
      ],
      "env": {
        "REDIS_PASSWORD": "{redis-password.value}"
      },
      "bindings": {
        "tcp": {
          "scheme": "redis",
          "protocol": "tcp",
          "transport": "tcp",
          "targetPort": 6379
        }
      }
    },
    "postgresdb": {
      "type": "value.v0",
      "connectionString": "{postgres.connectionString};Database=postgresdb"
    },
    "redis-password": {
      "type": "parameter.v0",
      "value": "{redis-password.inputs.value}",
      "inputs": {
        "value": {
          "type": "string",
          "secret": true,
          "default": {
            "generate": {
              "minLength": 22,
              "special": false
            }
          }
        }
      }
    },
    "redis-password-uri-encoded": {
      "type": "annotated.string",
      "value": "{redis-password.value}",
      "filter": "uri"
    }
  }
}
"""


def test_reads_and_rewrites_a_manifest_written_by_aspire() -> None:
    manifest = aspyre.publishing.manifest_from_json(ASPIRE_WRITTEN)
    assert manifest.schema is None
    kinds = {name: type(r).__name__ for name, r in manifest.resources.items()}
    assert kinds == {
        "servicea": "ManifestRawResource",
        "redis": "ManifestContainer",
        "postgresdb": "ManifestValue",
        "redis-password": "ManifestParameter",
        "redis-password-uri-encoded": "ManifestAnnotatedString",
    }
    redis = manifest.resources["redis"]
    assert isinstance(redis, aspyre.publishing.ManifestContainer)
    assert redis.bindings == {"tcp": aspyre.publishing.ManifestBinding("redis", "tcp", "tcp", target_port=6379)}
    password = manifest.resources["redis-password"]
    assert isinstance(password, aspyre.publishing.ManifestParameter)
    generate = password.inputs["value"].default.generate  # type: ignore[union-attr]
    assert generate == aspyre.publishing.ManifestGenerateDefault(min_length=22, special=False)
    # byte for byte the same JSON (plus the trailing newline aspyre adds)
    assert aspyre.publishing.manifest_to_json(manifest) == ASPIRE_WRITTEN


def test_the_manifest_aspire_wrote_validates_against_aspires_schema(
    manifest_schema_errors: Callable[[object], list[str]],
) -> None:
    assert manifest_schema_errors(json.loads(ASPIRE_WRITTEN)) == []


def test_every_field_round_trips() -> None:
    manifest = aspyre.publishing.Manifest(
        {
            "c": aspyre.publishing.ManifestContainer(
                type="container.v1",
                connection_string="{c.bindings.tcp.host}",
                build=aspyre.publishing.ManifestBuild(
                    context="ctx",
                    dockerfile="ctx/Dockerfile",
                    stage="final",
                    build_only=True,
                    args={"A": "1", "B": None},
                    secrets={
                        "S": aspyre.publishing.ManifestBuildSecret(type="env", value="{s.value}"),
                        "F": aspyre.publishing.ManifestBuildSecret(type="file", source="../secret.txt"),
                    },
                ),
                entrypoint="/bin/sh",
                args=("-c", "run"),
                bind_mounts=(aspyre.publishing.ManifestBindMount(source=".", target="/src", read_only=True),),
                volumes=(aspyre.publishing.ManifestVolume(name="data", target="/data", read_only=False),),
                env={"Z": "z", "A": "a"},
                bindings={"tcp": aspyre.publishing.ManifestBinding("tcp", "tcp", "tcp", port=1, target_port=2, external=True)},
            ),
            "p": aspyre.publishing.ManifestParameter(
                connection_string="{p.value}",
                value="{p.inputs.value}",
                inputs={"value": aspyre.publishing.ManifestParameterInput(default=aspyre.publishing.ManifestParameterDefault(value="x"))},
            ),
        },
        schema=None,
    )
    text = aspyre.publishing.manifest_to_json(manifest)
    again = aspyre.publishing.manifest_from_json(text)
    assert again == manifest
    assert aspyre.publishing.manifest_to_json(again) == text
    # maps keep their order: env as written, not sorted
    assert list(json.loads(text)["resources"]["c"]["env"]) == ["Z", "A"]


def test_defaults_are_left_out_and_required_fields_kept() -> None:
    binding = aspyre.publishing.ManifestBinding("http", "tcp", "http")
    container = aspyre.publishing.ManifestContainer(image="nginx:1", bindings={"http": binding})
    text = aspyre.publishing.manifest_to_json(aspyre.publishing.Manifest({"web": container}))
    assert json.loads(text)["resources"]["web"] == {
        "type": "container.v0",
        "image": "nginx:1",
        "bindings": {"http": {"scheme": "http", "protocol": "tcp", "transport": "http"}},
    }
    anonymous = aspyre.publishing.ManifestContainer(image="x:1", volumes=(aspyre.publishing.ManifestVolume(target="/d", read_only=False),))
    volumes = json.loads(aspyre.publishing.manifest_to_json(aspyre.publishing.Manifest({"x": anonymous})))["resources"]["x"]["volumes"]
    assert volumes == [{"target": "/d", "readOnly": False}]  # readOnly is written even when false, as Aspire does


def test_non_ascii_is_escaped_for_stable_bytes() -> None:
    manifest = aspyre.publishing.Manifest({"p": aspyre.publishing.ManifestValue(connection_string="Café=ü")})
    text = aspyre.publishing.manifest_to_json(manifest)
    assert "Caf\\u00e9=\\u00fc" in text
    assert text.isascii()
    assert aspyre.publishing.manifest_from_json(text) == manifest


def test_unknown_types_and_odd_shapes_are_kept_as_raw_entries() -> None:
    text = json.dumps(
        {
            "resources": {
                "lambda": {"type": "aws.lambda.v0", "handler": "x"},
                "odd-container": {"type": "container.v0", "image": "x", "replicas": 3},
                "no-image": {"type": "container.v0"},
                "err": {"error": "nope"},
            }
        }
    )
    manifest = aspyre.publishing.manifest_from_json(text)
    assert all(isinstance(r, aspyre.publishing.ManifestRawResource) for r in manifest.resources.values())
    assert manifest.resources["odd-container"].data == {"type": "container.v0", "image": "x", "replicas": 3}  # type: ignore[union-attr]
    assert json.loads(aspyre.publishing.manifest_to_json(manifest)) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", 'a manifest is a JSON object with a "resources" object'),
        ('{"resources": []}', 'a manifest is a JSON object with a "resources" object'),
        ('{"resources": {}, "extra": 1}', "unexpected top-level manifest keys: extra"),
        ('{"resources": {}, "$schema": 1}', '"$schema" must be a string'),
    ],
)
def test_malformed_manifests_are_rejected_clearly(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("$", r"\$")):
        aspyre.publishing.manifest_from_json(text)


@pytest.mark.parametrize(
    "data",
    [
        {},
        [],
        {"a": [], "b": {}, "c": ""},
        {"x": [1, -2, 2.5, True, False, None, "é\u2028\"\\\n\t", {"k": [[], [{}]]}]},
        [{"a": 1}, ("t", 1)],
        "text",
        7,
        None,
        {1: "non-string keys: json.dumps decides"},
        {"inf": float("inf"), "big": 10**30},
    ],
)
def test_the_manifest_encoder_writes_what_json_dumps_writes(data: object) -> None:
    from aspyre._publishing._manifest_json import dumps_indented

    assert dumps_indented(data) == json.dumps(data, indent=2, ensure_ascii=True)


def _every_field() -> aspyre.publishing.Manifest:
    p = aspyre.publishing
    return p.Manifest(
        {
            "c": p.ManifestContainer(
                type="container.v1",
                connection_string="{c.bindings.tcp.host}",
                build=p.ManifestBuild(
                    context="ctx",
                    dockerfile="ctx/Dockerfile",
                    stage="final",
                    build_only=True,
                    args={"A": "1", "B": None},
                    secrets={"S": p.ManifestBuildSecret(type="env", value="{s.value}")},
                ),
                args=("-c", "caf\u00e9"),
                bind_mounts=(p.ManifestBindMount(source=".", target="/src", read_only=True),),
                volumes=(p.ManifestVolume(target="/data", read_only=False),),
                env={},
                bindings={"tcp": p.ManifestBinding("tcp", "tcp", "tcp", port=1, target_port=2, external=True)},
            ),
            "p": p.ManifestParameter(
                value="{p.inputs.value}",
                inputs={
                    "value": p.ManifestParameterInput(
                        secret=True,
                        default=p.ManifestParameterDefault(generate=p.ManifestGenerateDefault(min_length=22, special=False)),
                    )
                },
            ),
            "v": p.ManifestValue(connection_string=""),
            "e": p.ManifestExecutable(working_directory=".", command="python", args=()),
            "s": p.ManifestAnnotatedString(value="{p.value}", filter="uri"),
        }
    )


def _first_and_every_field_left_out() -> aspyre.publishing.Manifest:
    """Entries whose first fields, or all of them, hold their defaults (left out): the writer finds the separator
    while writing, and writes ``{}`` for an object with nothing in it."""
    p = aspyre.publishing
    return p.Manifest(
        {
            "c": p.ManifestContainer(
                image="img",
                volumes=(p.ManifestVolume(target="/a", read_only=True), p.ManifestVolume(name="v", target="/b", read_only=False)),
                bindings={
                    "a": p.ManifestBinding("tcp", "tcp", "tcp"),
                    "b": p.ManifestBinding("http", "tcp", "http", port=None, target_port=8080),
                },
            ),
            "p": p.ManifestParameter(
                value="{p.inputs.value}", inputs={"value": p.ManifestParameterInput(default=p.ManifestParameterDefault())}
            ),
        }
    )


@pytest.mark.parametrize(
    "make",
    [
        _every_field,
        lambda: aspyre.publishing.Manifest({}),
        lambda: aspyre.publishing.Manifest({}, schema=None),
        _first_and_every_field_left_out,
        lambda: aspyre.publishing.Manifest({"raw": aspyre.publishing.ManifestRawResource({})}),
        lambda: aspyre.publishing.Manifest(
            {"raw": aspyre.publishing.ManifestRawResource({"type": "x.v0", "n": [1, 2.5, None, True, {"k": []}]})}
        ),
        lambda: aspyre.publishing.Manifest({"raw": aspyre.publishing.ManifestRawResource({"type": "x.v0", 1: "key"})}),
        lambda: aspyre.publishing.Manifest(
            {"raw": aspyre.publishing.ManifestRawResource({"value": aspyre.publishing.ManifestValue(connection_string="x")})}
        ),
    ],
)
def test_the_manifest_written_field_by_field_is_the_unstructured_data_written(
    make: Callable[[], aspyre.publishing.Manifest],
) -> None:
    """``manifest_to_json`` writes the typed entries directly; the text is what writing their JSON-ready data gives
    (or the same error)."""
    from aspyre._publishing._manifest_json import dumps_indented
    from aspyre._publishing._model import manifest_converter

    manifest = make()

    def general() -> str:
        return dumps_indented(manifest_converter().unstructure(manifest, aspyre.publishing.Manifest)) + "\n"

    try:
        expected = general()
    except TypeError as exc:
        with pytest.raises(type(exc), match=str(exc)):
            aspyre.publishing.manifest_to_json(manifest)
    else:
        assert aspyre.publishing.manifest_to_json(manifest) == expected
