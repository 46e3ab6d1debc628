"""The demo-like stack the deployment tests publish and run: Redis, Postgres with a database, two Python apps.

``migrate`` creates a table in ``appdb`` and exits; ``api`` starts once Redis is healthy and the
migration finished, then answers ``GET /`` with what it read back from Redis and Postgres.
"""

import aspyre

builder = aspyre.DistributedApplication.create_builder()

cache = builder.add_redis("cache")
db = builder.add_postgres("pg").with_data_volume("pg-data").add_database("appdb")
greeting = builder.add_parameter("greeting", default="hello from $HOME, 100% # deployed")
api_key = builder.add_parameter("api-key", secret=True)

migrate = builder.add_python_app("migrate", "app/migrate.py").with_reference(db).wait_for(db)

api = (
    builder.add_python_app("api", "app/api.py")
    .with_http_endpoint(env="PORT")
    .with_http_health_check("/health")
    .with_reference(cache)
    .with_reference(db)
    .wait_for(cache)
    .wait_for_completion(migrate)
    .with_environment("GREETING", greeting)
    .with_environment("API_KEY", api_key)
)

builder.build().run()
