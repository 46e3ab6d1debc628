"""A Python app that knows nothing of OpenTelemetry: it counts visits in Redis (redis-py) and logs each one.

Run through ``opentelemetry-instrument`` (its environment has opentelemetry-distro and the redis
instrumentation), its Redis calls become spans and its log records OTLP logs without a line changed here.
"""

import logging
import os
import time

import redis

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
log = logging.getLogger("plain")

client = redis.Redis.from_url(os.environ["CACHE_URI"])
while True:
    visits = client.incr("plain:visits")
    log.warning("visit number %d", visits)
    time.sleep(0.5)
