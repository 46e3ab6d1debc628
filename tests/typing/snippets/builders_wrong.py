"""Container-only, executable-only and Python-app-only methods on other builders: each line marked ``# wrong`` must be an
error for mypy AND for pyright (``tests/typing/test_builder_types.py``), and raises TypeError at run time."""

from __future__ import annotations

import aspyre
import aspyre_redis

builder = aspyre.DistributedApplication.create_builder([])
parameter = builder.add_parameter("param")
executable = builder.add_executable("e", "python")
container = builder.add_container("c", "redis")

builder.add_parameter("p").with_image("x")  # wrong
parameter.with_volume("data", "/data")  # wrong
executable.with_bind_mount(".", "/src")  # wrong
executable.with_lifetime(aspyre.ContainerLifetime.PERSISTENT)  # wrong
parameter.with_dockerfile(".")  # wrong
container.with_working_directory(".")  # wrong
aspyre_redis.add_redis(builder, "cache").with_working_directory(".")  # wrong
builder.add_connection_string("db", "Host=x").with_image("x")  # wrong
executable.with_uv()  # wrong
container.with_debugpy()  # wrong
