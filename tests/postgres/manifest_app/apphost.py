"""The app host of the PostgreSQL golden-manifest test (``python apphost.py --publisher manifest --output-path DIR``)."""

import aspyre

builder = aspyre.DistributedApplication.create_builder()

# Defaults: user postgres, a generated password, a random host port; one database; the admin UIs
# (left out of the manifest).
pg = builder.add_postgres("pg").with_pgadmin().with_pgweb()
appdb = pg.add_database("appdb")

# Credentials from parameters, a fixed host port, a named data volume, init scripts, two databases
# (one with another database name).
user = builder.add_parameter("reports-user")
password = builder.add_parameter("reports-password", secret=True)
reports = (
    builder.add_postgres("reports", user_name=user, password=password, port=15432)
    .with_data_volume("reports-data")
    .with_init_files("init")
)
sales = reports.add_database("sales", "sales_2026")
reports.add_database("audit").with_creation_script('CREATE DATABASE "audit" TEMPLATE template0')

# A process and a container that use the databases.
builder.add_python_app("migrate", "migrate.py").with_reference(appdb).wait_for(appdb)
builder.add_container("dashboard", "docker.io/library/busybox", "1.36").with_reference(sales).wait_for(sales)

builder.build().run()
