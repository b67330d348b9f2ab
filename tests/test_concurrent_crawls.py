"""Crawls of sources that share figure series, started at one moment against one fresh store.

The scheduler's first start on a fresh store runs several `pressmon crawl` processes at
once; each replays the series it touched when it ends. They must all end `ok`, with the
flags one crawl of the same sources gives. The sources here share series: the newsroom,
the wire that syndicates its releases, and two sitemaps of the whole site (the second a
copy under another name, so two crawls meet on every page).

On PostgreSQL the test also holds the `flag` table (EXCLUSIVE mode: reads pass, writes
wait) until every crawl waits on a lock, so that their replays always overlap; SQLite has
no table locks, and there the overlap is left to the crawls' own timing.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from samplesite import SampleSite
from tests.conftest import BACKEND, CLI_TIMEOUT, Cli, database_url, write_config

SOURCES = ("newsroom", "wire", "sitemap", "sitemap-copy")
VOLATILE = {"id", "created", "previous_id", "digest_id"}  # row ids and wall-clock times
HOLD_LIMIT = 90  # seconds the flag table is held at most, should a crawl never wait


def _config(path: Path, base_url: str) -> Path:
    write_config(path, base_url)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_name = {s["name"]: s for s in data["sources"]}
    data["sources"] = [{**by_name[name.removesuffix("-copy")], "name": name} for name in SOURCES]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _flags(cli: Cli) -> list[dict[str, Any]]:
    flags = [{k: v for k, v in f.items() if k not in VOLATILE} for f in cli.json("flags")]
    return sorted(flags, key=lambda f: sorted((k, str(v)) for k, v in f.items()))


def _statuses(cli: Cli) -> dict[str, tuple[str, str | None]]:
    rows = _sql(cli.db_url, "SELECT source, status, error_text FROM crawl_run")
    return {source: (status, error) for source, status, error in rows}


def _sql(db_url: str, query: str) -> list[tuple[Any, ...]]:
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


@contextmanager
def _flag_table_held(db_url: str, crawls: list[subprocess.Popen[str]]) -> Iterator[None]:
    """PostgreSQL: hold `flag` against writes until every live crawl waits on a lock."""
    if BACKEND != "postgresql":
        yield
        return
    engine = create_engine(db_url, poolclass=NullPool)
    holder = engine.connect()
    holder.execute(text("LOCK TABLE flag IN EXCLUSIVE MODE"))
    released = threading.Event()

    def release_when_all_wait() -> None:
        waiting = (
            "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        deadline = time.monotonic() + HOLD_LIMIT
        with engine.connect() as probe:
            while time.monotonic() < deadline:
                live = sum(proc.poll() is None for proc in crawls)
                if probe.execute(text(waiting)).scalar_one() >= live:
                    break
                released.wait(0.2)
        holder.rollback()  # the table is free: the waiting replays go on, in turn
        released.set()

    watcher = threading.Thread(target=release_when_all_wait)
    watcher.start()
    try:
        yield
    finally:
        watcher.join()
        holder.close()
        engine.dispose()


def test_crawls_started_at_once_end_ok_with_the_flags_of_one_crawl(tmp_path: Path) -> None:
    with SampleSite(edition=1) as site:
        config = _config(tmp_path / "config.yaml", site.base_url)
        alone = Cli(config, database_url(tmp_path, "alone"), tmp_path)
        alone("crawl")  # the same sources one after another, in one process
        together = Cli(config, database_url(tmp_path, "together"), tmp_path)
        together("db", "upgrade")  # a fresh store, its schema made before the race starts
        argv = [sys.executable, "-m", "pressmon", "crawl", "--config", str(config)]
        argv += ["--db", together.db_url]
        crawls = [
            subprocess.Popen(
                [*argv, "--source", name],
                cwd=tmp_path,
                text=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for name in SOURCES
        ]
        with _flag_table_held(together.db_url, crawls):
            errors = [proc.communicate(timeout=CLI_TIMEOUT)[1] for proc in crawls]
    assert [proc.returncode for proc in crawls] == [0] * len(SOURCES), errors
    assert _statuses(together) == {name: ("ok", None) for name in SOURCES}
    expected = _flags(alone)
    assert expected  # the sources state figures: there are flags to agree on
    assert _flags(together) == expected
