"""Two crawl workers storing at the same moment, in one PostgreSQL store and one Redis.

Threads stand in for worker processes (each with its own `PageProcessor`, store
connection pool and Redis client), released together by a barrier, so their
transactions overlap. PostgreSQL only, like the scale-out crawl; Redis from
tests/redis_server.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import crawler.clean  # noqa: F401 - the cleaning code, imported once here as a cleaning worker does
from crawler.analysis import analyse
from crawler.dedupe import SharedNearDuplicates
from crawler.frontier import LSH_BASENAME, SIGNATURES, Frontier, alive_key
from crawler.items import Fetched
from crawler.process import Outcome, PageProcessor, Tally
from crawler.write_locks import WriteLocks
from pressmon.config import parse_config
from samplesite import sample_config
from store import Store
from store import queries as q
from tests import redis_server
from tests.conftest import BACKEND, database_url

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="concurrent workers share a PostgreSQL store: run with PRESSMON_TEST_DB=postgresql",
)

RELEASES = {
    "graduates": (
        "Hong Kong Science and Technology Parks Corporation (HKSTP) today announced that 641 "
        "start-ups graduated from its incubation programmes this year, a record for the Science "
        "Park at Pak Shek Kok. The graduates come from 23 economies and work in biotech, "
        "artificial intelligence, robotics and green technology. The chief executive thanked "
        "partners in Hong Kong and the Greater Bay Area and said the next intake opens in March."
    ),
    "gitex": (
        "HKSTP leads 22 park companies to GITEX Global in Dubai this week, its largest delegation "
        "to the Middle East so far. The companies show smart city platforms, fintech and health "
        "devices, and meet investors from Saudi Arabia and the United Arab Emirates. HKSTP opened "
        "an office in Riyadh last year to help park companies find partners across the Gulf."
    ),
    "occupancy": (
        "Occupancy at Hong Kong Science Park reached 95 per cent at the end of the financial year, "
        "HKSTP said in its annual report, while InnoCentre in Kowloon Tong was fully let. Demand "
        "for wet laboratories grew fastest, and the corporation plans a further 70,000 square "
        "metres of laboratory space at the park's expansion in Pak Shek Kok by 2027."
    ),
}


def page(url: str, dateline: str, release: str) -> Fetched:
    text = f"{dateline} — {RELEASES[release]}"
    body = (
        f"<html><head><title>{release}</title></head><body><article>"
        f"<h1>HKSTP news: {release}</h1><p>{text}</p><p>Contact: press office.</p>"
        f"</article></body></html>"
    ).encode()
    return Fetched(source="wire", url=url, final_url=url, status=200, body=body)


def together(*steps: Callable[[], Any]) -> list[Any]:
    """Run the steps on threads released at once; their results, or re-raise the first error."""
    barrier = threading.Barrier(len(steps))
    results: list[Any] = [None] * len(steps)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = steps[i]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(steps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def workers(tmp_path: Path, lock: bool) -> tuple[list[PageProcessor], Any, list[Store]]:
    url = database_url(tmp_path)
    redis_url = redis_server.new_url()
    config = parse_config(yaml.safe_load(sample_config("http://127.0.0.1:8765")), "sample")
    stores, made = [], []
    for _ in range(2):
        store = Store(url)
        frontier = Frontier(redis_url)
        near = SharedNearDuplicates(0.5, redis_url, LSH_BASENAME, SIGNATURES)
        name = f"worker-{len(made)}"
        frontier.register(name, ttl=600)  # alive: its locks hold
        locks = WriteLocks(frontier.redis, near, ttl=60, worker=name)
        serialise = locks.page if lock else None  # None: the upserts alone
        made.append(PageProcessor(store, config.watch, {}, 0.5, near=near, serialise=serialise))
        stores.append(store)
    return made, config.watch, stores


def test_two_workers_storing_one_url_at_once_give_one_article_and_one_version(
    tmp_path: Path,
) -> None:
    (a, b), watch, stores = workers(tmp_path, lock=False)  # the upserts alone
    item = page("https://wire.example/graduates", "HONG KONG, July 19", "graduates")
    analysis = analyse(item, watch)
    for _ in range(3):  # again and again: never an error, never a second row
        outcomes = together(
            lambda: a.record(item, analysis, Tally()), lambda: b.record(item, analysis, Tally())
        )
        assert Outcome.ERROR not in outcomes
    with stores[0].session() as session:
        articles = q.list_articles(session, limit=10)
        assert len(articles) == 1 and len(articles[0].versions) == 1
    assert sorted(outcomes) == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    for store in stores:
        store.close()


def test_two_workers_storing_copies_of_one_release_at_once_give_one_cluster(
    tmp_path: Path,
) -> None:
    (a, b), watch, stores = workers(tmp_path, lock=True)
    for release in RELEASES:  # each stored by both workers at once, as two copies
        first = page(f"https://wire.example/{release}", "HONG KONG, July 19", release)
        second = page(f"https://news.example/{release}", "Hong Kong (Newsdesk)", release)
        one, two = analyse(first, watch), analyse(second, watch)
        outcomes = together(
            lambda: a.record(first, one, Tally()),  # noqa: B023 - run before the loop moves on
            lambda: b.record(second, two, Tally()),  # noqa: B023
        )
        assert outcomes == [Outcome.NEW, Outcome.NEW]
    with stores[0].session() as session:
        clusters: dict[int | None, set[str]] = {}
        for article in q.list_articles(session, limit=10):
            clusters.setdefault(article.cluster_id, set()).add(article.url)
        assert None not in clusters, clusters  # every copy is in a cluster
        assert set(map(frozenset, clusters.values())) == {
            frozenset({f"https://wire.example/{r}", f"https://news.example/{r}"}) for r in RELEASES
        }
        for cluster_id in clusters:
            cluster = q.cluster(session, cluster_id)  # type: ignore[arg-type]
            assert cluster is not None and cluster.truth_id is not None  # one source of truth
    for store in stores:
        store.close()


def test_a_page_unlike_the_one_being_stored_is_stored_beside_it(tmp_path: Path) -> None:
    """Workers store one at a time only pages the near-duplicate index could group: while
    one holds a release's locks, another stores an unrelated release at once, and a copy
    of the held release only after."""
    (a, b), watch, stores = workers(tmp_path, lock=True)
    original = page("https://wire.example/graduates", "HONG KONG, July 19", "graduates")
    copy = page("https://news.example/graduates", "Hong Kong (Newsdesk)", "graduates")
    other = page("https://wire.example/gitex", "HONG KONG, July 19", "gitex")
    first, copied, unrelated = analyse(original, watch), analyse(copy, watch), analyse(other, watch)
    assert a.record(original, first, Tally()) is Outcome.NEW

    finished: dict[str, threading.Event] = {"copy": threading.Event(), "other": threading.Event()}

    def store(name: str, item: Fetched, analysis: Any) -> None:
        b.record(item, analysis, Tally())
        finished[name].set()

    with a.serialise([first.signature]):  # as while worker a stores the release again
        threads = [
            threading.Thread(target=store, args=("other", other, unrelated)),
            threading.Thread(target=store, args=("copy", copy, copied)),
        ]
        for thread in threads:
            thread.start()
        assert finished["other"].wait(30)  # stored beside the held release
        assert not finished["copy"].wait(1)  # its copy waits for it
    assert finished["copy"].wait(30)
    for thread in threads:
        thread.join()
    with stores[0].session() as session:
        by_url = {x.url: x.cluster_id for x in q.list_articles(session, limit=10)}
    assert by_url[copy.url] is not None and by_url[copy.url] == by_url[original.url]
    assert by_url[other.url] is None
    for store_ in stores:
        store_.close()


def test_the_locks_of_a_killed_worker_hold_nothing(tmp_path: Path) -> None:
    """A worker killed mid-page leaves its locks in Redis for `ttl`; once its heartbeat
    key is gone, the others store the page's copies and settle flags at once."""
    (a, b), watch, stores = workers(tmp_path, lock=True)
    original = page("https://wire.example/graduates", "HONG KONG, July 19", "graduates")
    copy = page("https://news.example/graduates", "Hong Kong (Newsdesk)", "graduates")
    first, copied = analyse(original, watch), analyse(copy, watch)
    assert a.record(original, first, Tally()) is Outcome.NEW
    client = a.near._client  # type: ignore[attr-defined]  # the workers' Redis
    dead = WriteLocks(client, a.near, ttl=60, worker="killed")
    client.set(alive_key("killed"), b"1")  # alive while it takes its locks
    held = dead.page([first.signature])
    held.__enter__()  # and never leaves: the process is killed
    client.delete(alive_key("killed"))  # its heartbeat key expires
    started = time.monotonic()
    assert b.record(copy, copied, Tally()) is Outcome.NEW
    with b.serialise(None):  # the exclusive gate too
        pass
    assert time.monotonic() - started < 10  # not the locks' 60 s
    held.__exit__(None, None, None)
    for store in stores:
        store.close()


