"""Unchanged pages are written in batches: a few statements and one transaction for many
pages, with their run's counters, and a refused write still a counted error naming its URL.
On every backend; the crash side (a killed re-crawl) is in tests/test_killed.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import event, text

from crawler.analysis import analyse
from crawler.items import Fetched
from crawler.process import Outcome, PageProcessor, Tally
from crawler.relevance import Watch
from crawler.urls import url_key
from store import Store
from store import queries as q
from store import writes as w
from store.clock import now
from tests.conftest import database_url

SAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "samplesite" / "sample-config.yaml"
BASE = "http://127.0.0.1:8765/hkstp/news/"
PAGES = 30
REFUSED = "release-7.html"


def page(number: int) -> Fetched:
    url = f"{BASE}release-{number}.html"
    body = (
        f"<html lang='en'><head><title>HKSTP release {number}</title></head><body><article>"
        f"<h1>HKSTP release {number}</h1><p>Hong Kong Science and Technology Parks "
        f"Corporation said on Monday that programme {number} admitted {number + 20} start-ups "
        f"working on robotics, materials and health technology at Science Park.</p>"
        "</article></body></html>"
    )
    return Fetched(
        source="newsroom",
        url=url,
        final_url=url,
        status=200,
        body=body.encode(),
        content_type="text/html; charset=utf-8",
        etag=f'"v{number}"',
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(database_url(tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def processor(store: Store) -> PageProcessor:
    data = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    watch = Watch.model_validate(data["watch"])
    processor = PageProcessor(store, watch, {}, near_duplicate_threshold=0.5)
    tally = Tally()
    for number in range(PAGES):
        fetched = page(number)
        assert processor.record(fetched, analyse(fetched, watch), tally) is Outcome.NEW
    with store.session() as session:
        processor.run_id = w.start_run(session, "newsroom", now())
    processor.tally = Tally()
    return processor


def not_modified(number: int) -> Fetched:
    return dataclasses.replace(page(number), status=304, body=b"", etag=None)


def commits(store: Store) -> list[int]:
    seen: list[int] = []
    event.listen(store.engine, "commit", lambda _connection: seen.append(1))
    return seen


def test_unchanged_pages_are_written_together_with_their_counts(
    store: Store, processor: PageProcessor
) -> None:
    with store.session() as session:
        known = q.known_urls(session)
    started = now()
    committed = commits(store)
    for number in range(PAGES):
        fetched = not_modified(number)
        outcome = processor.settle_unchanged(fetched, processor.tally, known[url_key(fetched.url)])
        assert outcome is Outcome.UNCHANGED
    processor.flush_unchanged()
    assert len(committed) <= 2  # one per page before: thirty

    with store.session() as session:
        [run] = q.runs(session, [processor.run_id])
        assert (run.pages, run.unchanged, run.errors) == (PAGES, PAGES, 0)
        articles = q.list_articles(session, limit=None)
        assert len(articles) == PAGES
        assert all(a.last_seen >= started for a in articles)
        states = [q.fetch_state(session, url_key) for url_key in known]
        assert {s.last_status for s in states if s} == {304}
        assert all(s.etag and s.content_hash and s.relevant for s in states if s)


SQLITE_TRIGGER = [
    "CREATE TRIGGER refuse BEFORE UPDATE ON fetch_state "
    f"WHEN NEW.url LIKE '%{REFUSED}' AND NEW.error IS NULL "
    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
]
POSTGRES_TRIGGER = [
    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF NEW.url LIKE '%{REFUSED}' AND NEW.error IS NULL THEN "
    "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$",
    "CREATE TRIGGER refuse BEFORE UPDATE ON fetch_state FOR EACH ROW EXECUTE FUNCTION refuse()",
]


def test_a_refused_page_in_a_batch_is_a_counted_error_naming_it(
    store: Store, processor: PageProcessor
) -> None:
    with store.engine.begin() as connection:
        for statement in SQLITE_TRIGGER if store.is_sqlite else POSTGRES_TRIGGER:
            connection.execute(text(statement))
    with store.session() as session:
        known = q.known_urls(session)
    tally = processor.tally
    assert tally is not None
    for number in range(PAGES):
        fetched = not_modified(number)
        outcome = processor.settle_unchanged(fetched, tally, known[url_key(fetched.url)])
        tally.counts[outcome] += 1  # as the pipeline counts what settle_unchanged says
    processor.flush_unchanged()

    [(url, reason, _at)] = tally.problems
    assert url.endswith(REFUSED) and "not stored" in reason and "refused by the test" in reason
    assert (tally.counts[Outcome.UNCHANGED], tally.counts[Outcome.ERROR]) == (PAGES - 1, 1)
    with store.session() as session:
        [run] = q.runs(session, [processor.run_id])
        assert run.unchanged == PAGES - 1  # the refused page is not counted as settled
        states = {s.url: s for s in (q.fetch_state(session, k) for k in known) if s}
        assert {u for u, s in states.items() if s.last_status == 304} == {
            u for u in states if not u.endswith(REFUSED)
        }
        assert q.list_articles(session, limit=None)  # nothing stored was lost
