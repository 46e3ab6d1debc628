"""Connection strings: a custom resource implements ``IResourceWithConnectionString`` as the page does (only the
expression), a broken one fails at ``build()`` saying what to implement, and ``resource.get_connection_string()``
(Aspire's ``GetConnectionStringAsync``) gives the live value in run mode."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

import attrs
import pytest

import aspyre
from aspyre import EndpointProperty, ReferenceExpression

from .helpers import run_builder, wait_state

pytestmark = pytest.mark.anyio


@attrs.define(eq=False, repr=False)
class QueueResource(aspyre.Resource, aspyre.IResourceWithConnectionString):
    """As the page's RedisResource: data, and the connection string as an expression; nothing else."""

    resource_type: ClassVar[str] = "Queue"
    endpoint: aspyre.EndpointReference = attrs.field(kw_only=True)
    password: aspyre.ParameterResource = attrs.field(kw_only=True)

    @property
    def connection_string_expression(self) -> ReferenceExpression:
        return ReferenceExpression.format(
            "amqp://{}@{}", self.password, self.endpoint.property(EndpointProperty.HOST_AND_PORT)
        )


@attrs.define(eq=False, repr=False)
class Unfinished(aspyre.Resource, aspyre.IResourceWithConnectionString):
    """Declares a connection string and forgets to implement it."""


def queue_app(tmp_path: Path) -> tuple[aspyre.DistributedApplicationBuilder, QueueResource]:
    builder = run_builder(tmp_path)
    broker = builder.add_executable("broker", sys.executable, "-c", "import time; time.sleep(60)").with_endpoint(
        name="amqp", scheme="tcp", env="PORT"
    )
    password = builder.add_parameter("queue-password", "s3cret", secret=True)
    queue = builder.add_resource(
        QueueResource("queue", endpoint=broker.get_endpoint("amqp"), password=password.resource)
    ).resource
    builder.add_executable("worker", sys.executable, "-c", "pass").with_reference(queue)
    return builder, queue


async def test_a_custom_resource_with_only_an_expression_builds_and_is_referenced(tmp_path: Path) -> None:
    builder, queue = queue_app(tmp_path)
    app = builder.build()  # was: TypeError: 'NoneType' object is not iterable
    assert queue.connection_properties() == ()
    env = await aspyre.model.compute_environment(app.model["worker"])
    assert ReferenceExpression.format("{}", env["ConnectionStrings__queue"]).value_expression == "{queue.connectionString}"
    assert queue.connection_string_expression.value_expression == (
        "amqp://{queue-password.value}@{broker.bindings.amqp.host}:{broker.bindings.amqp.port}"
    )


def test_an_unimplemented_connection_string_fails_at_build_saying_what_to_implement(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    builder.add_resource(Unfinished("half"))
    with pytest.raises(aspyre.ModelValidationError) as info:
        builder.build()
    (problem,) = info.value.problems
    assert "Resource 'half' (Unfinished) has a connection string (IResourceWithConnectionString)" in problem
    assert "implement that property" in problem


async def test_get_connection_string_in_run_mode(tmp_path: Path) -> None:
    builder, queue = queue_app(tmp_path)
    app = builder.build()
    async with app:
        await wait_state(app, "broker", aspyre.KnownResourceStates.RUNNING)
        port = queue.endpoint.port
        expected = f"amqp://s3cret@127.0.0.1:{port}"
        assert await queue.get_connection_string() == expected
        assert await app.get_connection_string(queue) == expected
        assert await app.get_connection_string("queue") == expected


async def test_get_connection_string_before_allocation_says_so(tmp_path: Path) -> None:
    _, queue = queue_app(tmp_path)
    with pytest.raises(aspyre.EndpointNotAllocatedError, match="has not been allocated"):
        await queue.get_connection_string()
