"""The demo app host: a Redis container, a migration job and a small Python web app.

    scripts/demo                 # set up and run it (or: .venv/bin/aspyre run examples/apphost.py)
    python examples/apphost.py --publisher manifest --output-path out/   # publish it instead

The web app starts once the migration finished with exit code 0, which itself starts once
Redis answers PING with its generated password. Ctrl-C stops everything.
"""

import aspyre

builder = aspyre.DistributedApplication.create_builder()

cache = builder.add_redis("cache")  # from aspyre-redis, found through its entry point

migrate = builder.add_python_app("migrate", "demo/migrate.py").with_reference(cache).wait_for(cache)

api = (
    builder.add_python_app("api", "demo/api.py")
    .with_http_endpoint(env="PORT")
    .with_http_health_check("/health")
    .with_reference(cache)
    .wait_for_completion(migrate)
)

builder.build().run()
