"""examples/redis (the example of docs/integrations/redis.md) runs, and its data survives a restart."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "redis"


async def run_until_counter_finished(app_dir: Path) -> str:
    """Run the example app host, Ctrl-C it once ``counter`` finished; return its output."""
    process = await anyio.open_process(
        [sys.executable, "apphost.py"], cwd=app_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output: list[str] = []
    async with process:
        assert process.stdout is not None
        buffer = b""
        async for chunk in process.stdout:
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            output.extend(line.decode() for line in lines)
            if any(line.startswith("counter") and "Finished" in line for line in output):
                break
        process.send_signal(signal.SIGINT)
        async for chunk in process.stdout:
            buffer += chunk
        output.extend(buffer.decode().splitlines())
        code = await process.wait()
    text = "\n".join(output)
    assert code == 0, text
    return text


@pytest.mark.docker
@pytest.mark.anyio
async def test_example_counts_across_restarts(tmp_path: Path, docker_client: Any) -> None:
    app_dir = tmp_path / "example"
    shutil.copytree(EXAMPLE, app_dir)
    try:
        first = await run_until_counter_finished(app_dir)
        assert "this is run number 1 " in first
        assert "Finished (exit code 0)" in first
        second = await run_until_counter_finished(app_dir)
        assert "this is run number 2 " in second
    finally:
        digest = hashlib.sha256(str((app_dir / "apphost.py").resolve()).encode()).hexdigest()[:10]
        volume_name = f"example-{digest}-cache-data"  # what with_data_volume() names it
        volumes = docker_client.volumes.list(filters={"name": volume_name})
        assert [v.name for v in volumes] == [volume_name]
        for volume in volumes:
            volume.remove(force=True)


def test_example_publishes_without_docker(tmp_path: Path) -> None:
    app_dir = tmp_path / "example"
    shutil.copytree(EXAMPLE, app_dir)
    proc = subprocess.run(
        [sys.executable, "apphost.py", "--publisher", "manifest", "--output-path", "out"],
        cwd=app_dir,
        env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    resources = json.loads((app_dir / "out" / "aspire-manifest.json").read_text())["resources"]
    assert resources["cache"]["args"] == ["-c", 'exec redis-server --requirepass "$REDIS_PASSWORD" --save 10 1']
    assert resources["counter"]["env"]["CACHE_URI"].startswith("{cache.bindings.tcp.scheme}://:")
