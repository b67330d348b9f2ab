"""Full-text search: the one seam where the store speaks a dialect's own SQL.

Both backends index each article's current title and text and read a query the
same way: every term is required, a quoted phrase stays a phrase, and nothing a
user types is parsed as search syntax. Chinese has no spaces between words, so
Han characters are indexed one token each and a Chinese query becomes a phrase
of its characters: "科學園" finds 科學園 wherever it stands.

- SQLite: an FTS5 table (porter stemming), ranked by bm25.
- PostgreSQL: a weighted tsvector (title above text) under a GIN index, built
  with the `pressmon` text-search configuration (English stemming, no stop
  words, so "and" is a word like any other), ranked by ts_rank_cd, with
  ts_headline snippets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"([{_CJK}])")
_TERM = re.compile(r'"([^"]+)"|(\S+)')
_WIDE = f"{_CJK}\u3000-\u303f\uff00-\uffef"  # Han plus CJK and full-width punctuation
_GAP = re.compile(f"(?<=[{_WIDE}])(\\]?) +(\\[?)(?=[{_WIDE}])")  # spaces only: keep paragraphs

CREATE_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
)
DROP_SQL = "DROP TABLE IF EXISTS article_fts"


def _spaced(value: str) -> str:
    """Put spaces around Han characters so each is one token."""
    return _CJK_CHAR.sub(r" \1 ", value)


def _unspaced(value: str) -> str:
    """Undo `_spaced` in a snippet: no spaces inside Chinese, one highlight per phrase."""
    joined = _GAP.sub(lambda m: "" if m[1] and m[2] else m[1] + m[2], value)
    return " ".join(joined.split())


def fts_query(query: str) -> str:
    """A user's query as an FTS5 expression: every term required, quotes keep phrases."""
    return " ".join(f'"{term}"' for term in terms(query))


def terms(query: str) -> list[str]:
    """A user's query as its terms, Han characters spaced apart; quotes keep phrases."""
    found = []
    for phrase, word in _TERM.findall(query):
        term = " ".join(_spaced(phrase or word).split()).replace('"', "")
        if term:
            found.append(term)
    return found


Indexed = tuple[int, str | None, str]  # (article id, title, current text)


@dataclass(frozen=True)
class Hit:
    article_id: int
    rank: float  # lower is better, on either backend
    snippet: str


class SearchIndex(Protocol):
    """What the store asks of a dialect's full-text index."""

    def index(self, session: Session, article_id: int, title: str | None, body: str) -> None:
        """Make the article's current title and text the ones it is found by."""

    def index_many(self, session: Session, rows: Sequence[Indexed]) -> None:
        """`index` for many articles in batched statements."""

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        """The best `limit` articles having every term of `query`, best first."""


class SqliteSearch:
    """FTS5 index of each article's current version."""

    def index(self, session: Session, article_id: int, title: str | None, body: str) -> None:
        self.index_many(session, [(article_id, title, body)])

    def index_many(self, session: Session, rows: Sequence[Indexed]) -> None:
        if not rows:
            return
        session.execute(
            text("DELETE FROM article_fts WHERE rowid = :id"), [{"id": r[0]} for r in rows]
        )
        session.execute(
            text("INSERT INTO article_fts(rowid, title, body) VALUES (:id, :title, :body)"),
            [{"id": i, "title": _spaced(t or ""), "body": _spaced(b)} for i, t, b in rows],
        )

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        expression = fts_query(query)
        if not expression:
            return []
        rows = session.execute(
            text(
                "SELECT rowid, bm25(article_fts, 5.0, 1.0) AS rank, "
                "snippet(article_fts, 1, '[', ']', '…', 16) AS snip "
                "FROM article_fts WHERE article_fts MATCH :q ORDER BY rank LIMIT :limit"
            ),
            {"q": expression, "limit": limit},
        )
        return [Hit(row.rowid, row.rank, _unspaced(row.snip)) for row in rows]


PG_CONFIG = "pressmon"


def pg_spaced(expression: str) -> str:
    """SQL spacing Han characters apart in `expression`, as `_spaced` does in Python."""
    return f"regexp_replace({expression}, '([{_CJK}])', ' \\1 ', 'g')"


_PG_HEADLINE = (
    "StartSel=[, StopSel=], MaxWords=24, MinWords=12, ShortWord=0, "
    "MaxFragments=1, FragmentDelimiter=…"
)


_MARKED = re.compile(r"\[([^\[\]]*)\]")


def _phrases_only(snippet: str, phrases: set[str]) -> str:
    """ts_headline marks each Han character of a phrase wherever it stands; keep the
    marks on whole phrases only, as FTS5 does, so 科學園 is not marked in 科技園."""

    def keep(match: re.Match[str]) -> str:
        marked = match[1]
        if not _CJK_CHAR.search(marked) or any(p in marked for p in phrases):
            return match[0]
        return marked

    return _MARKED.sub(keep, _unspaced(snippet))


class PostgresSearch:
    """A weighted tsvector per article (table article_search, GIN index)."""

    def index(self, session: Session, article_id: int, title: str | None, body: str) -> None:
        self.index_many(session, [(article_id, title, body)])

    def index_many(self, session: Session, rows: Sequence[Indexed]) -> None:
        if not rows:
            return
        session.execute(
            text(
                "INSERT INTO article_search (article_id, doc) VALUES (:id, "
                f"setweight(to_tsvector('{PG_CONFIG}', :title), 'A') || "
                f"setweight(to_tsvector('{PG_CONFIG}', :body), 'B')) "
                "ON CONFLICT (article_id) DO UPDATE SET doc = EXCLUDED.doc"
            ),
            [{"id": i, "title": _spaced(t or ""), "body": _spaced(b)} for i, t, b in rows],
        )

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        wanted = terms(query)
        if not wanted:
            return []
        # One phrase query per term, all required: user text never becomes tsquery syntax.
        tsquery = " && ".join(f"phraseto_tsquery('{PG_CONFIG}', :t{i})" for i in range(len(wanted)))
        # a headline has no version yet: its title is all the text there is
        body = pg_spaced("coalesce(v.text, a.title, '')")
        rows = session.execute(
            text(
                f"WITH q AS (SELECT {tsquery} AS query), "
                "best AS ("
                "  SELECT s.article_id, ts_rank_cd(s.doc, q.query) AS score, q.query"
                "  FROM article_search s, q"
                "  WHERE numnode(q.query) > 0 AND s.doc @@ q.query"
                "  ORDER BY score DESC, s.article_id LIMIT :limit) "
                f"SELECT best.article_id, best.score, ts_headline('{PG_CONFIG}', {body}, "
                f"best.query, '{_PG_HEADLINE}') AS snip "
                "FROM best JOIN article a ON a.id = best.article_id "
                "LEFT JOIN article_version v ON v.article_id = best.article_id "
                "AND v.number = (SELECT max(number) FROM article_version w "
                "WHERE w.article_id = best.article_id) "
                "ORDER BY best.score DESC, best.article_id"
            ),
            {"limit": limit, **{f"t{i}": term for i, term in enumerate(wanted)}},
        )
        phrases = {_unspaced(t) for t in wanted if _CJK_CHAR.search(t)}
        return [Hit(row.article_id, -row.score, _phrases_only(row.snip, phrases)) for row in rows]
