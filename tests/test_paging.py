"""Listings and search paged in SQL: keyset pages on (day, id) that neither skip nor repeat
a row (ties on a day included, rows stored between pages included), filters in the query,
capped counts, newest-first and relevance search orders, the search index following an
article's day, cursors in the API, the pages and the CLI, and an upgrade of a store with
data. Stores are real SQLite files or PostgreSQL databases (PRESSMON_TEST_DB)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from pressmon.config import load_config
from pressmon.web_cli import web_app
from store import Store
from store import queries as q
from store import writes as w
from store.paging import ArticleFilters, Cursor
from tests.conftest import ROOT, Cli, database_url

DAYS = [date(2024, 7, 19), date(2024, 7, 18), date(2024, 7, 1), date(2023, 1, 5)]


def _add(store: Store, rows: list[tuple[str, date | None, str, str]]) -> list[int]:
    """Store articles (key, published, language, text) through the bulk writes; their ids."""
    with store.session() as s:
        seen = datetime(2024, 8, 1, 9, 0)
        ids = w.insert_articles(
            s,
            [
                {
                    "url_key": f"example.org/{key}",
                    "url": f"https://example.org/{key}",
                    "source_id": None,
                    "title": f"Article {key}",
                    "author": None,
                    "sitename": None,
                    "published": day,
                    "language": lang,
                    "first_seen": seen,
                    "last_seen": seen,
                    "relevance": 1.0,
                    "aliases": [],
                }
                for key, day, lang, _ in rows
            ],
        )
        ordered = [ids[f"example.org/{key}"] for key, *_ in rows]
        w.insert_versions(
            s,
            [
                {
                    "article_id": i,
                    "number": 1,
                    "fetched_at": seen,
                    "title": None,
                    "text": body,
                    "content_hash": f"{i:064x}",
                    "signature": b"",
                }
                for i, (*_, body) in zip(ordered, rows, strict=True)
            ],
        )
        store.search_index.index_many(
            s, [(i, f"Article {r[0]}", r[3]) for i, r in zip(ordered, rows, strict=True)]
        )
    return ordered


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(database_url(tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def tied(store: Store) -> list[int]:
    """40 articles on four days, ten a day, English and Chinese; a few mention zeolite."""
    rows = []
    for n in range(40):
        day = DAYS[n % 4]
        lang = "zh" if n % 3 == 0 else "en"
        body = "科學園的初創企業" if lang == "zh" else "HKSTP tenants at Science Park"
        if n % 7 == 0:
            body += " zeolite" + " zeolite" * (n % 3)
        rows.append((f"a{n}", day, lang, body))
    return _add(store, rows)


def _expected(store: Store, language: str | None = None) -> list[int]:
    with store.session() as s:
        articles = q.list_articles(s, language=language, limit=None)
        return [a.id for a in sorted(articles, key=lambda a: (a.published, a.id), reverse=True)]


def _walk(store: Store, filters: ArticleFilters, size: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    with store.session() as s:
        while True:
            page = q.page_articles(s, filters, after=cursor, limit=size)
            assert len(page.items) <= size
            seen += [a.id for a in page.items]
            if page.next is None:
                return seen
            cursor = Cursor.parse(str(page.next))  # as a link carries it


@pytest.mark.parametrize("size", [1, 3, 10, 11, 40, 100])
def test_keyset_pages_cover_every_article_once_in_order(
    store: Store, tied: list[int], size: int
) -> None:
    assert _walk(store, ArticleFilters(), size) == _expected(store)
    assert _walk(store, ArticleFilters(language="zh"), size) == _expected(store, "zh")


def test_rows_stored_between_pages_neither_shift_nor_repeat_a_page(
    store: Store, tied: list[int]
) -> None:
    with store.session() as s:
        first = q.page_articles(s, ArticleFilters(), limit=15)
    # a newer article and one on the page's last day, stored after the first page was read
    _add(store, [("late", DAYS[0], "en", "HKSTP"), ("tie", DAYS[1], "en", "HKSTP")])
    with store.session() as s:
        rest = q.page_articles(s, ArticleFilters(), after=first.next, limit=100)
    shown = [a.id for a in first.items] + [a.id for a in rest.items]
    assert len(shown) == len(set(shown))
    assert set(tied) <= set(shown)


def test_filters_are_applied_in_the_query(store: Store, tied: list[int]) -> None:
    with store.session() as s:
        july = q.page_articles(
            s, ArticleFilters(since=date(2024, 7, 2), until=date(2024, 7, 18)), limit=100
        )
        assert {a.published for a in july.items} == {date(2024, 7, 18)}
        assert len(july.items) == 10
        assert q.count_articles(s, ArticleFilters(), cap=25) == 26  # "more than 25"
        assert q.count_articles(s, ArticleFilters(), cap=100) == 40


def test_newest_first_search_pages_in_listing_order(store: Store, tied: list[int]) -> None:
    with store.session() as s:
        listing = [a.id for a in q.list_articles(s, language="en", limit=None)]
    found: list[int] = []
    cursor = None
    with store.session() as s:
        while True:
            page = q.search_page(s, store.search_index, "Science Park", after=cursor, limit=4)
            found += [a.id for a, _ in page.items]
            assert all("[Science] [Park]" in hit.snippet for _, hit in page.items)
            if page.next is None:
                break
            cursor = page.next
    assert found == listing  # every English article says Science Park


def test_relevance_ranks_the_best_match_first(store: Store, tied: list[int]) -> None:
    with store.session() as s:
        newest = q.search_page(s, store.search_index, "zeolite", limit=10).items
        best = q.search_page(s, store.search_index, "zeolite", order="relevance", limit=10).items
    assert [a.published for a, _ in newest] == sorted(
        [a.published for a, _ in newest], reverse=True
    )
    assert {a.id for a, _ in newest} == {a.id for a, _ in best}
    # the article saying zeolite three times in a short text comes first, whatever its day
    counts = {a.id: 0 for a, _ in best}
    with store.session() as s:
        for a, _ in best:
            counts[a.id] = q.current_version(s, a.id).text.count("zeolite")  # type: ignore[union-attr]
    assert counts[best[0][0].id] == max(counts.values())
    assert [a.id for a, _ in best] != [a.id for a, _ in newest]


def test_search_follows_an_article_to_its_new_day_and_forgets_it_when_gone(
    store: Store,
) -> None:
    old, new = _add(
        store,
        [("old", date(2020, 1, 1), "en", "zeolite"), ("new", date(2024, 1, 1), "en", "zeolite")],
    )
    with store.session() as s:
        w.update_article(s, old, published=date(2025, 1, 1))
    with store.session() as s:
        hits = q.search_page(s, store.search_index, "zeolite").items
        assert [a.id for a, _ in hits] == [old, new]
        assert (
            q.search_page(
                s, store.search_index, "zeolite", ArticleFilters(until=date(2024, 12, 31))
            )
            .items[0][0]
            .id
            == new
        )
    with store.session() as s:
        s.delete(q.article_by_id(s, old))
    with store.session() as s:
        assert [a.id for a, _ in q.search_page(s, store.search_index, "zeolite").items] == [new]
        assert [h.article_id for h in store.search_index.search(s, "zeolite", 10)] == [new]


def test_a_bad_cursor_is_one_line() -> None:
    for bad in ["", "x", "2024-13-01~1", "+-1", "2024-07-19"]:
        with pytest.raises(ValueError, match="cursor"):
            Cursor.parse(bad)
    assert Cursor.parse(str(Cursor(day=date(2024, 7, 19), id=12))) == Cursor(date(2024, 7, 19), 12)
    assert Cursor.parse("+40") == Cursor(offset=40)


# -- the API, the pages and the CLI ----------------------------------------------------------
@pytest.fixture
def client(store: Store, tied: list[int]) -> Iterator[TestClient]:
    app = web_app(store, load_config(ROOT / "config.yaml"), allowed_hosts=["127.0.0.1"])
    with TestClient(app, base_url="http://127.0.0.1") as running:
        yield running


def test_the_api_pages_by_its_next_link(store: Store, client: TestClient) -> None:
    seen: list[int] = []
    path: str | None = "/api/articles?limit=7"
    while path:
        response = client.get(path)
        assert response.status_code == 200
        seen += [a["id"] for a in response.json()]
        link = response.headers.get("link")
        path = re.match(r'<([^>]+)>; rel="next"', link)[1] if link else None  # type: ignore[index]
    assert seen == _expected(store)
    assert client.get("/api/articles", params={"after": "nope"}).status_code == 400


def test_the_api_searches_newest_or_best_first(client: TestClient) -> None:
    newest = client.get("/api/articles", params={"q": "zeolite"}).json()
    best = client.get("/api/articles", params={"q": "zeolite", "order": "relevance"}).json()
    assert [a["published"] for a in newest] == sorted(
        (a["published"] for a in newest), reverse=True
    )
    assert {a["id"] for a in newest} == {a["id"] for a in best}
    assert all("[zeolite]" in a["snippet"] for a in best)


def test_relevance_pages_follow_their_next_link(client: TestClient) -> None:
    best = client.get("/api/articles", params={"q": "zeolite", "order": "relevance"}).json()
    seen: list[int] = []
    path: str | None = "/api/articles?q=zeolite&order=relevance&limit=4"
    while path:
        response = client.get(path)
        seen += [a["id"] for a in response.json()]
        link = response.headers.get("link")
        path = re.match(r'<([^>]+)>; rel="next"', link)[1] if link else None  # type: ignore[index]
    assert seen == [a["id"] for a in best]


def test_the_articles_page_links_its_next_page(client: TestClient) -> None:
    first = client.get("/articles", params={"lang": "en"}).text
    assert "26 articles" in first  # 40 articles, 26 in English
    assert 'rel="next"' not in first  # fits one page of 50
    page = client.get("/articles", params={"q": "HKSTP"}).text
    assert "newest first" in page
    assert "6 articles" in client.get("/articles", params={"q": "zeolite"}).text  # a0, a7 … a35


def test_the_cli_pages_and_orders(store: Store, tied: list[int], tmp_path: Path) -> None:
    cli = Cli(ROOT / "config.yaml", store.url, tmp_path)
    first = cli("articles", "--limit", "5", "--json")
    cursor = re.search(r"more: --after (\S+)", first.stderr)[1]  # type: ignore[index]
    rest = cli("articles", "--limit", "100", "--after", cursor, "--json")
    ids = [a["id"] for a in json.loads(first.stdout)] + [a["id"] for a in json.loads(rest.stdout)]
    assert ids == _expected(store)
    best = cli.json("search", "zeolite", "--order", "relevance")
    assert {a["id"] for a in best} == {a["id"] for a in cli.json("search", "zeolite")}
    bad = cli("articles", "--after", "soon", check=False)
    assert bad.returncode != 0 and "--after" in bad.stderr and "Traceback" not in bad.stderr


# -- the upgrade ------------------------------------------------------------------------------
def test_upgrading_a_store_with_data_keys_its_search_index(tmp_path: Path) -> None:
    url = database_url(tmp_path, "old")
    old = Store(url, upgrade=False)
    old.upgrade("0008")
    with old.engine.begin() as connection:  # what a 0008 store holds: FTS rowid = article id
        connection.execute(
            text(
                "INSERT INTO article (id, url_key, url, language, first_seen, last_seen, "
                "relevance, aliases, review_state, kind, published) VALUES "
                "(1, 'a', 'https://a', 'en', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1, "
                "'[]', 'new', 'article', '2020-05-05'), "
                "(2, 'b', 'https://b', 'en', '2024-02-01 00:00:00', '2024-02-01 00:00:00', 1, "
                "'[]', 'new', 'article', NULL)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO article_version (article_id, number, fetched_at, text, "
                "content_hash, signature) VALUES "
                "(1, 1, '2024-01-01 00:00:00', 'zeolite older', 'h1', :sig), "
                "(2, 1, '2024-02-01 00:00:00', 'zeolite newer', 'h2', :sig)"
            ),
            {"sig": b""},
        )
        if old.is_sqlite:
            connection.execute(
                text(
                    "INSERT INTO article_fts(rowid, title, body) VALUES "
                    "(1, 'a', 'zeolite older'), (2, 'b', 'zeolite newer'), (9, 'gone', 'zeolite')"
                )
            )
        else:
            connection.execute(
                text(
                    "INSERT INTO article_search (article_id, doc) VALUES "
                    "(1, to_tsvector('pressmon', 'zeolite older')), "
                    "(2, to_tsvector('pressmon', 'zeolite newer'))"
                )
            )
    old.close()
    upgraded = Store(url)
    with upgraded.session() as s:
        hits = q.search_page(s, upgraded.search_index, "zeolite").items
        assert [a.id for a, _ in hits] == [2, 1]  # first seen 2024-02-01, then 2020-05-05
        assert "[zeolite] newer" in hits[0][1].snippet
        assert [a.id for a in q.page_articles(s, ArticleFilters()).items] == [2, 1]
    if upgraded.is_sqlite:
        with upgraded.engine.connect() as connection:
            triggers = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
            assert {"article_fts_rekey", "article_fts_forget"} <= set(triggers)
        upgraded.downgrade("0009")
        with upgraded.engine.connect() as connection:
            rowids = connection.execute(text("SELECT rowid FROM article_fts")).scalars()
            assert sorted(rowids) == [1, 2]
    upgraded.close()


def test_head_keeps_the_search_triggers(store: Store) -> None:
    """A migration that rebuilds the article table drops its triggers: it must add them back."""
    if not store.is_sqlite:
        pytest.skip("the triggers are SQLite's")
    with store.engine.connect() as connection:
        triggers = set(
            connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
        )
    assert {"article_fts_rekey", "article_fts_forget"} <= triggers


def test_a_day_long_ago_still_has_a_key() -> None:
    from store.search import fts_key

    assert (
        fts_key(date(1, 1, 1), 1)
        < fts_key(date(2024, 7, 19), 1)
        < fts_key(date(2024, 7, 19) + timedelta(days=1), 0)
    )


# -- a metric's history ----------------------------------------------------------------------
LONE_DAY = date(2022, 3, 3)  # the one date a single article states the metric


def _state(store: Store, article_ids: list[int], per_article: int) -> list[int]:
    """Each article states `companies` of HKSTP `per_article` times (different values), on
    its own day; every fifth statement has an open flag, every seventh an accepted one.
    The ids of the statements, oldest first by (as-of date, id)."""
    with store.session() as s:
        rows: list[w.NewMention] = []
        for n, article_id in enumerate(article_ids):
            article = q.article_by_id(s, article_id)
            version = q.current_version(s, article_id)
            assert version is not None and article.published is not None
            for k in range(per_article):
                said = f"{1000 + 10 * n + k:,}"
                rows.append(
                    {
                        "version_id": version.id,
                        "article_id": article_id,
                        "subject": "HKSTP",
                        "metric": "companies",
                        "value": Decimal(1000 + 10 * n + k),
                        "qualifier": "at_least" if k else "exact",
                        "low": None,
                        "high": None,
                        "unit": "count",
                        "text": said,
                        "start": 0,
                        "end": len(said),
                        "sentence": f"HKSTP hosts {said} companies.",
                        "as_of": article.published,
                        "current": True,
                    }
                )
        added = w.add_mentions(s, rows)
        fields: w.FlagFields = {
            "previous_id": None,
            "delta": None,
            "percent": None,
            "revision": None,
        }
        flags = w.add_flags(
            s,
            [(m.id, "new", fields) for i, m in enumerate(added) if i % 5 == 0 or i % 7 == 0],
            created=datetime(2024, 8, 1),
        )
        for flag in flags:
            if added.index(flag.mention) % 5:  # the sevenths that are no fifth
                w.review_flag(s, flag, "accepted", "test", None, flag.created)
        return [m.id for m in sorted(added, key=lambda m: (m.as_of, m.id))]


@pytest.fixture
def stated(store: Store, tied: list[int]) -> list[int]:
    """120 statements on the four tied days (30 a day) and one alone on LONE_DAY."""
    lone = _add(store, [("lone", LONE_DAY, "en", "HKSTP hosts 900 companies.")])
    return sorted(_state(store, tied, 3) + _state(store, lone, 1), key=_statement_key(store))


def _statement_key(store: Store) -> Any:
    with store.session() as s:
        days = {m.id: m.as_of for m in q.current_mentions(s, "HKSTP", "companies")}
    return lambda i: (days[i], i)


@pytest.mark.parametrize("size", [1, 7, 30, 31, 121, 500])
def test_a_metric_history_pages_across_ties_with_the_limit_in_sql(
    store: Store, stated: list[int], size: int
) -> None:
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for newest_first in (False, True):
        seen: list[int] = []
        cursor = None
        with store.session() as s:
            while True:
                page = q.metric_history(
                    s, "HKSTP", "companies", after=cursor, limit=size, newest_first=newest_first
                )
                assert len(page.items) <= size
                seen += [m.id for m in page.items]
                if page.next is None:
                    break
                cursor = Cursor.parse(str(page.next))
        assert seen == (stated[::-1] if newest_first else stated)
    paged = [sql for sql in statements if "FROM figure_mention" in sql and "ORDER BY" in sql]
    assert paged and all("LIMIT" in sql for sql in paged)


def test_the_metric_history_api_pages_by_its_next_link(
    store: Store, stated: list[int], client: TestClient
) -> None:
    whole = client.get("/api/figures/companies")
    assert whole.status_code == 200 and "after=" in whole.headers["link"]
    seen: list[int] = []
    pages = 0
    path: str | None = "/api/figures/companies?limit=7"
    while path:
        response = client.get(path)
        assert response.status_code == 200, path
        records = response.json()
        assert len(records) <= 7
        seen += [r["id"] for r in records]
        pages += 1
        link = response.headers.get("link")
        path = re.match(r'<([^>]+)>; rel="next"', link)[1] if link else None  # type: ignore[index]
        if link:
            assert response.headers["x-next-cursor"] in link
    assert pages == 18 and seen == stated  # oldest first, as the whole history was
    assert [r["id"] for r in whole.json()] == stated[: q.HISTORY_PAGE]
    # each record as before: its source and its flags
    first = client.get("/api/figures/companies", params={"limit": 1}).json()[0]
    assert first["title"] == "Article lone" and first["flags"][0]["state"] == "open"
    assert {"value", "qualifier", "as_of", "url", "sentence"} <= set(first)
    assert client.get("/api/figures/companies", params={"after": "+40"}).status_code == 400
    assert client.get("/api/figures/companies", params={"after": "soon"}).status_code == 400
    assert client.get("/api/figures/nosuch").status_code == 404


def test_the_metric_page_charts_the_whole_series_over_a_page_of_statements(
    store: Store, stated: list[int], client: TestClient
) -> None:
    path: str | None = "/figures/companies"
    shown: list[int] = []
    while path:
        page = client.get(path)
        assert page.status_code == 200, path
        # the chart: one point per date of the whole history, on every page
        points = re.findall(r'<circle class="point (\w+)"', page.text)
        assert len(points) == 5 and "flagged" in points
        assert "5 dates" in page.text and "121 in all" in page.text
        assert "30 statements, 1,030 to 1,392" in page.text  # 2023-01-05: a3, a7 … a39
        assert "Article lone" in page.text  # a date of one statement names its article
        rows = re.findall(r'<a href="/articles/(\d+)">Article', page.text)
        assert 0 < len(rows) <= 50
        shown += [int(r) for r in rows]
        found = re.search(r'class="next" rel="next" href="([^"]+)"', page.text)
        path = found[1].replace("&amp;", "&") if found else None
    assert len(shown) == 121


def test_a_snippet_is_found_where_it_first_stands_in_either_script() -> None:
    """The snippet's place in the text is looked up reading no more of it than needed, and
    is the place a lookup in the whole normalised text gives."""
    from figures.script import simplify
    from store.search import _first, _spaced, in_original, indexed

    original = "HKSTP 的科學園很大。香港科学园也在沙田，科學園。Science Park 科學園"
    spaced, normalised = _spaced(original), indexed(original)
    for size in (1, 3, 7, 20):
        for start in range(len(normalised) - size):
            fragment = normalised[start : start + size]
            assert _first(fragment, spaced) == simplify(spaced).find(fragment), fragment
    assert in_original("\ue000科  学  园\ue001  很", original) == "[科學園]很"
    assert in_original("\ue000科  学  园\ue001  也", original) == "[科学园]也"
