"""Incremental crawling: nothing twice, conditional requests, editions bring what changed."""

from __future__ import annotations

from urllib.parse import urlsplit

from samplesite import SampleSite, pages
from store import queries as q
from tests.conftest import Cli, crawl_runs


def _reachable(edition: int) -> list:
    return [
        p
        for p in pages(edition)
        if p.relevant and p.discovered_by and not p.path.startswith("/private/")
    ]


def _identity(page) -> tuple[str, str]:
    return page.site, page.title


def _added() -> set[str]:
    """Paths of relevant articles that first appear in edition 2."""
    old = {_identity(p) for p in pages(1)}
    return {p.path for p in _reachable(2) if _identity(p) not in old}


def _moved() -> set[str]:
    """New paths of edition-1 articles that edition 2 moved behind a redirect."""
    old = {_identity(p): p.path for p in pages(1)}
    return {p.path for p in _reachable(2) if _identity(p) in old and old[_identity(p)] != p.path}


def _snapshot(cli: Cli) -> dict[str, int]:
    store = cli.store()
    with store.session() as session:
        result = {
            a.url: len(a.versions)
            for a in q.list_articles(session, limit=None)
            if a.kind == "article"  # headlines have no text: tests/test_search_feeds.py
        }
    store.close()
    return result


def test_second_crawl_of_an_unchanged_site_stores_and_downloads_nothing(
    cli: Cli, site: SampleSite
) -> None:
    cli("crawl")
    before = _snapshot(cli)
    article_paths = {urlsplit(u).path for u in before}
    seen = len(site.requests)
    cli("crawl")
    assert _snapshot(cli) == before
    runs = crawl_runs(cli)
    assert sum(r["new"] + r["revised"] for r in runs.values()) == 0
    again = [r for r in site.requests[seen:] if r.path in article_paths]
    assert again, "the second crawl revisits the articles"
    assert all(r.status == 304 for r in again), [
        (r.path, r.status) for r in again if r.status != 304
    ]


def test_edition_two_brings_exactly_the_new_and_revised_articles(
    cli: Cli, site: SampleSite
) -> None:
    cli("crawl")
    before = _snapshot(cli)
    site.edition = 2
    cli("crawl")
    after = _snapshot(cli)

    added, moved = _added(), _moved()
    new_urls = {urlsplit(u).path for u in after} - {urlsplit(u).path for u in before}
    assert added, "edition 2 adds articles"
    assert moved, "edition 2 moves an article"
    assert new_urls - moved == added

    revised = {p.path for p in pages(2) if p.revised}
    assert len(revised) == 2, "a press release and a PDF paper"
    versions = {urlsplit(u).path: n for u, n in after.items()}
    assert all(versions[path] == 2 for path in revised)
    assert all(n == 1 for path, n in versions.items() if path not in revised)
    assert len(after) == len(before) + len(added)

    runs = crawl_runs(cli)
    assert sum(r["new"] for r in runs.values()) == len(added)
    assert sum(r["revised"] for r in runs.values()) == len(revised)


def test_a_moved_article_stays_one_article(cli: Cli, site: SampleSite) -> None:
    cli("crawl")
    count = len(_snapshot(cli))
    site.edition = 2
    cli("crawl")
    paths = {urlsplit(u).path for u in _snapshot(cli)}
    assert _moved() <= paths, "the article now lives at its new URL"
    assert len(paths) == count + len(_added())
