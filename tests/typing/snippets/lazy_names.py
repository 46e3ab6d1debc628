"""Names the integrations export on first use (``aspyre.plugins.lazy_exports``): type checkers see their real types
through the packages' ``if TYPE_CHECKING:`` imports, and a misspelt one is an error (lines marked ``# wrong``) for
mypy AND pyright (``tests/typing/test_builder_types.py``), as it is an AttributeError at run time."""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_type

import aspyre
import aspyre_postgres
import aspyre_redis
from aspyre_redis import RedisCommanderResource


def check() -> None:
    assert_type(aspyre_redis.RedisCommanderResource, type[RedisCommanderResource])
    assert_type(aspyre_redis.parse_redis_connection_string("localhost:6379").host, str)
    with_pgweb: Callable[..., object] = aspyre_postgres.with_pgweb
    bookmarks: str = aspyre_postgres.PGWEB_BOOKMARKS_PATH
    assert with_pgweb is not None and bookmarks and aspyre.plugins.lazy_exports is not None
    print(aspyre_redis.with_redis_comander)  # wrong
    print(aspyre_postgres.with_pg_web)  # wrong
