"""Counts how often it ran, in Redis: ``redis.Redis.from_url(os.environ["CACHE_URI"])`` is all it needs."""

import os

import redis

client = redis.Redis.from_url(os.environ["CACHE_URI"], decode_responses=True)
runs = client.incr("counter:runs")
print(f"this is run number {runs} (Redis at {os.environ['CACHE_HOST']}:{os.environ['CACHE_PORT']})")
client.close()
