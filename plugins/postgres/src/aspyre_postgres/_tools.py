"""pgAdmin and pgweb: their resources, ``with_pgadmin()`` and ``with_pgweb()``, and their configuration, generated
from the app model when they start.

Imported when an app host adds one (the entry points resolve these names through the package), not by
``add_postgres``: their classes are named as strings in the ``resource_extension`` declaration of
``with_host_port``, which also applies to them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import attrs

import aspyre

from ._resources import (
    DEFAULT_USER_NAME,
    PGADMIN_IMAGE,
    PGADMIN_TAG,
    PGWEB_IMAGE,
    PGWEB_TAG,
    PostgresDatabaseResource,
    PostgresServerResource,
)

__all__ = [
    "PgAdminContainerResource",
    "PgWebContainerResource",
    "with_pgadmin",
    "with_pgweb",
    "PGADMIN_SERVERS_PATH",
    "pgadmin_container_files",
    "pgweb_container_files",
    "PGWEB_BOOKMARKS_PATH",
    "pgadmin_config_file",
    "pgadmin_servers",
    "pgweb_bookmarks",
    "pgweb_bookmarks_directory",
    "tools_directory",
    "write_pgadmin_config",
    "write_pgweb_bookmarks",
]

@attrs.define(eq=False, repr=False)
class PgAdminContainerResource(aspyre.ContainerResource):
    """pgAdmin 4 (``with_pgadmin``): one per app, it lists every PostgreSQL server of the app."""

    resource_type: ClassVar[str] = "Container"


@attrs.define(eq=False, repr=False)
class PgWebContainerResource(aspyre.ContainerResource):
    """pgweb (``with_pgweb``): one per app, with a bookmark for every PostgreSQL database of the app."""

    resource_type: ClassVar[str] = "Container"


ServerBuilder = aspyre.ResourceBuilder[PostgresServerResource]
PgAdminBuilder = aspyre.ResourceBuilder[PgAdminContainerResource]
PgWebBuilder = aspyre.ResourceBuilder[PgWebContainerResource]
H = TypeVar("H", PgAdminContainerResource, PgWebContainerResource)

#: Relationship types shown between a server and its helpers.
PGADMIN_RELATIONSHIP = "PgAdmin"
PGWEB_RELATIONSHIP = "PgWeb"

#: Where pgAdmin reads the servers to show (in its container).
PGADMIN_SERVERS_PATH = "/pgadmin4/servers.json"
#: Where pgweb reads its bookmarks (in its container; ``--bookmarks-dir``).
PGWEB_BOOKMARKS_PATH = "/.pgweb/bookmarks"


def tools_directory(app_host_path: Path) -> Path:
    """Where the helpers' generated files live for one app host: beside its secrets, outside the repository.

    The files hold passwords, so they go to the app host's secrets directory (``$ASPYRE_SECRETS_DIR``,
    else ``$XDG_DATA_HOME/aspyre/secrets``), in a sub-directory named after the app host.
    """
    store = aspyre.plugins.SecretsStore(app_host_path)
    return store.directory / f"{store.path.stem}-postgres"


def pgadmin_config_file(app_host_path: Path) -> Path:
    """The host file mounted at ``/pgadmin4/servers.json``."""
    return tools_directory(app_host_path) / "pgadmin" / "servers.json"


def pgweb_bookmarks_directory(app_host_path: Path) -> Path:
    """The host directory mounted at ``/.pgweb/bookmarks``."""
    return tools_directory(app_host_path) / "pgweb" / "bookmarks"


async def _credentials(server: PostgresServerResource) -> tuple[str, str]:
    context = aspyre.model.ValueContext(network=aspyre.model.KnownNetworks.CONTAINER)
    user = await aspyre.model.resolve_value(server.user_name, context) or DEFAULT_USER_NAME
    password = await aspyre.model.resolve_value(server.password_parameter, context) or ""
    return user, password


def _target_port(server: PostgresServerResource) -> int:
    port = server.primary_endpoint.target_port
    return 5432 if port is None else port


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


async def pgadmin_servers(servers: Iterable[PostgresServerResource]) -> dict[str, Any]:
    """pgAdmin's ``servers.json`` document: every server, reached by name on the container network."""
    entries: dict[str, Any] = {}
    for index, server in enumerate(servers, start=1):
        user, password = await _credentials(server)
        entries[str(index)] = {
            "Name": server.name,
            "Group": "Servers",
            "Host": server.name,
            "Port": _target_port(server),
            "Username": user,
            "SSLMode": "prefer",
            "MaintenanceDB": "postgres",
            # pgAdmin runs this command to get the password (no password file to chmod).
            "PasswordExecCommand": f"echo {_shell_quote(password)}",
        }
    return {"Servers": entries}


