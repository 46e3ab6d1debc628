"""``aspyre new apphost [DIR]`` writes an app host that runs (with Redis when aspyre-redis is installed);
``aspyre new integration NAME`` derives every name from NAME and never overwrites by accident. (That the
integration installs and passes its own tests is ``test_fresh_venv.py``.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aspyre._cli._new import integration_names, supported_aspyre
from aspyre.pytest_plugin import AspyreAppFactory

from .helpers import aspyre


def test_new_apphost_without_redis_runs(tmp_path: Path) -> None:
    made = aspyre("new", "apphost", "myapp", "--no-redis", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "Run it with: aspyre run myapp" in made.stdout
    source = (tmp_path / "myapp" / "apphost.py").read_text()
    assert "add_redis" not in source and "with_reference" not in source
    described = json.loads(aspyre("describe", "myapp", "--json", cwd=tmp_path).stdout)
    (web,) = described["resources"]
    assert (web["name"], web["type"], web["script"]) == (
        "web",
        "PythonApp",
        str(tmp_path / "myapp" / "web" / "main.py"),
    )
    again = aspyre("new", "apphost", "myapp", cwd=tmp_path)
    assert again.returncode == 1
    assert "apphost.py exists (and 1 more): choose another directory, or pass --force to overwrite" in again.stderr


@pytest.mark.anyio
async def test_the_new_apphost_serves_and_counts_visits(aspyre_app_factory: AspyreAppFactory, tmp_path: Path) -> None:
    assert aspyre("new", "apphost", "--no-redis", cwd=tmp_path).returncode == 0
    app = await aspyre_app_factory(tmp_path / "apphost.py")
    await app.resource_notifications.wait_for_resource_healthy("web")
    async with app.http_client("web") as client:
        assert (await client.get("/")).text == "Hello from aspyre! Visits: 1"
        assert (await client.get("/")).text == "Hello from aspyre! Visits: 2"
        assert (await client.get("/health")).text == "ok"


@pytest.mark.docker
@pytest.mark.anyio
async def test_the_new_apphost_uses_redis_when_it_is_installed(
    aspyre_app_factory: AspyreAppFactory, tmp_path: Path, docker_client: object
) -> None:
    assert aspyre("new", "apphost", cwd=tmp_path).returncode == 0
    source = (tmp_path / "apphost.py").read_text()
    assert 'cache = builder.add_redis("cache")' in source and ".wait_for(cache)" in source
    app = await aspyre_app_factory(tmp_path / "apphost.py")
    await app.resource_notifications.wait_for_resource_healthy("web")
    async with app.http_client("web") as client:
        assert (await client.get("/")).text == "Hello from aspyre! Visits: 1"
        assert (await client.get("/")).text == "Hello from aspyre! Visits: 2"
    # The count lives in Redis.
    import redis.asyncio

    connection = await app.get_connection_string("cache")
    assert connection is not None
    address, _, password = connection.partition(",password=")
    host, _, port = address.rpartition(":")
    client = redis.asyncio.Redis(host=host, port=int(port), password=password)
    try:
        assert await client.get("visits") == b"2"
    finally:
        await client.aclose()


def test_integration_names_come_from_one_name() -> None:
    assert integration_names("Aspyre-My.Service") == {
        "name": "my-service",
        "name_id": "my_service",
        "name_var": "my_service",
        "dist": "aspyre-my-service",
        "package": "aspyre_my_service",
        "method": "add_my_service",
        "cls": "MyServiceResource",
        "title": "MyService",
        "aspyre_spec": ">=0.1,<0.3",
    }
    assert integration_names("class")["name_var"] == "class_"
    with pytest.raises(ValueError, match="not a usable integration name"):
        integration_names("9lives")
    assert supported_aspyre("0.4.2") == ">=0.4,<0.6"
    assert supported_aspyre("1.4.0") == ">=1.4,<2"


def test_new_integration_refuses_to_overwrite_and_needs_a_name(tmp_path: Path) -> None:
    assert aspyre("new", "integration", cwd=tmp_path).returncode == 2
    first = aspyre("new", "integration", "minio", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "aspyre-minio" / "src" / "aspyre_minio" / "_builder.py").is_file()
    second = aspyre("new", "integration", "minio", cwd=tmp_path)
    assert second.returncode == 1 and "pass --force to overwrite" in second.stderr
    assert aspyre("new", "integration", "minio", "--force", cwd=tmp_path).returncode == 0
