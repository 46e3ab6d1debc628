"""Parameters: the Redis example's ``CreateDefaultPasswordParameter`` and its free-standing parameter, adopted by
``build()`` (shown, resolved, persisted, written to the manifest) as Aspire does."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest

import aspyre

from .helpers import publish_builder, run_builder

pytestmark = pytest.mark.anyio


def server_with_password(builder: aspyre.DistributedApplicationBuilder) -> aspyre.ParameterResource:
    """As the page's AddRedis: the password parameter is made, not added; the container uses it."""
    password = aspyre.plugins.create_default_password_parameter(builder, "cache-password", special=False)
    builder.add_container("cache", "redis:7.0").with_environment("REDIS_PASSWORD", password)
    return password


def test_the_helper_makes_a_generated_secret_that_is_not_in_the_model(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    password = aspyre.plugins.create_default_password_parameter(builder, "cache-password", special=False)
    assert password.secret
    assert password.default == aspyre.GenerateParameterDefault(min_length=22, special=False)
    assert password not in builder.resources
    with pytest.raises(aspyre.InvalidNameError):
        aspyre.plugins.create_default_password_parameter(builder, "bad_name")


def test_build_adopts_the_parameters_the_model_uses(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    password = server_with_password(builder)
    unused = aspyre.plugins.create_default_password_parameter(builder, "unused-password")
    app = builder.build()  # was: "refers to resource 'cache-password', which is not part of this app model"
    assert [r.name for r in app.model] == ["cache", "cache-password"]
    assert app.model["cache-password"] is password
    assert unused not in app.model
    value = password.value
    assert len(value) == 22 and set(value) <= set(string.ascii_letters + string.digits)


def test_the_generated_value_is_kept_like_the_others(tmp_path: Path) -> None:
    first = run_builder(tmp_path)
    value = server_with_password(first).value
    assert first.secrets_store.get("cache-password") == value
    second = run_builder(tmp_path)
    second_password = server_with_password(second)
    second.build()
    assert second_password.value == value  # the next run of this app host gets the same one


async def test_the_adopted_parameter_is_in_the_manifest(tmp_path: Path) -> None:
    builder = publish_builder(tmp_path)
    server_with_password(builder)
    app = builder.build()
    path = await app.publish_async()
    resources = json.loads(Path(path).read_text())["resources"]
    assert list(resources) == ["cache", "cache-password"]
    assert resources["cache-password"]["type"] == "parameter.v0"
    assert resources["cache-password"]["inputs"]["value"]["secret"] is True
    assert resources["cache-password"]["inputs"]["value"]["default"]["generate"] == {"minLength": 22, "special": False}
    assert resources["cache"]["env"]["REDIS_PASSWORD"] == "{cache-password.value}"


async def test_run_mode_shows_and_resolves_the_adopted_parameter(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    password = aspyre.plugins.create_default_password_parameter(builder, "token")
    builder.add_executable("worker", "python", "-c", "pass").with_explicit_start().with_environment("TOKEN", password)
    app = builder.build()
    async with app:
        snapshot = app.resource_notifications.get_snapshot("token")
        assert snapshot is not None and snapshot.state_text == aspyre.KnownResourceStates.RUNNING
        assert snapshot.property_value(aspyre.model.KnownProperties.Parameter.VALUE) == password.value


def test_a_free_standing_parameter_whose_name_is_taken_is_refused_naming_the_fix(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    builder.add_parameter("cache-password", "given")
    server_with_password(builder)
    with pytest.raises(aspyre.ModelValidationError) as info:
        builder.build()
    (problem,) = info.value.problems
    assert "uses the parameter 'cache-password', which is not part of this app model" in problem
    assert "give the parameter another name" in problem
