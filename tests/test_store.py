"""The store on real SQLite files: opening, recording pages idempotently, versions, search."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from crawler.analysis import Analysis, analyse
from crawler.items import Fetched
from crawler.process import Outcome, PageProcessor, Tally
from crawler.relevance import Watch
from store import Store
from store import queries as q
from store import writes as w
from store.clock import now
from store.database import MIGRATIONS
from store.errors import StoreError, WriteRefused
from store.models import Article, ArticleVersion, FetchState
from store.search import fts_query
from tests.conftest import BACKEND, database_url, sqlite_only

SAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "samplesite" / "sample-config.yaml"
BASE = "http://127.0.0.1:8765/hkstp/news/"

LAB_OPENS = [
    "Hong Kong Science and Technology Parks Corporation opened a new laboratory building in "
    "Science Park on Monday, adding wet laboratories for biotechnology tenants.",
    "The corporation said more than 1,100 companies now work across its sites, and that the "
    "building will host forty research teams from next spring.",
]
LAB_REVISED = [
    LAB_OPENS[0],
    "The corporation said more than 1,200 companies now work across its sites, and that the "
    "building will host sixty research teams, including a marine robotics group.",
]
ZH_PAGE = [
    "香港科技園公司今日宣布，香港科學園的培育計劃本年度共錄取超過一百間初創企業，創歷年新高。",
    "科學園現時匯聚逾一千一百間科技公司，研發人員超過一萬三千名，涵蓋生物醫藥及人工智能等領域。",
]


def html(title: str, paragraphs: list[str], lang: str = "en") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def fetched(path: str, title: str, paragraphs: list[str], lang: str = "en") -> Fetched:
    url = BASE + path
    return Fetched(
        source="newsroom",
        url=url,
        final_url=url,
        status=200,
        body=html(title, paragraphs, lang),
        content_type="text/html; charset=utf-8",
    )


@pytest.fixture(scope="module")
def watch() -> Watch:
    data = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    return Watch.model_validate(data["watch"])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "pressmon.db"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(database_url(tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def processor(store: Store, watch: Watch) -> PageProcessor:
    return PageProcessor(store, watch, {}, near_duplicate_threshold=0.5)


def record(processor: PageProcessor, page: Fetched, analysis: Analysis) -> Outcome:
    return processor.record(page, analysis, Tally())


def head_revision() -> str:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", MIGRATIONS)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


# -- opening -------------------------------------------------------------------------------------


@sqlite_only
def test_a_fresh_file_gets_the_whole_schema(store: Store, db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as raw:
        (version,) = raw.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert version == head_revision()
    assert {"article", "article_version", "fetch_state", "crawl_run", "article_fts"} <= tables


def test_opening_twice_keeps_what_was_stored(
    store: Store, processor: PageProcessor, watch: Watch
) -> None:
    page = fetched("lab.html", "HKSTP opens a lab", LAB_OPENS)
    assert record(processor, page, analyse(page, watch)) is Outcome.NEW

    again = Store(store.url)  # a second process opening the same store
    try:
        with again.session() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 1
    finally:
        again.close()


@sqlite_only
def test_journal_mode_is_wal(store: Store, db_path: Path) -> None:
    with store.session() as session:
        assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    # WAL is a property of the file, seen by any reader
    with closing(sqlite3.connect(db_path)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_missing_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "pressmon.db"
    opened = Store(f"sqlite:///{path}")
    opened.close()
    assert path.is_file()


def _assert_one_line_store_error(url: str, *, names: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store(url).close()
    message = str(caught.value)
    assert "\n" not in message
    assert names in message


@pytest.mark.parametrize("url", ["not a database url", ""])
def test_a_non_database_url_is_one_line(url: str) -> None:
    _assert_one_line_store_error(url, names=repr(url))


def test_a_web_address_is_not_a_database() -> None:
    _assert_one_line_store_error("http://example.com/db", names="http://example.com/db")


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database\n" * 50, encoding="utf-8")
    _assert_one_line_store_error(f"sqlite:///{path}", names=str(path))


def test_a_database_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("x", encoding="utf-8")
    path = tmp_path / "plain.txt" / "pressmon.db"
    _assert_one_line_store_error(f"sqlite:///{path}", names=str(path))


@sqlite_only
def test_a_locked_database_names_itself(store: Store, db_path: Path) -> None:
    """Another process holding the write lock: after the busy timeout, one clear line."""
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError) as caught, store.session() as session:
            w.start_run(session, "newsroom", now())
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    message = str(caught.value)
    assert "\n" not in message
    assert store.url in message
    assert "locked" in message


# -- recording pages -----------------------------------------------------------------------------


def _counts(store: Store) -> tuple[int, int]:
    with store.session() as session:
        articles = session.scalar(select(func.count()).select_from(Article))
        versions = session.scalar(select(func.count()).select_from(ArticleVersion))
    return articles or 0, versions or 0


def test_recording_a_page_twice_is_idempotent(
    store: Store, processor: PageProcessor, watch: Watch
) -> None:
    page = fetched("lab.html?utm_source=rss", "HKSTP opens a lab", LAB_OPENS)
    analysis = analyse(page, watch)
    tally = Tally()
    assert processor.record(page, analysis, tally) is Outcome.NEW
    assert processor.record(page, analysis, tally) is Outcome.UNCHANGED
    assert _counts(store) == (1, 1)
    with store.session() as session:
        article = session.scalars(select(Article)).one()
        assert article.url_key == "127.0.0.1:8765/hkstp/news/lab.html"
        assert article.title == "HKSTP opens a lab"
        assert session.scalar(select(func.count()).select_from(FetchState)) == 1


def test_a_changed_text_is_a_new_version_and_the_old_one_stays(
    store: Store, processor: PageProcessor, watch: Watch
) -> None:
    first = fetched("lab.html", "HKSTP opens a lab", LAB_OPENS)
    first_analysis = analyse(first, watch)
    revised = fetched("lab.html", "HKSTP opens a lab", LAB_REVISED)
    tally = Tally()
    assert processor.record(first, first_analysis, tally) is Outcome.NEW
    assert processor.record(revised, analyse(revised, watch), tally) is Outcome.REVISED
    assert _counts(store) == (1, 2)
    with store.session() as session:
        article = session.scalars(select(Article)).one()
        one, two = article.versions
        assert (one.number, two.number) == (1, 2)
        assert one.text == first_analysis.page.text
        assert one.content_hash == first_analysis.text_hash
        assert "1,100 companies" in one.text and "1,200 companies" in two.text
        assert q.current_version(session, article.id) == two


def test_search_sees_only_the_current_version(
    store: Store, processor: PageProcessor, watch: Watch
) -> None:
    first = fetched("lab.html", "HKSTP opens a lab", LAB_OPENS)
    revised = fetched("lab.html", "HKSTP opens a lab", LAB_REVISED)
    record(processor, first, analyse(first, watch))
    with store.session() as session:
        assert [h.article_id for h in store.search_index.search(session, "forty", 10)] == [1]
    record(processor, revised, analyse(revised, watch))
    with store.session() as session:
        assert store.search_index.search(session, "forty", 10) == []
        hits = store.search_index.search(session, "marine robotics", 10)
        assert [h.article_id for h in hits] == [1]
        assert "[marine]" in hits[0].snippet


def test_a_chinese_phrase_is_found(store: Store, processor: PageProcessor, watch: Watch) -> None:
    english = fetched("lab.html", "HKSTP opens a lab", LAB_OPENS)
    chinese = fetched("zh/park.html", "香港科學園培育計劃", ZH_PAGE, lang="zh-Hant")
    record(processor, english, analyse(english, watch))
    record(processor, chinese, analyse(chinese, watch))
    with store.session() as session:
        hits = store.search_index.search(session, "研發人員", 10)
        assert [h.article_id for h in hits] == [2]
        assert "[研發人員]" in hits[0].snippet  # one highlight, no spaces inside the Chinese
        assert store.search_index.search(session, "員人發研", 10) == []  # a phrase, not a bag
        found = q.search_articles(session, store.search_index, "科學園")
        assert [article.id for article, _ in found] == [2]


ODD_QUERIES = [
    "",
    "   ",
    '"',
    '""',
    '"unbalanced quote',
    "'",
    "(",
    ")",
    "(forty",
    "*",
    "forty*",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "forty AND",
    "NOT forty",
    "forty OR",
    "NEAR(forty lab)",
    "title:forty",
    "{title body}:forty",
    "^forty",
    "-forty",
    "+",
    "forty\\",
    "科學園 AND (",
    "「科學園」",
    "..",
    "🙂",
]


@pytest.fixture(scope="module")
def lab_store(tmp_path_factory: pytest.TempPathFactory, watch: Watch) -> Iterator[Store]:
    """One stored page to run many read-only searches against."""
    opened = Store(database_url(tmp_path_factory.mktemp("search")))
    page = fetched("lab.html", "HKSTP opens a lab", LAB_OPENS)
    record(PageProcessor(opened, watch, {}, 0.5), page, analyse(page, watch))
    yield opened
    opened.close()


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_never_break_search(lab_store: Store, query: str) -> None:
    with lab_store.session() as session:
        hits = lab_store.search_index.search(session, query, 10)
    assert all(hit.article_id == 1 for hit in hits)


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ("forty", True),
        ("FORTY research", True),
        ('"research teams"', True),
        ('"teams research"', False),
        ("forty sixty", False),  # every term is required
        ("and", True),  # an operator word is searched as a word
        ("forty AND", True),
        ("NOT forty", False),  # "not" is a word the page lacks, not a negation
    ],
)
def test_query_terms_are_words_and_all_required(lab_store: Store, query: str, finds: bool) -> None:
    with lab_store.session() as session:
        assert bool(lab_store.search_index.search(session, query, 10)) is finds


def test_fts_query_quotes_every_term() -> None:
    assert fts_query('forty "research teams" 科學園') == '"forty" "research teams" "科 學 園"'
    assert fts_query('"" ( ) "') == '"(" ")"'


@pytest.mark.skipif(BACKEND != "postgresql", reason="a deadlock between two transactions")
def test_the_loser_of_a_deadlock_is_a_refused_write_not_a_store_gone(tmp_path: Path) -> None:
    """PostgreSQL rolls one of two deadlocked transactions back: that write is refused (the
    crawl writes its pages again one by one), and the store is as usable as before."""
    store = Store(database_url(tmp_path))
    with store.engine.begin() as connection:
        connection.execute(text("CREATE TABLE probe (id integer PRIMARY KEY, n integer)"))
        connection.execute(text("INSERT INTO probe VALUES (1, 0), (2, 0)"))
    both_hold_one = threading.Barrier(2, timeout=30)
    outcomes: list[BaseException | None] = [None, None]

    def write(index: int, first: int, second: int) -> None:
        try:
            with store.session() as session:
                session.execute(text("UPDATE probe SET n = n + 1 WHERE id = :i"), {"i": first})
                both_hold_one.wait()
                session.execute(text("UPDATE probe SET n = n + 1 WHERE id = :i"), {"i": second})
        except BaseException as exc:  # the test reads it below
            outcomes[index] = exc

    writers = [
        threading.Thread(target=write, args=(0, 1, 2)),
        threading.Thread(target=write, args=(1, 2, 1)),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    try:
        failed = [exc for exc in outcomes if exc is not None]
        assert len(failed) == 1, outcomes
        assert isinstance(failed[0], WriteRefused), repr(failed[0])
        assert "deadlock" in str(failed[0])
        with store.session() as session:  # the winner's two updates stand
            assert session.execute(text("SELECT sum(n) FROM probe")).scalar_one() == 2
    finally:
        store.close()
