"""A crawl writes analysed pages in batches: what it stores is what recording the same pages
one by one stores, and a page the database refuses costs that page only. On every backend."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from crawler.analysis import analyse
from crawler.items import Fetched
from crawler.pipeline import PageBatch
from crawler.process import Outcome, PageProcessor, Pending, Tally
from figures.ledger import Ledger
from pressmon.config import Config, load_config
from store import Store
from store import queries as q
from store import writes as w
from store.clock import now
from store.errors import WriteRefused
from tests.conftest import ROOT, database_url
from tests.test_copies import NEWS, ORG, PAGES, RELEASE, REWRAPPED, WIRE, page

MOVED_FROM = "https://www.hkstp.org/news/2022/old-address"
REVISED = "https://www.hkstp.org/news/2022/revised"
ELSEWHERE = "https://www.example.com/weather/typhoon-signal"

FIRST_EDITION = page("HKSTP opens a laboratory", RELEASE[:2])
SECOND_EDITION = page(
    "HKSTP opens a laboratory",
    [*RELEASE[:2], "HKSTP said on Friday that the park now hosts more than 1,200 companies."],
)
WEATHER = page("Typhoon signal raised", ["The Observatory raised the No. 8 signal at noon."] * 3)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config.yaml")


def batch(config: Config) -> list[Fetched]:
    """A crawl's worth of pages: copies of one release (among them one reached by a redirect),
    an article stored before and now revised, an irrelevant page, and one page fetched twice."""
    fetched = [
        Fetched(source="newsroom", url=url, final_url=url, status=200, body=body)
        for url, body in PAGES.items()
        if url != ORG
    ]
    fetched += [
        Fetched(source="newsroom", url=MOVED_FROM, final_url=ORG, status=200, body=PAGES[ORG]),
        Fetched(source="newsroom", url=REVISED, final_url=REVISED, status=200, body=SECOND_EDITION),
        Fetched(source="newsroom", url=ELSEWHERE, final_url=ELSEWHERE, status=200, body=WEATHER),
        Fetched(source="newsroom", url=WIRE, final_url=WIRE, status=200, body=PAGES[WIRE]),
    ]
    return fetched


@pytest.fixture
def stores(tmp_path: Path, config: Config) -> Iterator[tuple[Store, Store]]:
    """Two fresh stores, each holding the first edition of the article the batch revises."""
    pair = (Store(database_url(tmp_path, "one_by_one")), Store(database_url(tmp_path, "batched")))
    for store in pair:
        processor = _processor(store, config)
        first = Fetched(
            source="newsroom", url=REVISED, final_url=REVISED, status=200, body=FIRST_EDITION
        )
        assert processor.record(first, analyse(first, config.watch), Tally()) is Outcome.NEW
    yield pair
    for store in pair:
        store.close()


def _processor(store: Store, config: Config) -> PageProcessor:
    with store.session() as session:
        source_ids = w.sync_sources(session, config.sources)
        run_id = w.start_run(session, "newsroom", now())
    processor = PageProcessor(
        store,
        config.watch,
        source_ids,
        config.crawl.near_duplicate_threshold,
        Ledger(config.watch.name, deferred=True),
    )
    processor.run_id = run_id
    return processor


def _contents(store: Store) -> dict[str, object]:
    """What a reader of the store sees, by URL (ids differ between the two stores)."""
    with store.session() as session:
        articles = q.list_articles(session, limit=None)
        url_of = {a.id: a.url for a in articles}
        clusters = {a.cluster_id for a in articles if a.cluster_id is not None}
        return {
            "articles": sorted(
                (a.url, a.title, a.kind, len(a.versions), a.versions[-1].content_hash)
                for a in articles
            ),
            "clusters": sorted(
                (
                    sorted(url_of[m.id] for m in q.cluster_members(session, cluster_id)),
                    url_of[q.cluster_truths(session, [cluster_id])[cluster_id] or 0],
                )
                for cluster_id in clusters
            ),
            "mentions": sorted(
                (m.article.url, m.metric, str(m.value), m.qualifier, m.as_of)
                for m in q.current_mentions(session)
            ),
            "flags": sorted(
                (f.kind, f.mention.article.url, f.mention.metric, str(f.mention.value))
                for f in q.list_flags(session)
            ),
            "fetched": sorted(
                (url, s.relevant, url_of.get(s.article_id or 0))
                for url in [*PAGES, MOVED_FROM, REVISED, ELSEWHERE]
                if (s := q.fetch_state(session, _key(url))) is not None
            ),
        }


def _counts(store: Store, processor: PageProcessor) -> tuple[int, ...]:
    """The run's counters, as the crawl's record keeps them."""
    with store.session() as session:
        run = q.runs(session, [processor.run_id or 0])[0]
        return run.pages, run.new, run.revised, run.unchanged, run.skipped, run.errors


def _key(url: str) -> str:
    from crawler.urls import url_key

    return url_key(url)


def test_a_batch_stores_what_recording_its_pages_one_by_one_stores(
    stores: tuple[Store, Store], config: Config
) -> None:
    one_by_one, batched = stores
    pages = batch(config)
    analyses = [analyse(fetched, config.watch, config.catalogue) for fetched in pages]

    alone = _processor(one_by_one, config)
    outcomes_alone = [alone.record(f, a, Tally()) for f, a in zip(pages, analyses, strict=True)]
    alone.settle_flags(Tally())
    together = _processor(batched, config)
    tally = Tally()
    outcomes_together = together.record_many(
        [Pending(f, a, tally) for f, a in zip(pages, analyses, strict=True)]
    )
    together.settle_flags(tally)

    assert outcomes_together == outcomes_alone
    assert outcomes_alone == [
        Outcome.NEW,  # the wire's copy
        Outcome.NEW,  # a newspaper's
        Outcome.NEW,  # a re-wrapped copy
        Outcome.NEW,  # the organisation's own, reached by a redirect
        Outcome.REVISED,
        Outcome.SKIPPED,
        Outcome.UNCHANGED,  # the wire's page again
    ]
    assert [url for url, _why, _at in tally.skips] == [ELSEWHERE]
    stored = _contents(batched)
    assert stored["mentions"] and stored["flags"]  # figures were found and compared too
    assert stored == _contents(one_by_one)
    assert _counts(batched, together) == _counts(one_by_one, alone)
    [(members, truth)] = stored["clusters"]  # type: ignore[misc]
    assert sorted(members) == sorted([ORG, WIRE, NEWS, REWRAPPED]) and truth == ORG


REFUSE = {
    "sqlite": [
        f"CREATE TRIGGER refuse BEFORE INSERT ON article WHEN NEW.url = '{NEWS}' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.url = '{NEWS}' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON article FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}


def test_a_page_the_database_refuses_costs_only_itself(
    stores: tuple[Store, Store], config: Config
) -> None:
    _, store = stores
    with store.engine.begin() as connection:
        for statement in REFUSE["sqlite" if store.is_sqlite else "postgresql"]:
            connection.execute(text(statement))
    pages = batch(config)
    processor = _processor(store, config)
    results = processor.record_many(
        [Pending(f, analyse(f, config.watch, config.catalogue), Tally()) for f in pages]
    )

    refused = [(f.url, r) for f, r in zip(pages, results, strict=True) if isinstance(r, Exception)]
    assert [url for url, _ in refused] == [NEWS]
    assert isinstance(refused[0][1], WriteRefused) and "refused by the test" in str(refused[0][1])
    with store.session() as session:
        stored = {a.url for a in q.list_articles(session, limit=None)}
        run = q.runs(session, [processor.run_id or 0])[0]
    assert stored == {ORG, WIRE, REWRAPPED, REVISED}
    assert run.pages == len(pages) - 1  # the refused page is the caller's error to count


def test_a_batch_waiting_on_a_locked_database_holds_up_nothing_else(
    stores: tuple[Store, Store], config: Config
) -> None:
    """The crawl's event loop keeps fetching while a batch waits for the database: the
    batch is written on the writer thread, and its pages' futures settle once it is."""
    _, store = stores
    processor = _processor(store, config)
    pages = [f for f in batch(config) if f.url in (WIRE, NEWS)][:2]
    analyses = [analyse(f, config.watch, config.catalogue) for f in pages]

    async def crawl_while_locked() -> tuple[list[Outcome], float, bool]:
        with ThreadPoolExecutor(1) as writer, store.engine.connect() as blocker:
            if store.is_sqlite:  # another writer holds the database
                blocker.exec_driver_sql("BEGIN IMMEDIATE")
                blocker.exec_driver_sql("UPDATE source SET name = name")
            else:
                blocker.execute(text("LOCK TABLE article IN EXCLUSIVE MODE"))
            waiting = PageBatch(processor, lambda: False, writer)
            futures = [
                waiting.add(Pending(f, a, Tally())) for f, a in zip(pages, analyses, strict=True)
            ]
            waiting.write()
            started = time.monotonic()
            for _ in range(10):  # what the loop does meanwhile: downloads, here naps
                await asyncio.sleep(0.05)
            napped = time.monotonic() - started
            still_waiting = not any(future.done() for future in futures)
            blocker.rollback()
            outcomes = await asyncio.wait_for(asyncio.gather(*futures), timeout=60)
        return outcomes, napped, still_waiting

    outcomes, napped, still_waiting = asyncio.run(crawl_while_locked())
    assert still_waiting, "the database was locked, yet the batch was written"
    assert napped < 2.0, f"the event loop stalled for {napped:.1f} s behind the batch"
    assert outcomes == [Outcome.NEW, Outcome.NEW]
    with store.session() as session:
        assert {a.url for a in q.list_articles(session, limit=None)} >= {WIRE, NEWS}
