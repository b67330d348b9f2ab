"""No silent loss: a write the database refuses is counted, recorded with its URL and
reason, keeps the run from saying `ok`, and is stored by the next crawl. On every backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from samplesite import SampleSite, pages
from store import Store
from store import queries as q
from tests.conftest import Cli, crawl_runs, database_url, write_config

REFUSED = "/hkstp/news/2024/record-641-graduates/"  # one newsroom article of edition 1
REASON = "refused by the test"

SQLITE_TRIGGER = [
    f"CREATE TRIGGER refuse BEFORE INSERT ON article WHEN NEW.url LIKE '%{REFUSED}' "
    f"BEGIN SELECT RAISE(ABORT, '{REASON}'); END"
]
POSTGRES_TRIGGER = [
    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF NEW.url LIKE '%{REFUSED}' THEN RAISE EXCEPTION '{REASON}'; END IF; "
    "RETURN NEW; END $$",
    "CREATE TRIGGER refuse BEFORE INSERT ON article FOR EACH ROW EXECUTE FUNCTION refuse()",
]


def _execute(store: Store, statements: list[str]) -> None:
    with store.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def _stored_urls(store: Store) -> set[str]:
    with store.session() as session:
        return {a.url for a in q.list_articles(session, limit=None)}


def test_a_refused_write_is_counted_reported_and_stored_next_time(tmp_path: Path) -> None:
    with SampleSite(edition=1) as site:
        cli = Cli(
            write_config(tmp_path / "config.yaml", site.base_url), database_url(tmp_path), tmp_path
        )
        store = cli.store()
        _execute(store, SQLITE_TRIGGER if store.is_sqlite else POSTGRES_TRIGGER)

        result = cli("crawl", "--source", "newsroom")
        assert "Traceback" not in result.stderr
        run = crawl_runs(cli)["newsroom"]
        assert run["status"] == "errors"  # never `ok` after losing a page
        assert run["errors"] == 1
        [(url, reason)] = run["problems"]
        assert url.endswith(REFUSED) and "not stored" in reason and REASON in reason
        stored = _stored_urls(store)
        assert stored and not any(u.endswith(REFUSED) for u in stored)  # the others were kept

        _execute(
            store, ["DROP TRIGGER refuse" if store.is_sqlite else "DROP TRIGGER refuse ON article"]
        )
        cli("crawl", "--source", "newsroom")
        assert crawl_runs(cli)["newsroom"]["status"] == "ok"
        assert _stored_urls(store) == stored | {site.base_url + REFUSED}
        store.close()


POSTGRES_GONE = [
    # The server ends the crawl's connection on its first article: the database is gone.
    "CREATE FUNCTION vanish() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$",
    "CREATE TRIGGER vanish BEFORE INSERT ON article FOR EACH ROW EXECUTE FUNCTION vanish()",
]


def test_a_database_that_goes_away_stops_the_crawl_and_the_next_crawl_catches_up(
    tmp_path: Path,
) -> None:
    with SampleSite(edition=1) as site:
        cli = Cli(
            write_config(tmp_path / "config.yaml", site.base_url), database_url(tmp_path), tmp_path
        )
        store = cli.store()
        if store.is_sqlite:
            # SQLite has no server to lose: its file stays locked by another process instead.
            holder = sqlite3.connect(store.url.removeprefix("sqlite:///"), isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
        else:
            _execute(store, POSTGRES_GONE)
        try:
            result = cli("crawl", "--source", "newsroom", check=False)
        finally:
            if store.is_sqlite:
                holder.execute("ROLLBACK")
                holder.close()
            else:
                _execute(store, ["DROP TRIGGER vanish ON article"])
        assert result.returncode == 1
        errors = result.stderr.strip().splitlines()
        assert len(errors) == 1 and store.name in errors[0], result.stderr
        assert "Traceback" not in result.stderr
        assert _stored_urls(store) == set()

        cli("crawl", "--source", "newsroom")
        assert crawl_runs(cli)["newsroom"]["status"] == "ok"
        assert len(_stored_urls(store)) == sum(
            1 for p in pages(1) if p.site == "newsroom" and p.relevant
        )
        store.close()
