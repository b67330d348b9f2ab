"""Copies keep their own URL: only a redirect or a same-site canonical link moves an article.

Pages go through `pressmon ingest`'s path (`ingest_file`, clean, relevance, dedupe, store) and
`PageProcessor` with the redirects a crawler saw, into a real store.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from crawler.analysis import analyse
from crawler.items import Fetched
from crawler.process import PageProcessor, Tally, canonical_link
from pressmon.config import Config, load_config
from pressmon.ingest import ingest_file
from store import Store
from store import queries as q
from tests.conftest import ROOT, database_url

ORG = "https://www.hkstp.org/news/2022/celebrates"
WIRE = "https://www.prnewswire.com/news-releases/hkstp-celebrates.html"
NEWS = "https://www.thestandard.com.hk/breaking-news/section/2/hkstp-celebrates"
REWRAPPED = "https://www.bignewsnetwork.com/news/hkstp-celebrates"

RELEASE = [
    "Hong Kong Science and Technology Parks Corporation (HKSTP) today celebrated the "
    "twentieth anniversary of Hong Kong Science Park with partners from across the "
    "innovation and technology ecosystem.",
    "Since opening its doors, the park has grown into a community of more than 1,100 "
    "technology companies employing over 13,000 research and development staff, working "
    "on biomedical technology, artificial intelligence, robotics and green technology.",
    "The chairman of HKSTP said the next decade would focus on turning research from the "
    "city's universities into companies that serve markets across the Greater Bay Area and "
    "beyond, with new laboratories, incubation programmes and venture funding.",
    "The anniversary programme includes an open day for students, a series of talks by "
    "founders of park companies, and an exhibition of inventions made at the park over "
    "the past two decades, running until the end of the month.",
]


def page(title: str, paragraphs: list[str], head: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>"
        f"{body}</article></body></html>"
    ).encode()


PAGES = {
    ORG: page("HKSTP celebrates twenty years of Science Park", RELEASE),
    WIRE: page("HKSTP celebrates twenty years of Science Park", RELEASE),
    NEWS: page("HKSTP celebrates twenty years of Science Park", RELEASE),
    REWRAPPED: page(
        "Science Park marks its twentieth year",
        [
            "HONG KONG, Big News Network - The following release was issued today.",
            *RELEASE,
            "Big News Network distributes press releases from companies around the world.",
        ],
    ),
}


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config.yaml")  # own_sites: https://www.hkstp.org/


def ingest(store: Store, config: Config, tmp_path: Path, url: str, body: bytes) -> str:
    path = tmp_path / "page.html"
    path.write_bytes(body)
    return ingest_file(store, config, path, url=url).outcome


@pytest.mark.parametrize("order", list(itertools.permutations(PAGES)))
def test_copies_in_any_order_keep_their_urls_in_one_cluster_led_by_the_organisation(
    order: tuple[str, ...], config: Config, tmp_path: Path
) -> None:
    store = Store(database_url(tmp_path))
    try:
        outcomes = [ingest(store, config, tmp_path, url, PAGES[url]) for url in order]
        assert outcomes == ["new"] * 4
        with store.session() as session:
            articles = {a.url: a for a in q.articles_by_url(session, list(PAGES))}
            assert set(articles) == set(PAGES)
            clusters = {a.cluster_id or 0 for a in articles.values()}
            assert len(clusters) == 1 and 0 not in clusters
            truth = q.cluster(session, clusters.pop())
            assert truth is not None and truth.truth_id == articles[ORG].id
    finally:
        store.close()


def test_a_copy_ingested_after_the_original_leaves_the_original_where_it_was(
    config: Config, tmp_path: Path
) -> None:
    store = Store(database_url(tmp_path))
    try:
        assert ingest(store, config, tmp_path, ORG, PAGES[ORG]) == "new"
        assert ingest(store, config, tmp_path, WIRE, PAGES[WIRE]) == "new"
        assert ingest(store, config, tmp_path, ORG, PAGES[ORG]) == "unchanged"
        with store.session() as session:
            assert {a.url for a in q.articles_by_url(session, [ORG, WIRE])} == {ORG, WIRE}
    finally:
        store.close()


def crawled(processor: PageProcessor, config: Config, url: str, final_url: str, body: bytes) -> str:
    fetched = Fetched(source="newsroom", url=url, final_url=final_url, status=200, body=body)
    if (settled := processor.settle_unchanged(fetched)) is not None:
        return settled
    return processor.record(fetched, analyse(fetched, config.watch), Tally())


def test_a_redirect_from_the_stored_url_moves_the_article(config: Config, tmp_path: Path) -> None:
    store = Store(database_url(tmp_path))
    try:
        processor = PageProcessor(store, config.watch, {}, 0.5)
        moved = "https://www.hkstp.org/en/news/celebrates-20-years"
        assert crawled(processor, config, ORG, ORG, PAGES[ORG]) == "new"
        assert crawled(processor, config, ORG, moved, PAGES[ORG]) == "unchanged"
        with store.session() as session:
            assert [a.url for a in q.articles_by_url(session, [ORG, moved])] == [moved]
    finally:
        store.close()


def test_a_same_site_canonical_link_moves_the_article(config: Config, tmp_path: Path) -> None:
    store = Store(database_url(tmp_path))
    try:
        processor = PageProcessor(store, config.watch, {}, 0.5)
        new_home = "https://www.hkstp.org/en/news/celebrates-20-years"
        assert crawled(processor, config, ORG, ORG, PAGES[ORG]) == "new"
        pointing = page(
            "HKSTP celebrates twenty years of Science Park",
            RELEASE,
            head=f'<link rel="canonical" href="{new_home}">',
        )
        assert crawled(processor, config, ORG, ORG, pointing) == "unchanged"
        # A wire's canonical link to the organisation's page is not a move: other site.
        wire = page("HKSTP celebrates", RELEASE, head=f'<link rel="canonical" href="{ORG}">')
        assert crawled(processor, config, WIRE, WIRE, wire) == "new"
        with store.session() as session:
            stored = {a.url for a in q.articles_by_url(session, [ORG, new_home, WIRE])}
            assert stored == {new_home, WIRE}
    finally:
        store.close()


def test_canonical_link_is_read_from_the_head_and_only_on_the_same_site() -> None:
    base = "http://hkstp.org/news/a/"
    assert canonical_link(b"<link href='/news/b' rel=canonical>", base) == (
        "http://hkstp.org/news/b"
    )
    assert canonical_link(b'<link rel="canonical" href="https://other.org/b">', base) is None
    assert canonical_link(b'<link rel="canonical" href="/news/a">', base) is None
    assert canonical_link(b'<link rel="stylesheet" href="/x.css">', base) is None


def test_a_revision_that_rewrote_the_text_leaves_its_cluster(
    config: Config, tmp_path: Path
) -> None:
    store = Store(database_url(tmp_path))
    try:
        processor = PageProcessor(store, config.watch, {}, 0.5)
        assert crawled(processor, config, ORG, ORG, PAGES[ORG]) == "new"
        assert crawled(processor, config, WIRE, WIRE, PAGES[WIRE]) == "new"
        rewritten = page(
            "HKSTP opens a robotics laboratory",
            [
                "Hong Kong Science and Technology Parks Corporation (HKSTP) opened a new "
                "robotics laboratory for start-ups at its Tseung Kwan O site on Monday.",
                "The laboratory offers testing rigs, safety certification support and "
                "shared machine shops to twenty companies in its first intake, selected "
                "from applicants building warehouse, medical and construction robots.",
                "Companies will pay reduced rent for their first year and can apply for "
                "matching funds from the corporation's venture programme after six months.",
            ],
        )
        assert crawled(processor, config, WIRE, WIRE, rewritten) == "revised"
        with store.session() as session:
            articles = {a.url: a for a in q.articles_by_url(session, [ORG, WIRE])}
            assert articles[WIRE].cluster_id is None
            cluster_id = articles[ORG].cluster_id
            assert cluster_id is not None
            truth = q.cluster(session, cluster_id)
            assert truth is not None and truth.truth_id == articles[ORG].id
    finally:
        store.close()
