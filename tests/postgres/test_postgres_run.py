"""The PostgreSQL integration in run mode: a real Postgres container, real psycopg clients, real processes.

The server image is the pinned default (``docker.io/library/postgres:17.6``); CI tags its local
stand-in with that tag (``POSTGRES_EXTRA_TAGS``), so these tests exercise the default path.
Every test uses its own app host path; whatever Docker still holds with that app host's label
(containers, networks, the data volumes aspyre created) is removed afterwards.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import psycopg
import pytest

import aspyre
import aspyre_postgres

pytestmark = [pytest.mark.docker, pytest.mark.anyio]

#: A guard against hangs only (the suite's timeout is the real limit); never a speed assertion.
GUARD = 120


# ------------------------------------------------------------------------------------------ fixtures


def new_builder(app_host: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=app_host)


def write_script(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


async def wait_healthy(app: aspyre.DistributedApplication, *names: str) -> None:
    with anyio.fail_after(GUARD):
        for name in names:
            await app.resource_notifications.wait_for_resource_healthy(name)


async def wait_state(app: aspyre.DistributedApplication, name: str, *states: str) -> aspyre.ResourceSnapshot:
    with anyio.fail_after(GUARD):
        return await app.resource_notifications.wait_for_resource(name, lambda s: s.state_text in states)


def logs(app: aspyre.DistributedApplication, name: str) -> str:
    return "\n".join(line.content for line in app.resource_loggers.backlog(app.get_resource(name)))


async def connection_parts(app: aspyre.DistributedApplication, name: str) -> dict[str, str]:
    """The live connection string (``Host=...;Port=...``) of a server or database, as a dict."""
    text = await app.get_connection_string(name)
    assert text is not None
    return dict(part.split("=", 1) for part in text.split(";"))


async def connect(
    app: aspyre.DistributedApplication, name: str, dbname: str | None = None
) -> psycopg.AsyncConnection[Any]:
    parts = await connection_parts(app, name)
    return await psycopg.AsyncConnection.connect(
        host=parts["Host"],
        port=int(parts["Port"]),
        user=parts["Username"],
        password=parts["Password"],
        dbname=dbname or parts.get("Database", "postgres"),
        autocommit=True,
    )


# ------------------------------------------------------------------------------------------ tests


CHECK_URI = """
    import os, sys
    import psycopg

    try:
        with psycopg.connect(os.environ["APPDB_URI"], connect_timeout=5) as conn:
            name = conn.execute("select current_database()").fetchone()[0]
    except psycopg.OperationalError as exc:
        print(f"cannot connect: {exc}", file=sys.stderr)
        sys.exit(3)
    print(f"connected to {name}")
    sys.exit(0 if name == "appdb" else 4)
