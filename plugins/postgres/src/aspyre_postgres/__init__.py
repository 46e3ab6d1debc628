"""PostgreSQL hosting integration for aspyre.

::

    pg = builder.add_postgres("pg").with_data_volume().with_pgadmin()
    db = pg.add_database("appdb")                       # created once the server is ready
    builder.add_python_app("migrate", "migrate.py").with_reference(db).wait_for(db)

``migrate`` starts once ``appdb`` exists and gets ``ConnectionStrings__appdb`` plus
``APPDB_HOST``, ``APPDB_PORT``, ``APPDB_USERNAME``, ``APPDB_PASSWORD``, ``APPDB_DATABASENAME``,
``APPDB_URI`` (``postgresql://user:password@host:port/appdb``) and ``APPDB_JDBCCONNECTIONSTRING``.

The methods are found through entry points (``builder.add_postgres``, ``pg.add_database``,
``pg.with_data_volume``...); importing this package is only needed for the types and constants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aspyre.plugins import lazy_exports as _lazy_exports

from ._deploy import DATABASES_SCRIPT_PATH, databases_script
from ._extensions import (
    add_database,
    add_postgres,
    data_volume_name,
    with_data_bind_mount,
    with_data_volume,
    with_host_port,
    with_init_files,
    with_password,
    with_user_name,
)
from ._health import PostgresHealthCheck
from ._resources import (
    DEFAULT_USER_NAME,
    INIT_FILES_PATH,
    PGADMIN_IMAGE,
    PGADMIN_TAG,
    PGWEB_IMAGE,
    PGWEB_TAG,
    POSTGRES_IMAGE,
    POSTGRES_TAG,
    PostgresDatabaseResource,
    PostgresServerResource,
    data_directory_for_tag,
    postgres_major_version,
)

__all__ = [
    "ConnectInfo",
    "DATABASES_SCRIPT_PATH",
    "DEFAULT_USER_NAME",
    "DatabaseCreationResult",
    "INIT_FILES_PATH",
    "PGADMIN_IMAGE",
    "PGADMIN_SERVERS_PATH",
    "PGADMIN_TAG",
    "PGWEB_BOOKMARKS_PATH",
    "PGWEB_IMAGE",
    "PGWEB_TAG",
    "POSTGRES_IMAGE",
    "POSTGRES_TAG",
    "PgAdminContainerResource",
    "PgWebContainerResource",
    "PostgresCreateDatabaseScriptAnnotation",
    "PostgresDatabaseResource",
    "PostgresHealthCheck",
    "PostgresServerResource",
    "add_database",
    "add_postgres",
    "create_databases",
    "data_directory_for_tag",
    "data_volume_name",
    "databases_script",
    "pgadmin_config_file",
    "pgadmin_container_files",
    "pgadmin_servers",
    "pgweb_bookmarks",
    "pgweb_bookmarks_directory",
    "pgweb_container_files",
    "postgres_major_version",
    "with_creation_script",
    "with_data_bind_mount",
    "with_data_volume",
    "with_host_port",
    "with_init_files",
    "with_password",
    "with_pgadmin",
    "with_pgweb",
    "with_user_name",
]

if TYPE_CHECKING:
    from ._checks import ConnectInfo, DatabaseCreationResult, create_databases
    from ._creation_script import PostgresCreateDatabaseScriptAnnotation, with_creation_script
    from ._tools import (
        PGADMIN_SERVERS_PATH,
        PGWEB_BOOKMARKS_PATH,
        PgAdminContainerResource,
        PgWebContainerResource,
        pgadmin_config_file,
        pgadmin_container_files,
        pgadmin_servers,
        pgweb_bookmarks,
        pgweb_bookmarks_directory,
        pgweb_container_files,
        with_pgadmin,
        with_pgweb,
    )

#: Names imported on first use (the module that holds each): what run mode does (psycopg's side), and pgAdmin and
#: pgweb (an entry point resolves its method through this package); none is needed to build a model without them.
_LAZY: dict[str, str] = {
    **dict.fromkeys(["ConnectInfo", "DatabaseCreationResult", "create_databases"], "._checks"),
    **dict.fromkeys(["PostgresCreateDatabaseScriptAnnotation", "with_creation_script"], "._creation_script"),
    **dict.fromkeys(
        [
            "PGADMIN_SERVERS_PATH",
            "PGWEB_BOOKMARKS_PATH",
            "PgAdminContainerResource",
            "PgWebContainerResource",
            "pgadmin_config_file",
            "pgadmin_container_files",
            "pgadmin_servers",
            "pgweb_bookmarks",
            "pgweb_bookmarks_directory",
            "pgweb_container_files",
            "with_pgadmin",
            "with_pgweb",
        ],
        "._tools",
    ),
}


if not TYPE_CHECKING:  # type checkers read the imports above; an unknown name stays an error for them
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY)
