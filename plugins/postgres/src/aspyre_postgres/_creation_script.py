"""``with_creation_script()`` and its annotation: imported when an app host gives a database its own SQL."""

from __future__ import annotations

import attrs

import aspyre

from ._resources import PostgresDatabaseResource

__all__ = ["PostgresCreateDatabaseScriptAnnotation", "with_creation_script"]

DatabaseBuilder = aspyre.ResourceBuilder[PostgresDatabaseResource]


@attrs.frozen
class PostgresCreateDatabaseScriptAnnotation(aspyre.annotations.ResourceAnnotation):
    """The SQL that creates a database (``with_creation_script``), run against the ``postgres`` database."""

    script: str


@aspyre.plugins.resource_extension(PostgresDatabaseResource)
def with_creation_script(builder: DatabaseBuilder, script: str) -> DatabaseBuilder:
    """Create the database with this SQL instead of ``CREATE DATABASE "<name>"``.

    The script runs on a connection to the ``postgres`` database in autocommit mode, so it can
    only hold statements for the server (``CREATE DATABASE ... OWNER ... TEMPLATE ...``), not
    tables: use ``with_init_files`` or a migration app for those.
    """
    if not isinstance(script, str) or not script.strip():
        raise ValueError(f"PostgreSQL database {builder.resource.name!r}: the creation script must be non-empty SQL")
    return builder.with_annotation(
        PostgresCreateDatabaseScriptAnnotation(script), aspyre.annotations.MutationBehavior.REPLACE
    )
