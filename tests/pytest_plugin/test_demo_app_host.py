"""The example of docs/testing.md, run for real against the demo app host (examples/apphost.py).

This test uses the plugin directly (it is installed with aspyre), like a user's test would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aspyre.pytest_plugin import AspyreAppFactory

DEMO = Path(__file__).resolve().parents[2] / "examples" / "apphost.py"


@pytest.mark.docker
@pytest.mark.anyio
async def test_api(aspyre_app_factory: AspyreAppFactory) -> None:
    app = await aspyre_app_factory(DEMO)
    await app.resource_notifications.wait_for_resource_healthy("api")
    async with app.http_client("api") as client:
        assert (await client.get("/health")).status_code == 200
        first = (await client.get("/")).json()
        second = (await client.get("/")).json()
    assert first["schema_version"] == "1"  # the migration ran before the api started
    assert second["visits"] == first["visits"] + 1
    assert "password=" in (await app.get_connection_string("cache") or "")
