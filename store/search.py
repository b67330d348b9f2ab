"""Full-text search: the one seam where the store speaks a dialect's own SQL.

Both backends index each article's current title and text and read a query the
same way: every term is required, a quoted phrase stays a phrase, and nothing a
user types is parsed as search syntax. Chinese has no spaces between words, so
Han characters are indexed one token each and a Chinese query becomes a phrase
of its characters: "科學園" finds 科學園 wherever it stands. Traditional and
Simplified Chinese are one script to search: the index holds text and the query
is read with Traditional characters as Simplified (OpenCC's table, through
figures.script), so 科學園 and 科学园 find the same articles. The normalising
keeps every character in place, so a snippet is cut from the normalised text
and shown from the article's own text, in the script it was written in.

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
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Select, TextClause, bindparam, column, table, text
from sqlalchemy.orm import Session

from figures.script import simplify
from store.models import Article
from store.paging import ArticleFilters, Cursor, newest_first, past_cursor

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"([{_CJK}])")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TERM = re.compile(r'"([^"]+)"|(\S+)')
_WIDE = f"{_CJK}\u3000-\u303f\uff00-\uffef"  # Han plus CJK and full-width punctuation
_GAP = re.compile(f"(?<=[{_WIDE}])(\\]?) +(\\[?)(?=[{_WIDE}])")  # spaces only: keep paragraphs

CREATE_SQL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
)
DROP_SQL = "DROP TABLE IF EXISTS article_fts"


def _spaced(value: str) -> str:
    """Put spaces around Han characters so each is one token (" 科  學 "). A run of them is
    spaced in one call: a Chinese text's snippet spaced one character at a time cost more
    than the search that found it."""
    return _CJK_RUN.sub(lambda run: " " + "  ".join(run[0]) + " ", value)


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
    at = _first(fragment, spaced)
    source = spaced[at : at + len(fragment)] if at >= 0 else fragment
    parts, last = [], 0
    for position, mark in marks:
        parts += [source[last:position], mark]
        last = position
    parts.append(source[last:])
    return _unspaced(("…" if cut_start else "") + "".join(parts) + ("…" if cut_end else ""))


def _first(fragment: str, spaced: str) -> int:
    """Where `fragment`, cut from `simplify(spaced)`, first stands in it, converting no more
    of the text than needed: in text without Traditional characters before it, the fragment
    stands as it is, so only the text up to there is read again."""
    direct = spaced.find(fragment)
    if direct >= 0 and simplify(fragment) == fragment:
        return simplify(spaced[: direct + len(fragment)]).find(fragment)
    return simplify(spaced).find(fragment)


_ORIGINALS_SQL = text(
    "SELECT a.id, coalesce(v.text, a.title, '') AS body FROM article a "
    "LEFT JOIN article_version v ON v.article_id = a.id "
    "AND v.number = (SELECT max(number) FROM article_version w WHERE w.article_id = a.id) "
    "WHERE a.id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def _originals(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    """The text each article is indexed by, as written (a headline's is its title)."""
    if not article_ids:
        return {}
    return {row.id: row.body for row in session.execute(_ORIGINALS_SQL, {"ids": list(article_ids)})}


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
        """Make the article's current title and text the ones it is found by (as `indexed`:
        Traditional characters read as Simplified)."""

    def index_many(self, session: Session, rows: Sequence[Indexed]) -> None:
        """`index` for many articles in batched statements."""

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        """The best `limit` articles having every term of `query` in either script, best
        first, each with a snippet of its text as written."""

    def newest(
        self, query: str, found: Select[Any], filters: ArticleFilters, after: Cursor | None
    ) -> Select[Any] | None:
        """`found` (a select from article, narrowed by `filters`) kept to the articles having
        every term of `query` (in either script), newest first (day, then id) from past
        `after`; None: no term."""

    def ranks(self, session: Session, query: str, ids: Sequence[int]) -> dict[int, float]:
        """How well each of these matching articles matches `query`: lower is better."""

    def snippets(self, session: Session, query: str, ids: Sequence[int]) -> dict[int, str]:
        """A passage of each article's current text as written (in its own script) with the
        query's terms in [brackets]."""


# SQLite keys each article's FTS5 row by the day it is listed under, then its id: FTS5
# returns matches in rowid order, so newest-first search streams from the newest match and
# stops at the page's limit, whatever the number of matches. Triggers (migration 0010)
# move the row when an article's day changes and drop it with the article.
ID_BITS = 32
_ID_MASK = (1 << ID_BITS) - 1
_JULIAN = 1721424  # date.toordinal() + this = SQLite's integer julianday


def fts_key_sql(row: str = "") -> str:
    """The FTS5 rowid of the article row `row` (a prefix: "", "a.", "NEW.", "OLD.") in SQL."""
    day = f"coalesce({row}published, date({row}first_seen))"
    return f"((CAST(julianday({day}) AS INTEGER) << {ID_BITS}) | {row}id)"


def fts_key(day: date, article_id: int) -> int:
    """`fts_key_sql` in Python: the rowid of an article listed under `day`."""
    return ((day.toordinal() + _JULIAN) << ID_BITS) | article_id


_fts = table("article_fts", column("rowid"))
_FTS_SNIPPET = f"snippet(article_fts, 1, '{_OPEN}', '{_CLOSE}', '{_CUT}', 16)"
_KEYS_OF = text(f"SELECT {fts_key_sql()} FROM article WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


class SqliteSearch:
    """FTS5 index of each article's current version, keyed by (day, id)."""

    def index(self, session: Session, article_id: int, title: str | None, body: str) -> None:
        self.index_many(session, [(article_id, title, body)])

    def index_many(self, session: Session, rows: Sequence[Indexed]) -> None:
        if not rows:
            return
        found = session.execute(
            text(f"SELECT id, {fts_key_sql()} AS key FROM article WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": [r[0] for r in rows]},
        )
        keys = {row.id: row.key for row in found}
        session.execute(
            text("DELETE FROM article_fts WHERE rowid = :key"), [{"key": keys[r[0]]} for r in rows]
        )
        session.execute(
            text("INSERT INTO article_fts(rowid, title, body) VALUES (:key, :title, :body)"),
            [{"key": keys[i], "title": indexed(t or ""), "body": indexed(b)} for i, t, b in rows],
        )

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        expression = fts_query(simplify(query))
        if not expression:
            return []
        rows = session.execute(
            text(
                f"SELECT rowid & {_ID_MASK} AS id, bm25(article_fts, 5.0, 1.0) AS rank, "
                f"{_FTS_SNIPPET} AS snip "
                "FROM article_fts WHERE article_fts MATCH :q ORDER BY rank LIMIT :limit"
            ),
            {"q": expression, "limit": limit},
        ).all()
        originals = _originals(session, [row.id for row in rows])
        return [
            Hit(row.id, row.rank, in_original(row.snip, originals.get(row.id, ""))) for row in rows
        ]

    def newest(
        self, query: str, found: Select[Any], filters: ArticleFilters, after: Cursor | None
    ) -> Select[Any] | None:
        expression = fts_query(simplify(query))
        if not expression:
            return None
        key = _fts.c.rowid
        walk = found.join(_fts, Article.id == key.op("&")(_ID_MASK)).where(
            text("article_fts MATCH :fts_match").bindparams(fts_match=expression)
        )
        # the day filters and the cursor as rowid bounds: FTS5 seeks to them
        if filters.since is not None:
            walk = walk.where(key >= fts_key(filters.since, 0))
        if filters.until is not None:
            walk = walk.where(key < fts_key(filters.until + timedelta(days=1), 0))
        if after is not None and after.day is not None:
            walk = walk.where(key < fts_key(after.day, after.id))
        return walk.order_by(key.desc())

    @staticmethod
    def _match_in_keys(
        session: Session, query: str, ids: Sequence[int]
    ) -> tuple[str, list[int]] | None:
        """The FTS5 expression for `query` and the index keys of `ids`; None: nothing to ask.

        Asked one rowid at a time, FTS5 reads a term's whole doclist (and bm25 recounts the
        whole index) for each; the candidates are the newest matches, so their keys form
        one range, read in one pass."""
        expression = fts_query(simplify(query))
        if not expression or not ids:
            return None
        keys = list(session.scalars(_KEYS_OF, {"ids": list(ids)}))
        return (expression, keys) if keys else None

    def ranks(self, session: Session, query: str, ids: Sequence[int]) -> dict[int, float]:
        found = self._match_in_keys(session, query, ids)
        if found is None:
            return {}
        expression, keys = found
        wanted = set(ids)
        rows = session.execute(
            text(
                f"SELECT rowid & {_ID_MASK} AS id, bm25(article_fts, 5.0, 1.0) AS rank "
                "FROM article_fts WHERE article_fts MATCH :q AND rowid BETWEEN :lo AND :hi"
            ),
            {"q": expression, "lo": min(keys), "hi": max(keys)},
        )
        return {row.id: row.rank for row in rows if row.id in wanted}

    def snippets(self, session: Session, query: str, ids: Sequence[int]) -> dict[int, str]:
        found = self._match_in_keys(session, query, ids)
        if found is None:
            return {}
        expression, keys = found
        # the keys' range read once, snippets written for the wanted rows only
        rows = session.execute(
            text(
                f"SELECT rowid & {_ID_MASK} AS id, CASE WHEN rowid IN :keys THEN "
                f"{_FTS_SNIPPET} END AS snip FROM article_fts "
                "WHERE article_fts MATCH :q AND rowid BETWEEN :lo AND :hi"
            ).bindparams(bindparam("keys", expanding=True)),
            {"q": expression, "keys": keys, "lo": min(keys), "hi": max(keys)},
        )
        cuts = {row.id: row.snip for row in rows if row.snip is not None}
        originals = _originals(session, list(cuts))
        return {i: in_original(cut, originals.get(i, "")) for i, cut in cuts.items()}


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
            [{"id": i, "title": indexed(t or ""), "body": indexed(b)} for i, t, b in rows],
        )

    def search(self, session: Session, query: str, limit: int) -> list[Hit]:
        tsquery, params = self._tsquery(query)
        if not params:
            return []
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
        cuts = self._headlines(session, tsquery, params, [row.article_id for row in rows])
        return [Hit(row.article_id, -row.score, cuts[row.article_id]) for row in rows]

    def _headlines(
        self, session: Session, tsquery: str, params: dict[str, str], ids: Sequence[int]
    ) -> dict[int, str]:
        """Snippets cut by ts_headline from the normalised text, where the query's words are
        found, and shown from the article's own text (a headline's is its title)."""
        originals = _originals(session, ids)
        if not originals:
            return {}
        found = list(originals)
        cuts = session.execute(
            text(
                f"SELECT ts_headline('{PG_CONFIG}', t.doc, {tsquery}, '{_PG_HEADLINE}') AS snip "
                "FROM unnest(CAST(:docs AS text[])) WITH ORDINALITY AS t(doc, n) ORDER BY t.n"
            ),
            {"docs": [indexed(originals[i]) for i in found], **params},
        ).scalars()
        phrases = {_unspaced(t) for t in params.values() if _CJK_CHAR.search(t)}
        return {
            i: _phrases_only(in_original(cut, originals[i]), phrases)
            for i, cut in zip(found, cuts, strict=True)
        }

    @staticmethod
    def _tsquery(query: str) -> tuple[str, dict[str, str]]:
        """The query as a tsquery expression (one phrase per term, all required) and its
        parameters: user text never becomes tsquery syntax."""
        wanted = terms(simplify(query))
        params = {f"pm_term{i}": term for i, term in enumerate(wanted)}
        tsquery = " && ".join(f"phraseto_tsquery('{PG_CONFIG}', :{name})" for name in params)
        return tsquery, params

    def _matching(self, query: str) -> TextClause | None:
        tsquery, params = self._tsquery(query)
        if not params:
            return None
        return text(
            "EXISTS (SELECT 1 FROM article_search s WHERE s.article_id = article.id "
            f"AND numnode({tsquery}) > 0 AND s.doc @@ ({tsquery}))"
        ).bindparams(**params)

    def newest(
        self, query: str, found: Select[Any], filters: ArticleFilters, after: Cursor | None
    ) -> Select[Any] | None:
        matching = self._matching(query)
        if matching is None:
            return None
        # the planner walks the (day, id) index and checks each row's tsvector when most
        # articles match, and reads the GIN index first when few do
        return newest_first(past_cursor(found.where(matching), after))

    def ranks(self, session: Session, query: str, ids: Sequence[int]) -> dict[int, float]:
        tsquery, params = self._tsquery(query)
        if not params or not ids:
            return {}
        rows = session.execute(
            text(
                f"SELECT article_id, ts_rank_cd(doc, {tsquery}) AS score FROM article_search "
                "WHERE article_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {**params, "ids": list(ids)},
        )
        return {row.article_id: -row.score for row in rows}

    def snippets(self, session: Session, query: str, ids: Sequence[int]) -> dict[int, str]:
        tsquery, params = self._tsquery(query)
        if not params or not ids:
            return {}
        return self._headlines(session, tsquery, params, ids)


_BATCH_SQL = (
    "SELECT a.id, {key} AS key, a.title, coalesce(v.text, a.title, '') AS body FROM article a "
    "LEFT JOIN article_version v ON v.article_id = a.id "
    "AND v.number = (SELECT max(number) FROM article_version w WHERE w.article_id = a.id) "
    "WHERE a.id > :after ORDER BY a.id LIMIT :size"
)


def rebuild_index(connection: Connection, *, normalised: bool = True, batch: int = 500) -> int:
    """Index every article's current title and text again, for a migration that changes what
    the index holds: `normalised` (Simplified script) or as written. Returns how many.

    On SQLite each row is keyed by (day, id) (`fts_key_sql`), as `SqliteSearch` keys it."""
    prepare = indexed if normalised else _spaced
    if connection.dialect.name == "sqlite":
        connection.execute(text("DELETE FROM article_fts"))
        select_rows = text(_BATCH_SQL.format(key=fts_key_sql("a.")))
        write = text("INSERT INTO article_fts(rowid, title, body) VALUES (:key, :title, :body)")
    else:
        select_rows = text(_BATCH_SQL.format(key="a.id"))
        write = text(
            "INSERT INTO article_search (article_id, doc) VALUES (:key, "
            f"setweight(to_tsvector('{PG_CONFIG}', :title), 'A') || "
            f"setweight(to_tsvector('{PG_CONFIG}', :body), 'B')) "
            "ON CONFLICT (article_id) DO UPDATE SET doc = EXCLUDED.doc"
        )
    done, after = 0, 0
    while rows := connection.execute(select_rows, {"after": after, "size": batch}).all():
        connection.execute(
            write,
            [
                {"key": r.key, "title": prepare(r.title or ""), "body": prepare(r.body)}
                for r in rows
            ],
        )
        done += len(rows)
        after = rows[-1].id
    return done
