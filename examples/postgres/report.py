"""Count the runs recorded by migrate.py."""

import os

import psycopg

with psycopg.connect(os.environ["APPDB_URI"]) as conn:
    row = conn.execute("SELECT count(*) FROM runs").fetchone()
count = row[0] if row else 0
print(f"this is run number {count} (PostgreSQL at {os.environ['APPDB_HOST']}:{os.environ['APPDB_PORT']})")
