"""Full-text search: the one seam where the store speaks a dialect's own SQL.

SQLite uses an FTS5 table holding each article's current title and text.
Chinese has no spaces between words, so Han characters are indexed one token
each and a Chinese query becomes a phrase of its characters: "科學園" finds
科學園 wherever it stands. PostgreSQL gets its own class here later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    terms = []
    for phrase, word in _TERM.findall(query):
        term = " ".join(_spaced(phrase or word).split()).replace('"', "")
        if term:
            terms.append(f'"{term}"')
    return " ".join(terms)


@dataclass(frozen=True)
class Hit:
    article_id: int
    rank: float
    snippet: str


class SqliteSearch:
    """FTS5 index of each article's current version."""

    def index(self, session: Session, article_id: int, title: str | None, body: str) -> None:
        session.execute(text("DELETE FROM article_fts WHERE rowid = :id"), {"id": article_id})
        session.execute(
            text("INSERT INTO article_fts(rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": article_id, "title": _spaced(title or ""), "body": _spaced(body)},
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