def test_two_workers_starting_at_once_record_the_sources_once(tmp_path: Path) -> None:
    """Each worker upserts the configured sources as it starts; at the same moment on a
    fresh store that must give one row per source, never a unique-key error."""
    from store import writes as w

    url = database_url(tmp_path)
    config = parse_config(yaml.safe_load(sample_config("http://127.0.0.1:8765")), "sample")
    stores = [Store(url), Store(url)]

    def sync(store: Store) -> dict[str, int]:
        with store.session() as session:
            return w.sync_sources(session, config.sources)

    for _ in range(3):
        first, second = together(lambda: sync(stores[0]), lambda: sync(stores[1]))
        assert first == second and set(first) == {s.name for s in config.sources}
    for store in stores:
        store.close()


def test_a_headline_and_its_article_stored_at_once_give_one_article(tmp_path: Path) -> None:
    """One worker keeps a news-search headline while another stores the article it names:
    under the workers' lock one sees the other, so one article results, never two."""
    from crawler.headlines import Headline, keep_headline

    (a, b), watch, stores = workers(tmp_path, lock=True)
    for release in RELEASES:
        article = page(f"https://news.example/{release}", "Hong Kong (Newsdesk)", release)
        analysis = analyse(article, watch)
        assert analysis.page.title is not None
        headline = Headline(
            analysis.page.title, f"https://aggregator.example/rss/{release}", "News",
            "https://news.example", None,
        )  # fmt: skip

        def keep(item: Headline = headline) -> object:
            with a.serialise(None):
                return keep_headline(stores[0], watch, None, item)

        together(keep, lambda: b.record(article, analysis, Tally()))  # noqa: B023
    with stores[0].session() as session:
        urls = sorted(x.url for x in q.list_articles(session, limit=10))
    assert urls == sorted(f"https://news.example/{r}" for r in RELEASES)
    for store in stores:
        store.close()