"""


async def test_dependents_start_once_the_database_exists(app_host: Path) -> None:
    builder = new_builder(app_host)
    pg = builder.add_postgres("pg")
    db = pg.add_database("appdb")
    script = write_script(app_host.parent, "check_uri.py", CHECK_URI)
    # One try, no retry: it exits 3 if it started before the database existed.
    builder.add_python_app("check", script).with_reference(db).wait_for(db)
    app = builder.build()
    async with app:
        snapshot = await wait_state(app, "check", aspyre.KnownResourceStates.FINISHED, "FailedToStart")
        assert snapshot.exit_code == 0, logs(app, "check")
        assert "connected to appdb" in logs(app, "check")
        assert "Created database 'appdb'" in logs(app, "pg")
        db_snapshot = app.resource_notifications.get_snapshot("appdb")
        assert db_snapshot is not None
        assert {r.name for r in db_snapshot.health_reports} == {"appdb_check", "pg_check"}


async def test_databases_exist_when_the_server_is_reported_healthy(app_host: Path) -> None:
    """The server's first successful check creates its databases on the connection it just opened: a
    resource-ready handler of the server (subscribed before the integration's own) finds them. The
    database is reported healthy only after that report of the server, with a report of the server's
    check made no earlier (every snapshot the app publishes is recorded, in order)."""
    builder = new_builder(app_host)
    seen: dict[str, object] = {}
    handled = anyio.Event()

    async def on_ready(event: aspyre.events.ResourceReadyEvent) -> None:
        if event.resource.name != "pg":
            return
        try:
            await look(event)
        finally:
            handled.set()

    async def look(event: aspyre.events.ResourceReadyEvent) -> None:
        app = event.app
        assert app is not None
        snapshot = app.resource_notifications.get_snapshot("pg")
        assert snapshot is not None
        seen["pg_report"] = snapshot.health_reports
        try:
            conn = await connect(app, "appdb")  # type: ignore[arg-type]
        except psycopg.OperationalError as exc:
            seen["appdb"] = f"cannot connect: {exc}"
        else:
            async with conn:
                seen["appdb"] = (await (await conn.execute("select current_database()")).fetchone() or [None])[0]

    builder.eventing.subscribe(aspyre.events.ResourceReadyEvent, on_ready)  # before add_postgres's own
    pg = builder.add_postgres("pg")
    pg.add_database("appdb")
    app = builder.build()
    published: list[tuple[str, aspyre.ResourceSnapshot]] = []

    async def record() -> None:
        async for update in app.resource_notifications.watch():
            if update.resource.name in ("pg", "appdb"):
                published.append((update.resource.name, update.snapshot))

    async with anyio.create_task_group() as tg:
        tg.start_soon(record)
        await anyio.lowlevel.checkpoint()  # the recorder subscribes before the app starts (tasks run in order)
        async with app:
            await wait_healthy(app, "appdb")
            with anyio.fail_after(GUARD):
                await handled.wait()
            pg_log = logs(app, "pg")
        tg.cancel_scope.cancel()
    assert seen.get("appdb") == "appdb", seen
    assert "Created database 'appdb'" in pg_log
    assert pg_log.count("Created database") == 1
    for name in ("pg", "appdb"):  # every snapshot of both was recorded
        versions = [s.version for n, s in published if n == name]
        assert versions == list(range(1, len(versions) + 1)), (name, versions)

    def report(s: aspyre.ResourceSnapshot, key: str) -> aspyre.model.HealthReportSnapshot | None:
        return next((r for r in s.health_reports if r.name == key), None)

    def healthy(s: aspyre.ResourceSnapshot) -> bool:
        return bool(s.health_reports) and all(r.status is aspyre.HealthStatus.HEALTHY for r in s.health_reports)

    first_pg = next(i for i, (n, s) in enumerate(published) if n == "pg" and healthy(s))
    first_db = next(i for i, (n, s) in enumerate(published) if n == "appdb" and healthy(s))
    assert first_pg < first_db, [(n, [(r.name, r.status) for r in s.health_reports]) for n, s in published]
    server_report = report(published[first_pg][1], "pg_check")
    db_snapshot = published[first_db][1]
    assert {r.name for r in db_snapshot.health_reports} == {"appdb_check", "pg_check"}
    inherited = report(db_snapshot, "pg_check")
    assert server_report is not None and inherited is not None
    assert server_report.last_run_at is not None and inherited.last_run_at is not None
    # The server's check that created the database, or a later one: never a report from before it existed.
    assert inherited.last_run_at >= server_report.last_run_at
    # The ready handler saw the server's healthy report.
    pg_reports = seen["pg_report"]
    assert isinstance(pg_reports, tuple)
    assert [r.status for r in pg_reports] == [aspyre.HealthStatus.HEALTHY]


CHECK_PARTS = """
    import os, sys
    import psycopg

    env = os.environ
    host, port = env["APPDB_HOST"], env["APPDB_PORT"]
    problems = []
    expected = {
        "Host": host, "Port": port, "Username": env["APPDB_USERNAME"],
        "Password": env["APPDB_PASSWORD"], "Database": env["APPDB_DATABASENAME"],
    }
    parts = dict(p.split("=", 1) for p in env["ConnectionStrings__appdb"].split(";"))
    if parts != expected:
        problems.append(f"ConnectionStrings__appdb has {sorted(parts)}")
    if env["APPDB_JDBCCONNECTIONSTRING"] != f"jdbc:postgresql://{host}:{port}/appdb":
        problems.append("APPDB_JDBCCONNECTIONSTRING: " + env["APPDB_JDBCCONNECTIONSTRING"])
    with psycopg.connect(
        host=host, port=int(port), user=env["APPDB_USERNAME"], password=env["APPDB_PASSWORD"],
        dbname=env["APPDB_DATABASENAME"], connect_timeout=5,
    ) as conn:
        conn.execute("create table visits (id serial primary key, who text not null)")
        conn.execute("insert into visits (who) values ('check-parts')")
    print("problems:", problems)
    sys.exit(1 if problems else 0)
"""


async def test_an_executable_connects_with_its_environment_variables_only(app_host: Path) -> None:
    builder = new_builder(app_host)
    db = builder.add_postgres("pg").add_database("appdb")
    script = write_script(app_host.parent, "check_parts.py", CHECK_PARTS)
    builder.add_python_app("check", script).with_reference(db).wait_for(db)
    app = builder.build()
    async with app:
        snapshot = await wait_state(app, "check", aspyre.KnownResourceStates.FINISHED, "FailedToStart")
        assert snapshot.exit_code == 0, logs(app, "check")
        async with await connect(app, "appdb") as conn:
            cur = await conn.execute("select who from visits")
            assert await cur.fetchall() == [("check-parts",)]


async def test_a_container_connects_over_the_container_network(app_host: Path) -> None:
    builder = new_builder(app_host)
    db = builder.add_postgres("pg").add_database("appdb")
    image = f"{aspyre_postgres.POSTGRES_IMAGE}:{aspyre_postgres.POSTGRES_TAG}"
    probe = builder.add_container("probe", image).with_entrypoint("/bin/sh")
    probe.with_args("-c", 'psql "$APPDB_URI" -v ON_ERROR_STOP=1 -tAc "select \'db=\' || current_database()"')
    probe.with_reference(db).wait_for(db)
    app = builder.build()
    async with app:
        snapshot = await wait_state(app, "probe", aspyre.KnownResourceStates.EXITED, "FailedToStart")
        output = logs(app, "probe")
        assert snapshot.exit_code == 0, output
        assert "db=appdb" in output
        # it reached the server by name on the container network, not through a host port
        env = {e.name: e.value for e in snapshot.environment_variables}
        assert env["APPDB_HOST"] == "pg" and env["APPDB_PORT"] == "5432"
        assert env["APPDB_URI"] is not None and env["APPDB_URI"].endswith("@pg:5432/appdb")


async def test_init_files_run_on_first_start(app_host: Path) -> None:
    init = app_host.parent / "init"
    init.mkdir()
    (init / "01-schema.sql").write_text(
        "CREATE TABLE greetings (id serial PRIMARY KEY, text text NOT NULL);\n"
        "INSERT INTO greetings (text) VALUES ('hello from init');\n"
    )
    (init / "02-more.sql").write_text("INSERT INTO greetings (text) VALUES ('second script');\n")
    builder = new_builder(app_host)
    pg = builder.add_postgres("pg").with_init_files(init)
    # The official image's entrypoint exports PGPASSWORD=$POSTGRES_PASSWORD for the init scripts
    # (local connections need a password with --auth-local=scram-sha-256); the local stand-in
    # image does not, so the test sets it (a no-op for the official image).
    pg.with_environment("PGPASSWORD", pg.resource.password_parameter)
    app = builder.build()
    async with app:
        await wait_healthy(app, "pg")
        assert "running /docker-entrypoint-initdb.d/01-schema.sql" in logs(app, "pg")
        async with await connect(app, "pg") as conn:
            cur = await conn.execute("select text from greetings order by id")
            assert await cur.fetchall() == [("hello from init",), ("second script",)]


async def test_data_volume_keeps_data_and_the_generated_password(app_host: Path, docker_client: Any) -> None:
    import docker.errors

    volume: str | None = None
    try:
        # First run: a generated password, a fresh volume.
        builder = new_builder(app_host)
        pg = builder.add_postgres("pg").with_data_volume()
        pg.add_database("appdb")
        volume = aspyre_postgres.data_volume_name(pg, "data")
        app = builder.build()
        async with app:
            await wait_healthy(app, "appdb")
            first_password = pg.resource.password_parameter.value
            async with await connect(app, "appdb") as conn:
                await conn.execute("create table items (name text)")
                await conn.execute("insert into items values ('kept')")
        assert docker_client.volumes.get(volume) is not None

        # Second run of the same app host: the same password (secrets store), the same data.
        builder = new_builder(app_host)
        pg = builder.add_postgres("pg").with_data_volume()
        pg.add_database("appdb")
        app = builder.build()
        async with app:
            await wait_healthy(app, "appdb")
            assert pg.resource.password_parameter.value == first_password
            async with await connect(app, "appdb") as conn:
                cur = await conn.execute("select name from items")
                assert await cur.fetchall() == [("kept",)]
            assert "Database 'appdb' already exists" in logs(app, "pg")

        # Third run with another password: the volume still has the old one, and the health
        # report says so and what to do.
        builder = new_builder(app_host)
        other = builder.add_parameter("other-password", "not-the-first-one", secret=True)
        pg = builder.add_postgres("pg").with_data_volume().with_password(other)
        pg.add_database("appdb")
        app = builder.build()
        async with app:

            def refused(snapshot: aspyre.ResourceSnapshot) -> bool:
                return any("password authentication failed" in (r.description or "") for r in snapshot.health_reports)

            with anyio.fail_after(GUARD):
                snapshot = await app.resource_notifications.wait_for_resource("pg", refused)
            [report] = [r for r in snapshot.health_reports if r.name == "pg_check"]
            assert report.status is aspyre.HealthStatus.UNHEALTHY
            assert report.description is not None
            assert 'password authentication failed for user "postgres"' in report.description
            assert (
                f"the data volume {volume} was initialised with a different password; remove the volume or "
                "restore the password"
            ) in report.description
            # said once in the server's log too (the console shows states, not health reports)
            assert logs(app, "pg").count(f"the data volume {volume} was initialised") == 1

            # the database is not healthy either: it inherits the server's check, and its own waits for the server
            def checked(snapshot: aspyre.ResourceSnapshot) -> bool:
                reports = {r.name: r for r in snapshot.health_reports}
                return (
                    "appdb_check" in reports
                    and reports["appdb_check"].status is not None
                    and "password authentication failed" in (reports["pg_check"].description or "")
                )

            with anyio.fail_after(GUARD):
                db_snapshot = await app.resource_notifications.wait_for_resource("appdb", checked)
            assert db_snapshot.health_status is aspyre.HealthStatus.UNHEALTHY
            reports = {r.name: r.description or "" for r in db_snapshot.health_reports}
            assert "waiting for server 'pg'" in reports["appdb_check"]
            assert "password authentication failed" in reports["pg_check"]
    finally:
        if volume is not None:
            try:
                docker_client.volumes.get(volume).remove(force=True)
            except docker.errors.NotFound:
                pass


async def test_creation_scripts_and_quoted_names(app_host: Path) -> None:
    builder = new_builder(app_host)
    pg = builder.add_postgres("pg")
    # a name that must be quoted (upper case, a hyphen, a space, a double quote)
    odd = pg.add_database("odd", 'Mixed-Case "db" name')
    custom = pg.add_database("custom").with_creation_script(
        "CREATE DATABASE \"custom\" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
    )
    broken = pg.add_database("broken").with_creation_script("CREATE DATABSE oops")
    app = builder.build()
    async with app:
        await wait_healthy(app, "odd", "custom")
        async with await connect(app, "pg") as conn:
            cur = await conn.execute("select datname, datcollate from pg_database order by datname")
            rows = dict(await cur.fetchall())
        assert rows[odd.resource.database_name] is not None
        assert rows[custom.resource.database_name] == "C"

        def explained(snapshot: aspyre.ResourceSnapshot) -> bool:
            return any("could not be created" in (r.description or "") for r in snapshot.health_reports)

        with anyio.fail_after(GUARD):
            snapshot = await app.resource_notifications.wait_for_resource("broken", explained)
        [report] = [r for r in snapshot.health_reports if r.name == "broken_check"]
        assert report.description is not None and "syntax error" in report.description
        assert "Failed to create database 'broken'" in logs(app, "pg")
        assert broken.resource.creation_error is not None


async def test_admin_ui_without_its_image_fails_alone(app_host: Path) -> None:
    # pgAdmin/pgweb images are not available here; the pull policy "never" keeps the test off the network.
    never = aspyre.ContainerImagePullPolicy.NEVER
    builder = new_builder(app_host)
    pg = builder.add_postgres("pg")
    pg.with_pgadmin(lambda c: c.with_image_pull_policy(never)).with_pgweb(lambda c: c.with_image_pull_policy(never))
    pg.add_database("appdb")
    app = builder.build()
    async with app:
        await wait_healthy(app, "appdb")
        for name, image in (("pgadmin", "dpage/pgadmin4"), ("pgweb", "sosedoff/pgweb")):
            snapshot = await wait_state(app, name, "FailedToStart", "RuntimeUnhealthy")
            assert snapshot.state_text == "FailedToStart"
            assert image in logs(app, name)
        pg_snapshot = app.resource_notifications.get_snapshot("pg")
        assert pg_snapshot is not None and pg_snapshot.state_text == aspyre.KnownResourceStates.RUNNING

        # The configuration is made from the live model, as the helpers' container files, and never written on
        # the host.
        files: dict[str, str] = {}
        for name in ("pgadmin", "pgweb"):
            helper = app.model[name]
            [ann] = helper.annotations.all(aspyre.annotations.ContainerFilesAnnotation)
            assert ann.callback is not None
            made = await ann.callback(aspyre.model.ContainerFilesCallbackContext(helper))  # type: ignore[misc]
            files.update({f"{ann.destination}/{f.name}": f.contents for f in made})
        servers = json.loads(files["/pgadmin4/servers.json"])["Servers"]
        password = pg.resource.password_parameter.value
        assert servers["1"]["Host"] == "pg" and servers["1"]["Port"] == 5432
        assert servers["1"]["PasswordExecCommand"] == f"echo '{password}'"
        assert 'database = "appdb"' in files["/.pgweb/bookmarks/appdb.toml"]
        assert not aspyre_postgres.pgadmin_config_file(app_host).exists()
