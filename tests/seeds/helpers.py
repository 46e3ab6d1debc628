"""Shared by the seed-parity tests: builders on a temporary app host, and waiting for states."""

from __future__ import annotations

from pathlib import Path

import anyio

import aspyre


def run_builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    """A run-mode builder whose app host lives in ``tmp_path``."""
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


def publish_builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    """A publish-mode builder (manifest into ``tmp_path/out``)."""
    return aspyre.DistributedApplication.create_builder(
        ["--publisher", "manifest", "--output-path", str(tmp_path / "out")], app_host_path=tmp_path / "apphost.py"
    )


async def wait_state(app: aspyre.DistributedApplication, name: str, *states: str, timeout: float = 30) -> aspyre.ResourceSnapshot:
    """Wait (at most ``timeout`` seconds) until resource ``name`` is in one of ``states``."""
    with anyio.fail_after(timeout):
        return await app.resource_notifications.wait_for_resource(name, states)
