"""Answers GET / with what it wrote to and read back from Redis and Postgres, through the addresses it was given."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pg8000.native
import redis

cache = redis.Redis.from_url(os.environ["CACHE_URI"], decode_responses=True)


def report() -> dict[str, object]:
    visits = cache.incr("visits")
    env = os.environ
    conn = pg8000.native.Connection(
        host=env["APPDB_HOST"],
        port=int(env["APPDB_PORT"]),
        user=env["APPDB_USERNAME"],
        password=env["APPDB_PASSWORD"],
        database=env["APPDB_DATABASENAME"],
    )
    try:
        database = conn.run("SELECT current_database()")[0][0]
        notes = [row[0] for row in conn.run("SELECT body FROM notes ORDER BY id")]
    finally:
        conn.close()
    return {
        "visits": visits,
        "redis_host": os.environ["CACHE_HOST"],
        "database": database,
        "notes": notes,
        "greeting": os.environ["GREETING"],
        "api_key_length": len(os.environ["API_KEY"]),
    }


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            cache.ping()
            body = {"status": "healthy"}
        else:
            body = report()
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        print(format % args, flush=True)


port = int(os.environ["PORT"])
print(f"api listening on 0.0.0.0:{port}", flush=True)
ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
