"""A small web app: counts visits in Redis. GET /health for the health check."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

client = redis.Redis.from_url(os.environ["CACHE_URI"], decode_responses=True)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            client.ping()
            body = {"status": "healthy"}
        else:
            body = {"visits": client.incr("visits"), "schema_version": client.get("schema_version")}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        print(format % args, flush=True)


port = int(os.environ["PORT"])
print(f"api listening on 127.0.0.1:{port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
