"""A one-shot migration: records the schema version in Redis, then exits 0."""

import os

import redis

client = redis.Redis.from_url(os.environ["CACHE_URI"])
client.set("schema_version", "1")
client.setnx("visits", 0)
print("migration done: schema_version=1")
