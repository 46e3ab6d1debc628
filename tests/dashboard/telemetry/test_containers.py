"""A container's telemetry reaches the dashboard: through ``host.docker.internal`` to the receiver listening on
the address the container runtime gives for the host, with the injected key; and the receiver listens there and
on loopback only, never on every address."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..helpers import AppHost, resources, signed_in, wait_until

pytestmark = pytest.mark.docker

CONTAINERS = Path(__file__).resolve().parent / "apphosts" / "containers.py"


@pytest.fixture(scope="module")
def host() -> Iterator[AppHost]:
    app_host = AppHost(CONTAINERS)
    try:
        app_host.wait_for_dashboard()
        yield app_host
    finally:
        app_host.stop()


def listening(port: int) -> set[str]:
    """The IPv4 addresses something listens on at ``port`` (from /proc/net/tcp: state 0A is LISTEN)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, hex_port = fields[1].split(":")
        if fields[3] == "0A" and int(hex_port, 16) == port:
            out.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return out


def test_a_container_sends_telemetry_through_the_host_gateway(host: AppHost) -> None:
    with signed_in(host) as client:
        env = wait_until(
            lambda: {e["name"]: e for e in resources(client)["probe"]["environment"]} or None, "the probe's environment"
        )
        endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"]
        assert endpoint.startswith("http://host.docker.internal:")
        assert env["OTEL_EXPORTER_OTLP_HEADERS"]["masked"]

        def arrived() -> bool:
            items = client.get("/api/telemetry/traces", params={"resource": "probe"}).json()["items"]
            return any(t["name"] == "poll from a container" for t in items)

        wait_until(arrived, "the container's span")
        # The container printed the receiver's answer (after the span arrived: wait for the line, do not race it).
        wait_until(lambda: "answer 200 {}" in "\n".join(host.lines), "the receiver's answer in the container's log")
        port = int(endpoint.rsplit(":", 1)[1])
        addresses = listening(port)
        assert "127.0.0.1" in addresses
        assert "0.0.0.0" not in addresses  # never every address
        gateways = addresses - {"127.0.0.1"}
        assert len(gateways) == 1
        (gateway,) = gateways
        # Nothing but the key gets in there either.
        response = httpx.post(
            f"http://{gateway}:{port}/v1/traces", content=b"", headers={"content-type": "application/x-protobuf"}, trust_env=False
        )
        assert response.status_code == 401
