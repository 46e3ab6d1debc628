"""A tiny web app for the concepts example: serves on $PORT, reports the API it references."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer

API_URL = os.environ.get("services__api__http__0")  # noqa: SIM112 - the name Aspire gives it
HEALTH_URL = os.environ.get("HEALTH_URL")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"api at {API_URL}; health url {HEALTH_URL}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
