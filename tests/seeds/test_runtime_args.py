"""Container runtime arguments: the page's Podman form ``--device nvidia.com/gpu=all`` (a CDI device) becomes a
CDI device request of the Docker API, not a host path mapping; a ``--device`` value that is neither is refused
naming the flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S
from aspyre._model._runargs import parse_runtime_args


def test_a_cdi_device_is_a_device_request() -> None:
    options = parse_runtime_args(["--device", "nvidia.com/gpu=all", "--device=vendor.io/fpga=0", "--device", "/dev/null"])
    assert options.kwargs["device_requests"] == [{"Driver": "cdi", "DeviceIDs": ["nvidia.com/gpu=all", "vendor.io/fpga=0"]}]
    assert options.kwargs["devices"] == ["/dev/null:/dev/null:rwm"]
    gpus = parse_runtime_args(["--gpus=all"]).kwargs["device_requests"]
    assert gpus == [{"Count": -1, "Capabilities": [["gpu"]]}]


def test_a_device_that_is_neither_a_path_nor_a_cdi_name_is_refused() -> None:
    with pytest.raises(ValueError, match=r"container runtime flag --device expects a host device path .* or a CDI device"):
        parse_runtime_args(["--device", "gpu0"], resource_name="ollama")


@pytest.mark.docker
@pytest.mark.anyio
async def test_the_page_podman_form_reaches_the_engine_as_a_cdi_request(app_host: Path, docker_client: Any) -> None:
    """No GPU here: the engine refuses the CDI request (Docker < 25 has no CDI driver, later ones no such device);
    what matters is that it got a CDI request for the device, not a host path ``nvidia.com/gpu=all``."""
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=app_host)
    builder.add_container("ollama", "redis:8.6").with_container_runtime_args("--device", "nvidia.com/gpu=all")
    app = builder.build()
    async with app:
        with anyio.fail_after(60):
            await app.resource_notifications.wait_for_resource("ollama", (S.FAILED_TO_START, S.RUNNING))
        log = "\n".join(line.content for line in app.resource_loggers.backlog("ollama"))
    assert "cdi" in log.lower(), log
    assert "no such file or directory" not in log.lower(), log  # what a host path mapping would have said


def test_a_flag_that_cannot_be_expressed_fails_at_the_builder_call(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    ollama = builder.add_container("ollama", "ollama/ollama")
    with pytest.raises(ValueError, match=r"--device .* of container resource 'ollama'|'ollama'.*--device"):
        ollama.with_container_runtime_args("--device", "gpu0")
    ollama.with_container_runtime_args("--device", "nvidia.com/gpu=all")  # the page's Podman form is accepted
    assert builder.build().model["ollama"] is ollama.resource
