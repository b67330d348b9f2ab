"""Bad input is a counted, logged error in the crawl's record, never a crash or a loss."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from samplesite import SampleSite
from store import queries as q
from tests.conftest import Cli, crawl_runs, database_url, write_config

BAD_SOURCES = [
    {"name": "deadhost", "kind": "feed", "start_urls": ["http://127.0.0.1:9/feed.xml"]},
    {"name": "badfeed", "kind": "feed", "start_urls": ["{base}/bad/feed.xml"]},
    {"name": "brokenfeed", "kind": "feed", "start_urls": ["{base}/bad/broken-feed.xml"]},
    {"name": "brokensitemap", "kind": "sitemap", "start_urls": ["{base}/bad/broken-sitemap.xml"]},
]


@pytest.fixture(scope="module")
def bad_site() -> Iterator[SampleSite]:
    with SampleSite() as running:
        yield running


@pytest.fixture(scope="module")
def bad_cli(bad_site: SampleSite, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    tmp_path = tmp_path_factory.mktemp("bad")
    site = bad_site
    config = write_config(
        tmp_path / "config.yaml", site.base_url, timeout=2, retries=1, max_page_bytes=1_000_000
    )
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["sources"] += [
        {**s, "start_urls": [u.format(base=site.base_url) for u in s["start_urls"]]}
        for s in BAD_SOURCES
    ]
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Cli(config=config, db_url=database_url(tmp_path), cwd=tmp_path)


@pytest.fixture(scope="module")
def crawled(bad_cli: Cli) -> dict[str, dict]:
    """Crawl the good sources first, then the bad ones; return the bad runs."""
    bad_cli("crawl", "--source", "newsroom")
    store = bad_cli.store()
    with store.session() as session:
        bad_cli.before = {a.url for a in q.list_articles(session, limit=None)}  # type: ignore[attr-defined]
    store.close()
    result = bad_cli("crawl", *(f"--source={s['name']}" for s in BAD_SOURCES))
    assert "Traceback" not in result.stderr
    return crawl_runs(bad_cli)


def _reason(runs: dict[str, dict], page: str) -> str:
    reasons = [reason for url, reason in runs["badfeed"]["problems"] if url.endswith(page)]
    assert reasons, f"{page} is not recorded as an error"
    return reasons[0]


@pytest.mark.parametrize(
    ("page", "words"),
    [
        ("/bad/empty.html", "no article text"),
        ("/bad/missing.html", "404"),
        ("/bad/error.html", "500"),
        ("/bad/slow.html", "timeout"),
        ("/bad/loop.html", "redirect"),
        ("/bad/huge.html", "size"),
        ("/bad/bomb.html", "size"),
        ("/bad/encrypted.pdf", "encrypted pdf"),
        ("/bad/scanned.pdf", "image-only pdf"),
        ("/bad/truncated.pdf", "broken pdf"),
    ],
)
def test_each_bad_page_is_a_counted_error_with_its_reason(
    crawled: dict[str, dict], page: str, words: str
) -> None:
    assert words in _reason(crawled, page).lower()


def test_bad_pages_are_counted_and_the_good_ones_stored(bad_cli: Cli, crawled: dict) -> None:
    run = crawled["badfeed"]
    assert run["errors"] == len(run["problems"]) >= 7
    assert run["status"] == "errors"
    store = bad_cli.store()
    with store.session() as session:
        after = {a.url: a for a in q.list_articles(session, limit=None)}
        assert bad_cli.before <= set(after), "nothing stored before is lost"  # type: ignore[attr-defined]
        by_path = {url.split("/bad/")[-1]: a for url, a in after.items() if "/bad/" in url}
        assert "good.html" in by_path
        assert "truncated.html" in by_path, "truncated HTML still yields its text"
        big5 = by_path["big5.html"]
        assert big5.language == "zh"
        assert "香港科學園" in big5.versions[-1].text
    store.close()


def test_malformed_feeds_and_sitemaps_are_errors(crawled: dict[str, dict]) -> None:
    for name in ("brokenfeed", "brokensitemap"):
        run = crawled[name]
        assert run["errors"] == 1, run
        assert "malformed" in run["problems"][0][1]


def test_a_dead_host_is_an_error_and_the_crawl_goes_on(crawled: dict[str, dict]) -> None:
    run = crawled["deadhost"]
    assert (run["status"], run["errors"]) == ("errors", 1)
    assert "refused" in run["problems"][0][1].lower()
    assert crawled["badfeed"]["status"] == "errors", "the sources after it still ran"
