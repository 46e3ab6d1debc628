"""Creates the table the api reads, in the database the deployment created (appdb), through APPDB_URI."""

import os
import urllib.parse

import pg8000.native

uri = urllib.parse.urlsplit(os.environ["APPDB_URI"])  # postgresql://user:password@host:port/appdb
conn = pg8000.native.Connection(
    user=urllib.parse.unquote(uri.username or ""),
    password=urllib.parse.unquote(uri.password or ""),
    host=uri.hostname or "",
    port=uri.port or 5432,
    database=uri.path.lstrip("/"),
)
conn.run("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text NOT NULL)")
conn.run("INSERT INTO notes (body) VALUES (:body)", body="written by migrate")
conn.close()
print("migrated", flush=True)
