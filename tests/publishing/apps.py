"""App models used by the golden-file tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import attrs

import aspyre
from aspyre import EndpointProperty as P


@attrs.define(eq=False, repr=False)
class QueueResource(aspyre.ContainerResource, aspyre.IResourceWithConnectionString):
    """A container with a connection string (like the redis/postgres integrations)."""

    resource_type: ClassVar[str] = "Container"

    password: aspyre.ParameterResource = attrs.field(kw_only=True)

    @property
    def connection_string_expression(self) -> aspyre.ReferenceExpression:
        ep = self.get_endpoint("amqp")
        return aspyre.ReferenceExpression.format(
            "amqp://guest:{pw:uri}@{hp}", pw=self.password, hp=ep.property(P.HOST_AND_PORT)
        )

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        return [("Host", self.get_endpoint("amqp").property(P.HOST))]


@attrs.define(eq=False, repr=False)
class QueueChannelResource(aspyre.Resource, aspyre.IResourceWithParent, aspyre.IResourceWithConnectionString):
    """A connection-string-only child resource (like a postgres database)."""

    resource_type: ClassVar[str] = "QueueChannel"

    parent: QueueResource = attrs.field(kw_only=True)
    channel: str = attrs.field(kw_only=True)

    @property
    def connection_string_expression(self) -> aspyre.ReferenceExpression:
        return aspyre.ReferenceExpression.format(
            "{};Channel={}", aspyre.model.ConnectionStringReference(self.parent), self.channel
        )

    def connection_properties(self) -> Sequence[tuple[str, object]]:
        return [*self.parent.connection_properties(), ("Channel", self.channel)]


@attrs.define(eq=False, repr=False)
class TopicResource(aspyre.Resource):
    """A custom resource that writes its own manifest entry."""

    resource_type: ClassVar[str] = "Topic"

    partitions: int = attrs.field(default=1, kw_only=True)


def make_fake_venv(path: Path) -> None:
    """A directory that looks like a virtual environment (aspyre picks its interpreter)."""
    (path / "bin").mkdir(parents=True, exist_ok=True)
    (path / "bin" / "python").write_text("#!/bin/sh\n")


def build_everything(builder: aspyre.DistributedApplicationBuilder) -> None:
    """Every resource type, every value kind, every binding rule."""
    app_dir = builder.app_host_directory
    make_fake_venv(app_dir / "api" / ".venv")

    # ---- parameters: plain, secret, constant default, published value, generated defaults
    region = builder.add_parameter("region")
    api_key = builder.add_parameter("api-key", secret=True)
    log_level = builder.add_parameter("log-level", default="info")
    builder.add_parameter("feature-flags", "beta,dark-mode", publish_value_as_default=True)
    builder.add_parameter("admin-token", secret=True, default="not-in-the-manifest")
    queue_password = builder.add_parameter(
        "queue-password", secret=True, default=aspyre.GenerateParameterDefault(special=False)
    )
    builder.add_parameter(
        "salt",
        default=aspyre.GenerateParameterDefault(
            min_length=16,
            lower=False,
            upper=False,
            numeric=False,
            special=False,
            min_lower=1,
            min_upper=2,
            min_numeric=3,
            min_special=4,
        ),
    )

    # ---- connection strings: from outside (parameter), composed (value)
    legacy = builder.add_connection_string("legacy-db")

    # ---- a container with a connection string, endpoints, mounts, args and env of every kind
    queue = builder.add_resource(QueueResource("queue", password=queue_password.resource))
    queue.with_image("registry.example.com/acme/queue", "3.13")
    queue.with_entrypoint("/usr/local/bin/start-queue")
    queue.with_endpoint(target_port=5672, name="amqp", scheme="amqp")
    queue.with_http_endpoint(port=15672, target_port=15672, name="management")
    queue.with_endpoint(port=9000, name="metrics", scheme="tcp")
    queue.with_volume("queue-data", "/var/lib/queue")
    queue.with_volume("queue-config", "/etc/queue", read_only=True)
    queue.with_bind_mount("config/queue", "/etc/queue/conf.d", read_only=True)
    queue.with_args("--password", queue_password, "--listen", queue.get_endpoint("amqp").property(P.TARGET_PORT))
    queue.with_environment("QUEUE_PASSWORD", queue_password)
    queue.with_environment("QUEUE_REGION", region)
    channel = builder.add_resource(QueueChannelResource("orders", parent=queue.resource, channel="orders"))

    composed = builder.add_connection_string(
        "reporting",
        aspyre.ReferenceExpression.format(
            "Server={host};Port={port};Key={key:uri};Region={region}",
            host=queue.get_endpoint("amqp").property(P.HOST),
            port=queue.get_endpoint("amqp").property(P.PORT),
            key=api_key,
            region=region,
        ),
    )

    # ---- a plain executable: command, args, working directory, endpoint handed over in env
    worker = builder.add_executable("worker", "node", "worker.js", "--verbose", working_dir="worker")
    worker.with_http_endpoint(env="WORKER_PORT")
    worker.with_endpoint(port=7000, name="grpc", scheme="http2")
    worker.with_reference(channel)
    worker.with_reference(legacy)
    worker.with_environment("LOG_LEVEL", log_level)

    # ---- python apps: a script (executable.v0), a module, one built from a Dockerfile (container.v1)
    api = builder.add_python_app("api", "api/main.py", "--workers", 2)
    api.with_http_endpoint(env="PORT").with_https_endpoint(env="HTTPS_PORT").with_external_http_endpoints()
    api.with_reference(queue).with_reference(composed).with_reference(worker)
    api.with_environment("API_KEY", api_key)
    api.with_environment("QUEUE_HOST", queue.get_endpoint("amqp").property(P.HOST))
    api.with_environment("QUEUE_IPV4_HOST", queue.get_endpoint("amqp").property(P.IPV4_HOST))
    api.with_environment("QUEUE_PORT", queue.get_endpoint("amqp").property(P.PORT))
    api.with_environment("QUEUE_TARGET_PORT", queue.get_endpoint("amqp").property(P.TARGET_PORT))
    api.with_environment("QUEUE_HOST_AND_PORT", queue.get_endpoint("amqp").property(P.HOST_AND_PORT))
    api.with_environment("QUEUE_SCHEME", queue.get_endpoint("amqp").property(P.SCHEME))
    api.with_environment("QUEUE_TLS", queue.get_endpoint("amqp").property(P.TLS_ENABLED))
    api.with_environment("QUEUE_URL", queue.get_endpoint("amqp"))
    api.with_environment("WORKER_URL", worker.get_endpoint("http"))
    api.with_environment("PORT_NUMBER", 8080)
    api.with_environment("DEBUG", False)
    # nested expressions: an expression inside an expression, a uri-formatted parameter at both levels,
    # a uri-formatted single-parameter expression, and a format on a value that is not a parameter
    inner = aspyre.ReferenceExpression.format("{user}:{pw:uri}", user="svc", pw=queue_password)
    api.with_environment(
        "QUEUE_URI",
        aspyre.ReferenceExpression.format(
            "amqp://{creds}@{hp}/{{vhost}}", creds=inner, hp=queue.get_endpoint("amqp").property(P.HOST_AND_PORT)
        ),
    )
    api.with_environment(
        "KEY_QUERY",
        aspyre.ReferenceExpression.format(
            "?key={k:uri}&again={k2:uri}&host={h:uri}",
            k=api_key,
            k2=aspyre.ReferenceExpression.format("{}", api_key),
            h=queue.get_endpoint("amqp").property(P.HOST),
        ),
    )

    def environment_callback(ctx: aspyre.annotations.EnvironmentCallbackContext) -> None:
        mode = "publish" if ctx.execution_context.is_publish_mode else "run"
        ctx.environment["APP_MODE"] = mode
        ctx.environment["CALLBACK_URL"] = aspyre.ReferenceExpression.format("{}/callback", worker.get_endpoint("http"))
        # a parameter that is not in the model: written after the model's resources, as Aspire does
        ctx.environment["CALLBACK_SECRET"] = aspyre.ParameterResource("callback-secret", secret=True)

    async def args_callback(ctx: aspyre.annotations.CommandLineArgsCallbackContext) -> None:
        ctx.args.extend(["--region", region.resource])

    api.with_environment(environment_callback).with_args(args_callback)

    builder.add_python_app("jobs", module="acme.jobs", interpreter="python3.11").with_args("--once")

    frontend = builder.add_python_app("frontend", "frontend/app.py", venv="api/.venv")
    frontend.with_annotation(
        aspyre.annotations.DockerfileBuildAnnotation(app_dir / "frontend", app_dir / "frontend" / "Dockerfile.prod", "runtime")
    )
    frontend.with_http_endpoint(target_port=8501).with_external_http_endpoints()
    frontend.with_reference(api).with_args("--theme", "dark")

    # ---- a container built from a Dockerfile, with build args
    gateway = builder.add_container("gateway", "placeholder")
    gateway.with_dockerfile("gateway")
    gateway.with_annotation(
        aspyre.annotations.DockerfileBuildAnnotation(
            context=app_dir / "gateway",
            dockerfile=app_dir / "gateway" / "Dockerfile",
            build_args=(("VERSION", "1.2.3"), ("REGION", region.resource)),
        ),
        aspyre.annotations.MutationBehavior.REPLACE,
    )
    gateway.with_http_endpoint(port=80, target_port=8080).with_external_http_endpoints()
    gateway.with_reference(api.get_endpoint("https"))

    # ---- images by digest and with a registry
    builder.add_container("pinned", "alpine").with_image_sha256("a" * 64)

    # ---- custom entries and exclusion
    topic = builder.add_resource(TopicResource("events", partitions=3))

    def write_topic(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
        res = ctx.resource
        assert isinstance(res, TopicResource)
        ctx.entry["type"] = "acme.topic.v0"
        ctx.entry["partitions"] = res.partitions
        ctx.entry["queue"] = ctx.expression(channel.resource)

    topic.with_manifest_publishing_callback(write_topic)

    async def without_bindings(ctx: aspyre.publishing.ManifestPublishingContext) -> None:
        entry = await ctx.default_entry()
        assert isinstance(entry, aspyre.publishing.ManifestContainer)
        ctx.write(attrs.evolve(entry, bindings=None, image="mirror.example.com/tools/debug:1"))

    tools = builder.add_container("tools", "busybox", "1.36").with_http_endpoint(target_port=8080)
    tools.with_manifest_publishing_callback(without_bindings)
    builder.add_container("dashboard", "grafana/grafana").with_http_endpoint(target_port=3000).exclude_from_manifest()
