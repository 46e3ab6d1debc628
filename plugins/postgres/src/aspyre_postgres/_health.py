"""The PostgreSQL health check: the class ``add_postgres`` and ``add_database`` register.

What it does when it runs (psycopg in worker threads, creating the databases) is in :mod:`aspyre_postgres._checks`,
imported on the first check, so an app host that only builds its model does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

import aspyre

if TYPE_CHECKING:
    import anyio

    from ._resources import PostgresDatabaseResource, PostgresServerResource

__all__ = ["CREATION_WAIT", "MAINTENANCE_DATABASE", "PostgresHealthCheck"]

#: Seconds a database's check waits for its server to try creating it before reporting "waiting".
CREATION_WAIT = 3.0
#: The maintenance database the server check and database creation connect to.
MAINTENANCE_DATABASE = "postgres"


@attrs.define(eq=False)
class PostgresHealthCheck:
    """Healthy when the app host can connect to the database and run a query.

    The server's check connects to the ``postgres`` database; a database's check connects to
    that database, so it passes only once the database exists.
    """

    server: PostgresServerResource
    database: PostgresDatabaseResource | None = None
    #: The last refused-password explanation written to the server's log (written once, not per check).
    _logged: str | None = attrs.field(default=None, init=False, repr=False)
    #: The server's run (see :meth:`_server_run`) whose first successful check created its databases, on
    #: the connection it had just opened: the databases exist when the server is reported healthy.
    databases_created_for: object | None = attrs.field(default=None, init=False, repr=False)
    #: Creations under way, by server run (the check also runs for each database, as its parent's check).
    _creating: dict[object, anyio.Event] = attrs.field(factory=dict, init=False, repr=False)

    @property
    def dbname(self) -> str:
        return MAINTENANCE_DATABASE if self.database is None else self.database.database_name

    def __repr__(self) -> str:
        target = self.server.name if self.database is None else f"{self.server.name}/{self.database.database_name}"
        return f"PostgresHealthCheck({target})"

    async def __call__(self, context: aspyre.HealthCheckContext) -> aspyre.HealthCheckResult:
        from ._checks import check

        return await check(self, context)
