"""PostgreSQL with aspyre: a database created on first start, a migration, then a report.

    python examples/postgres/apphost.py             # run it (Ctrl-C stops it); run it again: the count goes on
    python examples/postgres/apphost.py --with-ui   # also pgAdmin and pgweb (their images must be
                                                    # available: docker pull ...)
    python examples/postgres/apphost.py --publisher manifest --output-path out/   # publish it instead

``migrate`` starts once the database ``appdb`` exists; ``report`` once ``migrate`` finished with
exit code 0. Both find the database through the variables ``with_reference(db)`` gives them.
"""

import aspyre

builder = aspyre.DistributedApplication.create_builder()

# add_postgres comes from aspyre-postgres (found through its entry point); the data volume is
# named after this app host, so the data survives restarts.
pg = builder.add_postgres("pg").with_data_volume()
if "--with-ui" in builder.remaining_args:
    pg.with_pgadmin().with_pgweb()
db = pg.add_database("appdb")  # created when the server is ready

migrate = builder.add_python_app("migrate", "migrate.py").with_reference(db).wait_for(db)
builder.add_python_app("report", "report.py").with_reference(db).wait_for_completion(migrate)

builder.build().run()
