"""Redis with aspyre: a cache whose data survives restarts, and a process that uses it.

    python examples/redis/apphost.py              # run it (Ctrl-C stops it); run it again: the count goes on
    python examples/redis/apphost.py --with-ui    # also Redis Commander and Redis Insight (their images
                                                  # must be available: docker pull ...)
    python examples/redis/apphost.py --publisher manifest --output-path out/   # publish it instead

``counter`` starts once Redis answers PING with its generated password; it finds the server
through the variables ``with_reference(cache)`` gives it (``CACHE_URI``...).
"""

import aspyre

builder = aspyre.DistributedApplication.create_builder()

cache = (
    builder.add_redis("cache")  # from aspyre-redis, found through its entry point
    .with_data_volume()  # /data in a volume named after this app host: it survives restarts
    .with_persistence(interval=10, keys_changed_threshold=1)  # snapshot every 10 s if a key changed
)
if "--with-ui" in builder.remaining_args:
    cache.with_redis_commander().with_redis_insight()

builder.add_python_app("counter", "counter.py").with_reference(cache).wait_for(cache)

builder.build().run()
