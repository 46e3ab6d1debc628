"""A small app to publish: python examples/publisher_example/demo/apphost.py --publisher manifest --output-path out/

With the example publisher installed (pip install -e examples/publisher_example), ``--publisher compose``
writes a Docker Compose file instead.
"""

from pathlib import Path

import aspyre

here = Path(__file__).parent
builder = aspyre.DistributedApplication.create_builder()

cache = builder.add_redis("cache")
db = builder.add_postgres("pg").with_volume("pg-data", "/var/lib/postgresql/data").add_database("shop")
api_key = builder.add_parameter("api-key", secret=True)

api = builder.add_python_app("api", "api/main.py").with_http_endpoint(target_port=8000, env="PORT")
# Published as a container built from this Dockerfile (container.v1); run as a local process otherwise.
api.with_annotation(aspyre.annotations.DockerfileBuildAnnotation(here / "api", here / "api" / "Dockerfile"))
api.with_reference(cache).with_reference(db).wait_for(db).with_environment("API_KEY", api_key)

web = builder.add_container("web", "nginx", "1.27").with_http_endpoint(port=8080, target_port=80)
web.with_reference(api).wait_for(api).with_bind_mount("site", "/usr/share/nginx/html", read_only=True)
web.with_external_http_endpoints()

builder.build().run()
