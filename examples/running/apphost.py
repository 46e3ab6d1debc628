# examples/running/apphost.py
import sys

import aspyre

builder = aspyre.DistributedApplication.create_builder()

migrate = builder.add_executable("migrate", sys.executable, "-c", "print('migrated')")
api = (
    builder.add_executable("api", sys.executable, "-m", "http.server", "--bind", "127.0.0.1")
    .with_http_endpoint(env="PORT")
    .with_args(lambda ctx: ctx.args.append(api.get_endpoint("http").property(aspyre.EndpointProperty.TARGET_PORT)))
    .with_http_health_check("/")
    .wait_for_completion(migrate)
)
builder.build().run()
