"""The app host of the Redis golden-manifest test (``python apphost.py --publisher manifest --output-path DIR``)."""

import aspyre

builder = aspyre.DistributedApplication.create_builder()

# Defaults: a generated password, a random host port; a named data volume turns persistence on.
cache = builder.add_redis("cache").with_data_volume("cache-data").with_redis_commander().with_redis_insight()

# A fixed host port, no password, custom snapshot settings, a read-only bind mount of seed data.
sessions = (
    builder.add_redis("sessions", port=6380)
    .with_password(None)
    .with_persistence(interval=10, keys_changed_threshold=5)
    .with_data_bind_mount("seed", read_only=True)
)

# A password parameter supplied by the deployment, and extra redis-server arguments.
queue_password = builder.add_parameter("queue-password", secret=True)
queue = builder.add_redis("queue", password=queue_password).with_args("--maxmemory", "64mb")

builder.add_container("worker", "docker.io/library/busybox", "1.36").with_reference(cache).with_reference(
    sessions
).with_reference(queue).wait_for(cache)

builder.build().run()
