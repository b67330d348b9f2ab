"""Several processes opening one fresh store at once all get a migrated store.

Crawl workers started together on a new database used to race on the first migration:
each saw no tables, each created them, and all but one failed with `table cluster
already exists`. The processes here are real, released together once all have imported
the store, so their migrations overlap.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from store import Store
from tests.conftest import BACKEND, ROOT

PROCESSES = 6

# Waits for the go file, then opens (and so migrates) the store; prints "ok" when it did.
OPEN_STORE = """
import os, sys, time
from store import Store
ready, go, url = sys.argv[1:]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
Store(url).close()
print("ok")
"""


def fresh_store_url(folder: Path) -> str:
    """A store no migration has touched: a new SQLite path, or an empty PostgreSQL database."""
    if BACKEND == "sqlite":
        return f"sqlite:///{folder / 'fresh.db'}"
    from tests import pg

    return pg.new_database("fresh", template="template0")


def test_processes_opening_a_fresh_store_at_once_all_succeed(tmp_path: Path) -> None:
    url = fresh_store_url(tmp_path)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_STORE, str(tmp_path / f"ready-{i}"), str(go), url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{i}").exists() for i in range(PROCESSES)):
        assert time.monotonic() < deadline, "the processes did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.touch()
    outcomes = [p.communicate(timeout=120) for p in procs]
    failed = [
        err.strip().splitlines()[-1:]
        for (_out, err), p in zip(outcomes, procs, strict=True)
        if p.returncode
    ]
    assert failed == []
    assert [out.strip() for out, _err in outcomes] == ["ok"] * PROCESSES
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            revisions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(revisions) == 1  # one migration history, not one per process
    finally:
        store.close()
