"""Full-text search: the one seam where the store speaks a dialect's own SQL.

Both backends index each article's current title and text and read a query the
same way: every term is required, a quoted phrase stays a phrase, and nothing a
user types is parsed as search syntax. Chinese has no spaces between words, so
Han characters are indexed one token each and a Chinese query becomes a phrase
of its characters: "科學園" finds 科學園 wherever it stands. Traditional and
Simplified Chinese are one script to search: the index holds text and the query
is read with Traditional characters as Simplified (OpenCC's table, through
figures.script), so 科學園 and 科学园 find the same articles. The normalising
keeps every character in place, so a snippet is cut from the article's own text
and shows it in the script it was written in.

- SQLite: an FTS5 table (porter stemming), ranked by bm25.
- PostgreSQL: a weighted tsvector (title above text) under a GIN index, built
  with the `pressmon` text-search configuration (English stemming, no stop
  words, so "and" is a word like any other), ranked by ts_rank_cd, with
  ts_headline snippets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from figures.script import simplify

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


def indexed(value: str) -> str:
    """Text as the index holds it: Han characters spaced apart and in Simplified script.

    Character for character the same length as `_spaced(value)`, so an offset into what
    the index holds is an offset into the spaced original."""
    return simplify(_spaced(value))


# What the database marks a snippet with; characters no text holds (Unicode private use),
# so they are told apart from the article's own brackets before being shown as [ ] and ….
_OPEN, _CLOSE, _CUT = "\ue000", "\ue001", "\ue002"


def in_original(snippet: str, original: str) -> str:
    """A snippet the database cut from the normalised text, shown in the article's own
    script: the same stretch of `original`, with the same words marked ([...])."""
    cut_start, cut_end = snippet.startswith(_CUT), len(snippet) > 1 and snippet.endswith(_CUT)
    plain: list[str] = []
    marks: list[tuple[int, str]] = []
    for ch in snippet.strip(_CUT):
        if ch in (_OPEN, _CLOSE):
            marks.append((len(plain), "[" if ch == _OPEN else "]"))
        else:
            plain.append(ch)
    fragment = "".join(plain)
    spaced = _spaced(original)
    at = simplify(spaced).find(fragment)
    source = spaced[at : at + len(fragment)] if at >= 0 else fragment
    parts, last = [], 0
    for position, mark in marks:
        parts += [source[last:position], mark]
        last = position
    parts.append(source[last:])
    return _unspaced(("…" if cut_start else "") + "".join(parts) + ("…" if cut_end else ""))


_ORIGINALS_SQL = text(
    "SELECT a.id, coalesce(v.text, a.title, '') AS body FROM article a "
    "LEFT JOIN article_version v ON v.article_id = a.id "
    "AND v.number = (SELECT max(number) FROM article_version w WHERE w.article_id = a.id) "
    "WHERE a.id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def _originals(session: Session, article_ids: list[int]) -> dict[int, str]:
    """The text each article is indexed by, as written (a headline's is its title)."""
    if not article_ids:
        return {}
    return {row.id: row.body for row in session.execute(_ORIGINALS_SQL, {"ids": article_ids})}


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


@dataclass(frozen=True)
class Hit:
    article_id: int
    rank: float  # lower is better, on either backend
    snippet: str


class SearchIndex(Protocol):
    """What the store asks of a dialect's full-text index."""

    def index(self, session: Session, article_id: int, title: str | None, body: str) -> None:
        """Make the article's current title and text the ones it is found by."""

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        """The best `limit` articles having every term of `query`, best first."""


class SqliteSearch:
    """FTS5 index of each article's current version."""

    def index(self, session: Session, article_id: int, title: str | None, body: str) -> None:
        session.execute(text("DELETE FROM article_fts WHERE rowid = :id"), {"id": article_id})
        session.execute(
            text("INSERT INTO article_fts(rowid, title, body) VALUES (:id, :title, :body)"),
            {"id": article_id, "title": indexed(title or ""), "body": indexed(body)},
        )

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        expression = fts_query(simplify(query))
        if not expression:
            return []
        rows = session.execute(
            text(
                "SELECT rowid, bm25(article_fts, 5.0, 1.0) AS rank, "
                f"snippet(article_fts, 1, '{_OPEN}', '{_CLOSE}', '{_CUT}', 16) AS snip "
                "FROM article_fts WHERE article_fts MATCH :q ORDER BY rank LIMIT :limit"
            ),
            {"q": expression, "limit": limit},
        ).all()
        originals = _originals(session, [row.rowid for row in rows])
        return [
            Hit(row.rowid, row.rank, in_original(row.snip, originals.get(row.rowid, "")))
            for row in rows
        ]


PG_CONFIG = "pressmon"


def pg_spaced(expression: str) -> str:
    """SQL spacing Han characters apart in `expression`, as `_spaced` does in Python."""
    return f"regexp_replace({expression}, '([{_CJK}])', ' \\1 ', 'g')"


_PG_HEADLINE = (
    f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=24, MinWords=12, ShortWord=0, "
    "MaxFragments=1, FragmentDelimiter=…"
)


_MARKED = re.compile(r"\[([^\[\]]*)\]")


def _phrases_only(snippet: str, phrases: set[str]) -> str:
    """ts_headline marks each Han character of a phrase wherever it stands; keep the
    marks on whole phrases only, as FTS5 does, so 科學園 is not marked in 科技園."""

    def keep(match: re.Match[str]) -> str:
        marked = match[1]
        if not _CJK_CHAR.search(marked) or any(p in simplify(marked) for p in phrases):
            return match[0]
        return marked

    return _MARKED.sub(keep, snippet)


class PostgresSearch:
    """A weighted tsvector per article (table article_search, GIN index)."""

    def index(self, session: Session, article_id: int, title: str | None, body: str) -> None:
        session.execute(
            text(
                "INSERT INTO article_search (article_id, doc) VALUES (:id, "
                f"setweight(to_tsvector('{PG_CONFIG}', :title), 'A') || "
                f"setweight(to_tsvector('{PG_CONFIG}', :body), 'B')) "
                "ON CONFLICT (article_id) DO UPDATE SET doc = EXCLUDED.doc"
            ),
            {"id": article_id, "title": indexed(title or ""), "body": indexed(body)},
        )

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        wanted = terms(simplify(query))
        if not wanted:
            return []
        # One phrase query per term, all required: user text never becomes tsquery syntax.
        tsquery = " && ".join(f"phraseto_tsquery('{PG_CONFIG}', :t{i})" for i in range(len(wanted)))
        params = {f"t{i}": term for i, term in enumerate(wanted)}
        rows = session.execute(
            text(
                f"WITH q AS (SELECT {tsquery} AS query) "
                "SELECT s.article_id, ts_rank_cd(s.doc, q.query) AS score"
                "  FROM article_search s, q"
                "  WHERE numnode(q.query) > 0 AND s.doc @@ q.query"
                "  ORDER BY score DESC, s.article_id LIMIT :limit"
            ),
            {"limit": limit, **params},
        ).all()
        # Snippets are cut from the normalised text, where the query's words are found, and
        # shown from the article's own text (a headline has no version: its title).
        originals = _originals(session, [row.article_id for row in rows])
        bodies = [originals.get(row.article_id, "") for row in rows]
        cuts = session.execute(
            text(
                f"SELECT ts_headline('{PG_CONFIG}', t.doc, q.query, '{_PG_HEADLINE}') AS snip "
                f"FROM unnest(CAST(:docs AS text[])) WITH ORDINALITY AS t(doc, n), "
                f"(SELECT {tsquery} AS query) q ORDER BY t.n"
            ),
            {"docs": [indexed(body) for body in bodies], **params},
        ).scalars()
        phrases = {_unspaced(t) for t in wanted if _CJK_CHAR.search(t)}
        return [
            Hit(row.article_id, -row.score, _phrases_only(in_original(cut, body), phrases))
            for row, cut, body in zip(rows, cuts, bodies, strict=True)
        ]


_BATCH_SQL = text(
    "SELECT a.id, a.title, coalesce(v.text, a.title, '') AS body FROM article a "
    "LEFT JOIN article_version v ON v.article_id = a.id "
    "AND v.number = (SELECT max(number) FROM article_version w WHERE w.article_id = a.id) "
    "WHERE a.id > :after ORDER BY a.id LIMIT :size"
)


def rebuild_index(connection: Connection, *, normalised: bool = True, batch: int = 500) -> int:
    """Index every article's current title and text again, for a migration that changes what
    the index holds: `normalised` (Simplified script) or as written. Returns how many."""
    prepare = indexed if normalised else _spaced
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.execute(text("DELETE FROM article_fts"))
        write = text("INSERT INTO article_fts(rowid, title, body) VALUES (:id, :title, :body)")
    else:
        write = text(
            "INSERT INTO article_search (article_id, doc) VALUES (:id, "
            f"setweight(to_tsvector('{PG_CONFIG}', :title), 'A') || "
            f"setweight(to_tsvector('{PG_CONFIG}', :body), 'B')) "
            "ON CONFLICT (article_id) DO UPDATE SET doc = EXCLUDED.doc"
        )
    done, after = 0, 0
    while rows := connection.execute(_BATCH_SQL, {"after": after, "size": batch}).all():
        connection.execute(
            write,
            [{"id": r.id, "title": prepare(r.title or ""), "body": prepare(r.body)} for r in rows],
        )
        done += len(rows)
        after = rows[-1].id
    return done
