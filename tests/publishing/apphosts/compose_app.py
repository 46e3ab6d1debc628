"""An app host published with the example third-party publisher (``--publisher compose``)."""

from pathlib import Path

import aspyre

here = Path(__file__).parent
builder = aspyre.DistributedApplication.create_builder()
cache = builder.add_redis("cache")
pg = builder.add_postgres("pg").with_volume("pg-data", "/var/lib/postgresql/data")
db = pg.add_database("orders")
greeting = builder.add_parameter("greeting", default="hello $USER # not a comment")
api = builder.add_python_app("api", "api/main.py").with_http_endpoint(target_port=8000, env="PORT")
api.with_annotation(aspyre.annotations.DockerfileBuildAnnotation(here / "api", here / "api" / "Dockerfile", stage="prod"))
api.with_reference(cache).with_reference(db).wait_for(db).wait_for(cache).with_environment("GREETING", greeting)
web = builder.add_container("web", "nginx", "1.27").with_http_endpoint(port=8080, target_port=80)
web.with_reference(api).wait_for(api).with_bind_mount("site", "/usr/share/nginx/html", read_only=True)
builder.add_executable("seed", "python", "seed.py").with_reference(db)
builder.build().run()
