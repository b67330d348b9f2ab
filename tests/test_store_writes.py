"""The store's named writes: upserts keyed on the tables' unique columns never duplicate a row,
and the one 'latest digest' query every caller uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from store import Store
from store import queries as q
from store import writes as w
from store.models import Article, ArticleVersion, FetchState
from tests.conftest import database_url

T0 = datetime(2025, 11, 1, 9, 0)
T1 = datetime(2025, 11, 2, 9, 0)


def _article(key: str) -> w.NewArticle:
    return {
        "url_key": key,
        "url": f"https://example.org/{key}",
        "source_id": None,
        "title": "Park news",
        "author": None,
        "sitename": None,
        "published": None,
        "language": "en",
        "first_seen": T0,
        "last_seen": T0,
        "relevance": 1.0,
        "aliases": [],
    }


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_second_writer_of_the_same_page_adds_no_row(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    with store.session() as s:
        first = w.insert_article(s, **_article("a"))
        assert first is not None
        version: w.NewVersion = {
            "article_id": first.id,
            "number": 1,
            "fetched_at": T0,
            "title": "Park news",
            "text": "Text.",
            "content_hash": "h1",
            "signature": b"\0",
        }
        assert w.insert_version(s, **version) is not None
    with store.session() as s:  # a re-run, or another process that looked before we wrote
        assert w.insert_article(s, **_article("a")) is None
        assert w.insert_version(s, **version) is None
    assert _count(store, Article) == 1
    assert _count(store, ArticleVersion) == 1


def test_fetch_state_upsert_updates_only_what_it_is_given(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    with store.session() as s:
        w.upsert_fetch_state(s, "k", "https://example.org/k", etag="e1", last_status=200)
    with store.session() as s:  # a 304: the validators stay, the status and time move
        w.upsert_fetch_state(s, "k", "https://example.org/other", last_status=304, last_fetched=T1)
    with store.session() as s:
        state = q.fetch_state(s, "k")
        assert state is not None
        assert (state.url, state.etag, state.last_status, state.last_fetched) == (
            "https://example.org/k",
            "e1",
            304,
            T1,
        )
    assert _count(store, FetchState) == 1


def test_fetch_states_written_together_keep_the_last_row_of_a_url(tmp_path: Path) -> None:
    """A batch naming a URL twice (a page and a redirect to it) ends as writing its rows
    one by one would: the last one stands, on every backend."""
    store = Store(database_url(tmp_path))
    rows: list[w.FetchRow] = [
        {"url_key": "k", "url": "https://example.org/k", "last_status": 301, "etag": None},
        {"url_key": "j", "url": "https://example.org/j", "last_status": 200, "etag": "j1"},
        {"url_key": "k", "url": "https://example.org/k", "last_status": 200, "etag": "k2"},
    ]
    try:
        with store.session() as s:
            w.upsert_fetch_states(s, rows)
        with store.session() as s:
            states = {key: q.fetch_state(s, key) for key in ("k", "j")}
            assert {k: (v.last_status, v.etag) for k, v in states.items() if v} == {
                "k": (200, "k2"),
                "j": (200, "j1"),
            }
    finally:
        store.close()


def test_the_latest_digest_is_the_latest_period_then_the_latest_made(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    with store.session() as s:
        assert q.latest_digest(s) is None
        older = w.add_digest(s, None, T1, T1, {"n": 1})
        w.add_digest(s, None, T0, datetime(2025, 11, 3), {"n": 2})  # made later, earlier period
        again = w.add_digest(s, T0, T1, datetime(2025, 11, 4), {"n": 3})  # same period, later
    with store.session() as s:
        latest = q.latest_digest(s)
        assert latest is not None and latest.id == again != older
        assert [d.content["n"] for d in q.list_digests(s)] == [3, 1, 2]