def test_the_shared_index_matches_as_the_in_memory_one(tmp_path: Path) -> None:
    """The workers' index asks Redis for all bands at once: it must find what datasketch's
    in-memory index finds, and forget a revised page's old text as datasketch does."""
    from crawler.dedupe import NearDuplicates, signature

    shared = SharedNearDuplicates(0.5, redis_server.new_url(), LSH_BASENAME, SIGNATURES)
    local = NearDuplicates(0.5)
    texts = {i: f"{dateline} — {RELEASES[r]}" for i, (dateline, r) in enumerate(
        (d, r) for r in RELEASES for d in ("HONG KONG, July 19", "Hong Kong (Newsdesk)")
    )}  # fmt: skip
    for key, text in texts.items():
        shared.add(key, signature(text))
        local.add(key, signature(text))
    for text in texts.values():
        assert shared.matches(signature(text)) == local.matches(signature(text))
        assert len(shared.matches(signature(text))) == 2  # itself and its copy
    revised = signature(RELEASES["occupancy"])
    shared.add(0, revised)  # page 0 now says something else
    local.add(0, revised)
    assert 0 not in shared.matches(signature(texts[0]))
    assert shared.matches(revised) == local.matches(revised)
    assert 0 in shared.matches(revised)


@pytest.mark.parametrize("threshold", [0.985, 0.99, 1.0])
def test_the_shared_index_takes_every_threshold_the_config_allows(threshold: float) -> None:
    """Above about 0.98 datasketch would band the index as one band, which it refuses:
    the workers' index must still start, and match as the in-memory one does."""
    from crawler.dedupe import NearDuplicates, signature

    shared = SharedNearDuplicates(threshold, redis_server.new_url(), LSH_BASENAME, SIGNATURES)
    local = NearDuplicates(threshold)
    texts = [*RELEASES.values(), *(f"HONG KONG, July 19 — {t}" for t in RELEASES.values())]
    for key, text in enumerate(texts * 2):  # each text twice: exact copies match at 1.0
        shared.add(key, signature(text))
        local.add(key, signature(text))
    for text in texts:
        found = shared.matches(signature(text))
        assert sorted(found) == sorted(local.matches(signature(text)))  # ties in any order
        assert len(found) >= 2


def test_pages_figures_are_stored_side_by_side_and_a_replay_waits_for_them(
    tmp_path: Path,
) -> None:
    """A crawl's ledger defers the replay, so writing one page's mentions holds the store's
    figures lock shared: another worker writes its page's mentions meanwhile, and only a
    replay of the flags waits for both."""
    from datetime import UTC, datetime

    from crawler.urls import url_key
    from figures.ledger import Ledger
    from figures.record import series_key

    (a, _b), watch, stores = workers(tmp_path, lock=True)
    config = parse_config(yaml.safe_load(sample_config("http://127.0.0.1:8765")), "sample")
    items = {r: page(f"https://wire.example/{r}", "HONG KONG, July 19", r) for r in RELEASES}
    analyses = {r: analyse(item, watch, config.catalogue) for r, item in items.items()}
    for release, item in items.items():
        a.record(item, analyses[release], Tally())  # no ledger here: the articles only
    assert analyses["graduates"].mentions and analyses["gitex"].mentions
    now = datetime.now(UTC)

    def write_mentions(session: Any, release: str) -> None:
        article = q.article_by_key(session, url_key(items[release].url))
        assert article is not None
        version = q.current_version(session, article.id)
        assert version is not None
        mentions = analyses[release].mentions
        Ledger(watch.name, deferred=True).record_version(session, article, version, mentions, now)

    done = {"other page": threading.Event(), "replay": threading.Event()}

    def other_page() -> None:
        with stores[1].session() as session:
            write_mentions(session, "gitex")
        done["other page"].set()

    def replay() -> None:
        keys = {series_key(m) for m in analyses["graduates"].mentions}
        with stores[1].session() as session:
            Ledger(watch.name).refresh(session, keys, now)
        done["replay"].set()

    threads = [threading.Thread(target=other_page), threading.Thread(target=replay)]
    with stores[0].session() as session:
        write_mentions(session, "graduates")  # its transaction stays open, holding the lock
        threads[0].start()
        assert done["other page"].wait(30)  # written beside it
        threads[1].start()
        assert not done["replay"].wait(1)  # the replay waits for the page
    assert done["replay"].wait(30)
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