def _toml_string(text: str) -> str:
    # JSON string escapes (\" \\ \n \uXXXX) are valid TOML basic-string escapes.
    import json  # here: the module is on an app host's import path, the JSON only when the tools start

    return json.dumps(text, ensure_ascii=False)


async def pgweb_bookmarks(databases: Iterable[PostgresDatabaseResource]) -> dict[str, str]:
    """pgweb's bookmarks: file name (``{database resource}.toml``) -> contents, one per database."""
    out: dict[str, str] = {}
    for db in databases:
        server = db.parent
        user, password = await _credentials(server)
        lines = [
            f"host = {_toml_string(server.name)}",
            f"port = {_target_port(server)}",
            f"user = {_toml_string(user)}",
            f"password = {_toml_string(password)}",
            f"database = {_toml_string(db.database_name)}",
            'sslmode = "disable"',
        ]
        out[f"{db.name}.toml"] = "\n".join(lines) + "\n"
    return out


def _make_private_parent(directory: Path) -> None:
    # The tools directory holds passwords: only its owner may enter it. The files inside are
    # readable by anyone who can reach them, because the helper runs as another user in its
    # container (a bind mount shows the file itself, not the directories above it).
    tools = directory.parent
    tools.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(tools, 0o700)
    directory.mkdir(exist_ok=True)
    os.chmod(directory, 0o755)


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:  # in place: a bind mount follows the inode
        f.write(text)
    os.chmod(path, 0o644)


async def write_pgadmin_config(path: Path, model: Iterable[aspyre.IResource]) -> Path:
    """Write pgAdmin's ``servers.json`` for every PostgreSQL server in ``model`` to ``path``."""
    servers = [r for r in model if isinstance(r, PostgresServerResource)]
    document = await pgadmin_servers(servers)
    _make_private_parent(path.parent)
    import json

    _write(path, json.dumps(document, indent=2) + "\n")
    return path


async def write_pgweb_bookmarks(directory: Path, model: Iterable[aspyre.IResource]) -> list[Path]:
    """Write a pgweb bookmark for every PostgreSQL database in ``model`` into ``directory``."""
    databases = [r for r in model if isinstance(r, PostgresDatabaseResource)]
    return _store_bookmarks(directory, await pgweb_bookmarks(databases))


def _store_bookmarks(directory: Path, files: dict[str, str]) -> list[Path]:
    _make_private_parent(directory.parent)
    directory.mkdir(exist_ok=True)
    os.chmod(directory, 0o755)
    for stale in directory.glob("*.toml"):
        if stale.name not in files:
            stale.unlink()
    written = []
    for name, text in files.items():
        target = directory / name
        _write(target, text)
        written.append(target)
    return written


def pgadmin_container_files(
    model: Callable[[], Iterable[aspyre.IResource]],
) -> Callable[[aspyre.model.ContainerFilesCallbackContext], Awaitable[list[aspyre.ContainerFile]]]:
    """The ``with_container_files`` callback that makes pgAdmin's ``servers.json`` from ``model()`` when it starts."""

    async def files(context: aspyre.model.ContainerFilesCallbackContext) -> list[aspyre.ContainerFile]:
        servers = [r for r in model() if isinstance(r, PostgresServerResource)]
        document = await pgadmin_servers(servers)
        import json

        return [aspyre.ContainerFile(PGADMIN_SERVERS_PATH.rpartition("/")[2], json.dumps(document, indent=2) + "\n")]

    return files


def pgweb_container_files(
    model: Callable[[], Iterable[aspyre.IResource]],
) -> Callable[[aspyre.model.ContainerFilesCallbackContext], Awaitable[list[aspyre.ContainerFile]]]:
    """The ``with_container_files`` callback that makes pgweb's bookmarks from ``model()`` when it starts."""

    async def files(context: aspyre.model.ContainerFilesCallbackContext) -> list[aspyre.ContainerFile]:
        databases = [r for r in model() if isinstance(r, PostgresDatabaseResource)]
        return [aspyre.ContainerFile(name, text) for name, text in (await pgweb_bookmarks(databases)).items()]

    return files


