"""At app shutdown every resource stops at once, except that one waits for what depends on it to have
stopped (issue 19: no waves, where an unrelated slow stop held everything behind it)."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = pytest.mark.anyio

# A process that, on SIGTERM, notes it in the shared journal, waits (at most 8 s, less than the grace
# period) until the journal holds WAIT_FOR (when given), notes its exit and exits.
PROCESS = """
import os, signal, sys, time
name, journal, wait_for = sys.argv[1], sys.argv[2], sys.argv[3]

def note(what):
    with open(journal, "a") as f:
        f.write(f"{name} {what}\\n")

def on_term(*_):
    note("term")
    if wait_for:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            with open(journal) as f:
                if wait_for in f.read().splitlines():
                    break
            time.sleep(0.02)
        else:
            note("gave up waiting for " + wait_for)
    note("exit")
    sys.exit(0)

signal.signal(signal.SIGTERM, on_term)
note("up")
while True:
    time.sleep(0.05)
"""


async def test_a_dependency_stops_after_its_dependants_not_after_unrelated_ones(tmp_path: Path) -> None:
    script = tmp_path / "proc.py"
    script.write_text(PROCESS)
    journal = tmp_path / "journal.txt"
    journal.write_text("")
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")

    def proc(name: str, wait_for: str = "") -> aspyre.ResourceBuilder[aspyre.ExecutableResource]:
        return b.add_executable(name, sys.executable, str(script), name, str(journal), wait_for)

    db = proc("db")
    api = proc("api").wait_for(db)
    # Unrelated to db and api: it stops slowly, until db was told to stop (at most 8 s).
    slow = proc("slow", wait_for="db term")
    cache = proc("cache")
    proc("web").wait_for(cache)
    app = b.build()
    async with app:
        with anyio.fail_after(60):
            for r in (db, api, slow, cache):
                await app.resource_notifications.wait_for_resource(r.resource, S.RUNNING)
            while journal.read_text().count(" up") < 5:
                await anyio.sleep(0.02)
    lines = journal.read_text().splitlines()
    at = {line: i for i, line in enumerate(lines)}
    # Dependants first: api (and web) had exited before db (and cache) were told to stop.
    assert at["api exit"] < at["db term"], lines
    assert at["web exit"] < at["cache term"], lines
    # ... while what does not depend on anything running stopped at once, alongside: db was told to stop
    # while the unrelated slow one was still stopping (it waited for that, and did not give up).
    assert at["db term"] < at["slow exit"], lines
    assert not any("gave up" in line for line in lines), lines
    assert at["slow term"] < at["db term"], lines
