"""A process that references the cache: it connects using only its environment variables.

It writes ``from-uri`` through ``CACHE_URI`` and ``from-connection-string`` through
``ConnectionStrings__cache`` (``host:port,password=...``), reads both back and prints them.
"""

import os

import redis

by_uri = redis.Redis.from_url(os.environ["CACHE_URI"])
by_uri.set("from-uri", "written by the client through CACHE_URI")

address, _, options = os.environ["ConnectionStrings__cache"].partition(",")  # noqa: SIM112 (Aspire's name)
host, _, port = address.rpartition(":")
password = dict(o.split("=", 1) for o in options.split(",") if o).get("password")
by_connection_string = redis.Redis(host=host, port=int(port), password=password, decode_responses=True)
by_connection_string.set("from-connection-string", "written by the client through ConnectionStrings__cache")

for key in ("from-uri", "from-connection-string"):
    print(key, "=", by_connection_string.get(key))
print("host/port from CACHE_HOST/CACHE_PORT:", os.environ["CACHE_HOST"], os.environ["CACHE_PORT"])
by_uri.close()
by_connection_string.close()
