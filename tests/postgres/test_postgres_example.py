"""examples/postgres (the example of docs/integrations/postgres.md) runs, and its data survives a restart."""

from __future__ import annotations

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

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "postgres"


async def run_until_report_finished(app_dir: Path) -> str:
    """Run the example app host, Ctrl-C it once ``report`` finished; return its console output."""
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
            if any(line.startswith("report") and "Finished" in line for line in output):
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
    import aspyre
    import aspyre_postgres

    app_dir = tmp_path / "example"
    shutil.copytree(EXAMPLE, app_dir)
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=app_dir / "apphost.py")
    volume_name = aspyre_postgres.data_volume_name(builder.add_postgres("pg"), "data")
    try:
        first = await run_until_report_finished(app_dir)
        assert "Created database 'appdb'" in first
        assert "migrated database appdb" in first
        assert "this is run number 1 " in first
        assert "Finished (exit code 0)" in first
        second = await run_until_report_finished(app_dir)
        assert "Database 'appdb' already exists" in second
        assert "this is run number 2 " in second
    finally:
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
    assert resources["appdb"] == {"type": "value.v0", "connectionString": "{pg.connectionString};Database=appdb"}
    assert resources["pg"]["volumes"][0]["target"] == "/var/lib/postgresql/data"
    assert resources["migrate"]["env"]["APPDB_URI"].startswith("postgresql://postgres:{pg-password-uri-encoded.value}@")


def _body(path: Path) -> str:
    """A script without its module docstring."""
    text = path.read_text(encoding="utf-8")
    return text.split('"""', 2)[2].strip() if text.startswith('"""') else text.strip()


def test_the_doc_shows_the_example_as_it_is() -> None:
    import re

    doc = (EXAMPLE.parents[1] / "docs" / "integrations" / "postgres.md").read_text(encoding="utf-8")
    blocks = [b.strip() for b in re.findall(r"```python\n(.*?)```", doc, re.S)]
    assert _body(EXAMPLE / "apphost.py") in blocks
    assert _body(EXAMPLE / "migrate.py") in blocks
