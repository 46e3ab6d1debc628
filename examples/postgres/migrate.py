"""Create the schema (again: it is idempotent) and record this run. Needs nothing but its environment."""

import os

import psycopg

with psycopg.connect(os.environ["APPDB_URI"]) as conn:
    conn.execute("CREATE TABLE IF NOT EXISTS runs (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())")
    conn.execute("INSERT INTO runs DEFAULT VALUES")
print(f"migrated database {os.environ['APPDB_DATABASENAME']}")