def helper_model(event: aspyre.events.ResourceEvent) -> list[aspyre.IResource]:
    """The resources of the app that fired ``event``."""
    return list(event.app.model)


async def on_pgadmin_starting(event: aspyre.events.BeforeResourceStartedEvent) -> None:
    """Before pgAdmin starts: write ``servers.json`` from the model."""
    resource = event.resource
    assert isinstance(resource, PgAdminContainerResource)
    await write_pgadmin_config(pgadmin_config_file(event.app.app_host_path), helper_model(event))


async def on_pgweb_starting(event: aspyre.events.BeforeResourceStartedEvent) -> None:
    """Before pgweb starts: write its bookmarks from the model."""
    resource = event.resource
    assert isinstance(resource, PgWebContainerResource)
    await write_pgweb_bookmarks(pgweb_bookmarks_directory(event.app.app_host_path), helper_model(event))


# --------------------------------------------------------------------------- with_pgadmin, with_pgweb


def _existing(builder: ServerBuilder, kind: type[H]) -> aspyre.ResourceBuilder[H] | None:
    app_builder = builder.application_builder
    for r in app_builder.resources:
        if isinstance(r, kind):
            return app_builder.create_resource_builder(r)
    return None


@aspyre.plugins.resource_extension(PostgresServerResource)
def with_pgadmin(
    builder: ServerBuilder,
    configure: Callable[[PgAdminBuilder], object] | None = None,
    container_name: str = "pgadmin",
) -> ServerBuilder:
    """Add pgAdmin 4 (one per app), listing every PostgreSQL server of the app.

    ``configure`` receives pgAdmin's resource builder (``with_host_port``, ``with_image_tag``...);
    ``container_name`` is its resource name. Calling this on another server reuses the same
    pgAdmin. pgAdmin runs without a login (desktop mode) and is left out of manifests.
    """
    helper = _existing(builder, PgAdminContainerResource)
    if helper is None:
        app_builder = builder.application_builder
        helper = app_builder.add_resource(PgAdminContainerResource(container_name))
        helper.with_image(PGADMIN_IMAGE, PGADMIN_TAG)
        helper.with_http_endpoint(target_port=80, name="http")
        helper.with_environment("PGADMIN_CONFIG_MASTER_PASSWORD_REQUIRED", "False")
        helper.with_environment("PGADMIN_CONFIG_SERVER_MODE", "False")
        helper.with_environment("PGADMIN_DEFAULT_EMAIL", "admin@domain.com")
        helper.with_environment("PGADMIN_DEFAULT_PASSWORD", "admin")
        # servers.json is made when pgAdmin starts and created in its container (nothing written on the host).
        model = functools.partial(getattr, app_builder, "resources")
        helper.with_container_files(PGADMIN_SERVERS_PATH.rpartition("/")[0], pgadmin_container_files(model))
        helper.with_http_health_check("/browser")
        helper.exclude_from_manifest()
    if configure is not None:
        configure(helper)
    helper.with_relationship(builder.resource, PGADMIN_RELATIONSHIP)
    return builder


@aspyre.plugins.resource_extension(PostgresServerResource)
def with_pgweb(
    builder: ServerBuilder,
    configure: Callable[[PgWebBuilder], object] | None = None,
    container_name: str = "pgweb",
) -> ServerBuilder:
    """Add pgweb (one per app), with a bookmark for every PostgreSQL database of the app.

    ``configure`` receives pgweb's resource builder; ``container_name`` is its resource name.
    Calling this on another server reuses the same pgweb. It is left out of manifests.
    """
    helper = _existing(builder, PgWebContainerResource)
    if helper is None:
        app_builder = builder.application_builder
        helper = app_builder.add_resource(PgWebContainerResource(container_name))
        helper.with_image(PGWEB_IMAGE, PGWEB_TAG)
        helper.with_http_endpoint(target_port=8081, name="http")
        helper.with_args(f"--bookmarks-dir={PGWEB_BOOKMARKS_PATH}", "--sessions")
        model = functools.partial(getattr, app_builder, "resources")
        helper.with_container_files(PGWEB_BOOKMARKS_PATH, pgweb_container_files(model))
        helper.with_http_health_check()
        helper.exclude_from_manifest()
    if configure is not None:
        configure(helper)
    helper.with_relationship(builder.resource, PGWEB_RELATIONSHIP)
    return builder
