"""News-search feeds as aggregators make them: wrapper links resolved, opaque ones kept as
headlines, the interstitial never fetched, and every item accounted for."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from pressmon.config import load_config
from pressmon.web_cli import web_app
from samplesite import SampleSite
from samplesite.aggregators import ELSEWHERE, decodable, plainly_redirected, searched
from store import Store
from store import queries as q
from store.search import _CLOSE, _CUT, _OPEN, fts_key_sql, in_original, indexed
from tests.conftest import Cli, crawl_runs, database_url, write_config


def _articles(cli: Cli) -> dict[str, object]:
    store = cli.store()
    with store.session() as session:
        found = {a.url: a for a in q.list_articles(session, limit=None)}
        for article in found.values():
            _ = article.versions  # load before the session closes
    store.close()
    return found


def _skips(cli: Cli, source: str) -> list[tuple[str, str]]:
    store = cli.store()
    with store.session() as session:
        run = q.last_run(session, source)
        assert run is not None
        skips = [(s.url, s.reason) for s in run.skips]
    store.close()
    return skips


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, SampleSite, str]:
    tmp = tmp_path_factory.mktemp("search")
    with SampleSite() as site:
        cli = Cli(write_config(tmp / "config.yaml", site.base_url), database_url(tmp), tmp)
        out = cli("crawl").stdout
    return cli, site, out


def test_bing_wrappers_are_decoded_and_the_plain_redirect_followed(crawled) -> None:
    cli, site, _ = crawled
    run = crawl_runs(cli)["bing"]
    wanted = searched(1)
    assert run["items"] == run["resolved"] == run["pages"] == len(wanted)
    # url= wrappers are never requested; the plain redirector is, once
    clicks = [r for r in site.requests if r.path.startswith("/bing/apiclick.aspx")]
    assert clicks == []
    assert [r.path for r in site.requests if r.path.startswith("/go/")] == [
        f"/go/{plainly_redirected(1).id}"
    ]
    stored = {urlsplit(u).path for u in _articles(cli)}
    assert {a.path for a in wanted if a.relevant} <= stored


def test_google_news_items_become_articles_or_headlines_never_interstitials(crawled) -> None:
    cli, site, _ = crawled
    assert not [r for r in site.requests if r.path.startswith("/gnews/rss/articles/")]
    articles = _articles(cli)
    assert not any(
        "Opening the article" in (a.versions[-1].text if a.versions else "")
        for a in articles.values()
    )
    headlines = [a for a in articles.values() if a.kind == "headline"]
    relevant_elsewhere = [e for e in ELSEWHERE if e.relevant]
    assert [(h.title, h.sitename, h.publisher_site, h.published) for h in headlines] == [
        (e.title, e.publisher, e.site, datetime.date(2024, 5, 2)) for e in relevant_elsewhere
    ]
    assert all(urlsplit(h.url).path.startswith("/gnews/rss/articles/") for h in headlines)
    assert all(not h.versions for h in headlines)
    decoded = decodable(1).path  # the old-style id: resolved without a request
    assert any(urlsplit(u).path == decoded for u in articles)


def test_every_search_item_is_accounted_for_with_its_reason(crawled) -> None:
    cli, _, out = crawled
    run = crawl_runs(cli)["gnews"]
    skips = _skips(cli, "gnews")
    assert run["items"] == len(searched(1)) + len(ELSEWHERE)
    assert run["resolved"] == 1 and run["headlines"] == len([e for e in ELSEWHERE if e.relevant])
    assert run["items"] == run["resolved"] + run["headlines"] + len(skips)
    reasons = {reason for _, reason in skips}
    assert reasons == {
        "unresolvable link; the headline is not relevant",
        "unresolvable link; its article is stored already",
    }
    assert "unresolvable link; the headline is not relevant" in " ".join(out.split())
    assert "items" in out and "headlines" in out


def test_a_headline_is_upgraded_in_place_when_its_article_is_fetched(
    tmp_path, site: SampleSite
) -> None:
    cli = Cli(
        write_config(tmp_path / "config.yaml", site.base_url),
        database_url(tmp_path),
        tmp_path,
    )
    cli("crawl", "--source", "gnews")
    before = {a.title: a for a in _articles(cli).values() if a.kind == "headline"}
    guide = next(a for a in searched(1) if a.id == "blog-inside-hkstp")
    assert guide.title in before, "the guide is only a headline so far"
    cli("crawl")
    after = {a.id: a for a in _articles(cli).values()}
    upgraded = after[before[guide.title].id]
    assert upgraded.kind == "article"
    assert urlsplit(upgraded.url).path == guide.path
    assert upgraded.versions and "HKSTP" in upgraded.versions[-1].text
    assert sum(1 for a in after.values() if a.title == guide.title) == 1, "no second copy"
    assert any(a.kind == "headline" for a in after.values()), "The Standard stays a headline"


def test_a_headline_is_marked_in_digest_search_and_web_app(crawled) -> None:
    cli, _, _ = crawled
    title = next(e.title for e in ELSEWHERE if e.relevant)
    digest = cli("digest", "--since", "2000-01-01").stdout
    assert f"{title} (headline only)" in " ".join(digest.split())
    hits = cli.json("search", "bottleneck")
    assert [hit["title"] for hit in hits] == [title]
    store = Store(cli.db_url)
    try:
        app = web_app(store, load_config(cli.config), allowed_hosts=["127.0.0.1"])
        with TestClient(app, base_url="http://127.0.0.1") as client:
            rows = client.get("/api/articles", params={"limit": 1000}).json()
            headline = next(row for row in rows if row["kind"] == "headline")
            assert headline["title"] == title
            page = client.get(f"/articles/{headline['id']}").text
            assert "Headline only" in page
            assert "headline only" in client.get("/articles", params={"q": "bottleneck"}).text
    finally:
        store.close()


def test_irrelevant_pages_are_counted_in_the_summary_and_listed_in_the_record(crawled) -> None:
    cli, _, out = crawled
    skips = _skips(cli, "bing")
    assert [reason for _, reason in skips] == ["not relevant"]
    text = " ".join(out.split())
    assert "skipped [bing] 1 page(s): not relevant" in text
    assert f"{skips[0][0]}: not relevant" not in text


# -- one script to search -----------------------------------------------------------------------
def _ids(hits: list[dict]) -> set[int]:
    return {hit["id"] for hit in hits}


def test_traditional_and_simplified_queries_find_the_same_articles(crawled) -> None:
    cli, _, _ = crawled
    traditional, simplified = cli.json("search", "科學園"), cli.json("search", "科学园")
    assert traditional and _ids(traditional) == _ids(simplified)
    snippets = [hit["snippet"] for hit in traditional]
    # each snippet is cut from the article as written, in its own script
    assert any("[科學園]" in s for s in snippets) and any("[科学园]" in s for s in snippets)
    for hit in traditional:
        if "[" not in hit["snippet"]:
            continue  # found by its title alone: the snippet is the text's opening
        text = cli.json("show", str(hit["id"]))[0]["text"]
        marked = hit["snippet"].split("[", 1)[1].split("]", 1)[0]
        assert marked in text, (hit["id"], hit["snippet"])
    # a phrase mixing the scripts, and a word in the other script's spelling, match too
    assert _ids(cli.json("search", "香港科学園")) == _ids(cli.json("search", "香港科學园"))


def test_the_web_search_finds_both_scripts(crawled) -> None:
    cli, _, _ = crawled
    store = Store(cli.db_url)
    try:
        app = web_app(store, load_config(cli.config), allowed_hosts=["127.0.0.1"])
        with TestClient(app, base_url="http://127.0.0.1") as client:
            hits = client.get("/api/articles", params={"q": "科学园"}).json()
            page = client.get("/articles", params={"q": "科学园"}).text
    finally:
        store.close()
    assert _ids(hits) == _ids(cli.json("search", "科學園"))
    assert "<mark>科學園</mark>" in page and "<mark>科学园</mark>" in page


def test_a_store_indexed_before_is_rebuilt_by_its_migration(crawled) -> None:
    cli, _, _ = crawled
    store = Store(cli.db_url)
    try:
        everywhere = _ids(cli.json("search", "科學園"))
        store.downgrade("0010")  # the index as stores made before hold it: text as written

        def found() -> set[int]:
            with store.session() as session:
                return {h.article_id for h in store.search_index.search(session, "科学园", 100)}

        before = found()
        store.upgrade()
        after = found()
        keys: set[int] = set()
        wanted: set[int] = set()
        if store.is_sqlite:  # rebuilt under the (day, id) keys newest-first search walks
            with store.engine.connect() as connection:
                keys = set(connection.execute(text("SELECT rowid FROM article_fts")).scalars())
                every = text(f"SELECT {fts_key_sql()} FROM article")
                wanted = set(connection.execute(every).scalars())
    finally:
        store.close()
    assert before and before < after == everywhere
    assert keys == wanted


def test_a_snippet_is_shown_from_the_text_as_written() -> None:
    original = "香港科學園[1]今日表示，科學園的公司。"
    held = indexed(original)  # what the index holds: Simplified, Han characters spaced apart
    assert held.count("学") == 2 and "學" not in held
    start = held.index("[1]")
    second = held.index("科", start)
    phrase = held.index("园", second) + 1
    end = held.index("的", phrase) + 1
    cut = f"{_CUT}{held[start:second]}{_OPEN}{held[second:phrase]}{_CLOSE}{held[phrase:end]}{_CUT}"
    assert in_original(cut, original) == "…[1] 今日表示，[科學園]的…"
