"""An app host used by the publishing tests (run as ``python shop.py --publisher manifest --output-path out``)."""

import json
import os
import sys

import aspyre

builder = aspyre.DistributedApplication.create_builder()
cache = builder.add_redis("cache")
pg = builder.add_postgres("pg")
db = pg.add_database("orders")
api_key = builder.add_parameter("api-key", secret=True)
api = builder.add_python_app("api", "api/main.py").with_http_endpoint(env="PORT").with_external_http_endpoints()
api.with_reference(cache).with_reference(db).wait_for(db).with_environment("API_KEY", api_key)
web = builder.add_container("web", "nginx", "1.27").with_http_endpoint(port=8080, target_port=80)
web.with_reference(api).with_volume("web-cache", "/var/cache/nginx").with_bind_mount("site", "/usr/share/nginx/html")


def before_publish(event: aspyre.events.BeforePublishEvent) -> None:
    print("before-publish", event.app.execution_context.publisher_name, flush=True)


def after_publish(event: aspyre.events.AfterPublishEvent) -> None:
    print("after-publish", flush=True)


builder.eventing.subscribe(aspyre.events.BeforePublishEvent, before_publish)
builder.eventing.subscribe(aspyre.events.AfterPublishEvent, after_publish)

builder.build().run()

ORCHESTRATOR_DATA = {"aspyre._orchestrator", "aspyre._orchestrator._options"}
report = os.environ.get("SHOP_REPORT")
if report:
    with open(report, "w") as f:
        json.dump(
            {
                "docker_imported": "docker" in sys.modules,
                # app.options (plain data) lives beside the orchestrator; nothing else of it may load
                "orchestrator_imported": any(
                    m.startswith("aspyre._orchestrator") and m not in ORCHESTRATOR_DATA for m in sys.modules
                ),
            },
            f,
        )
