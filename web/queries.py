"""The web app's reads of the store: filtered article lists, digests, review trails.

Sits between the web routes and store.queries; built on the named queries
there (and passing on those the routes use as they are), adding the filters
and JSON shapes only the web app asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from figures.display import site
from figures.ledger import Ledger
from store import queries as q
from store.clock import now
from store.kinds import ReviewDecision
from store.models import Article, Digest, FigureMention, Flag, FlagReview
from store.queries import (
    get_digest,
    latest_digest,
    metric_names,
    recent_reviews,
    reviews_of_flag,
    source_names,
)
from store.search import SearchIndex

__all__ = [  # the store's named queries the routes use, beside the web app's own
    "ArticleFilter",
    "article_sources",
    "cursor_text",
    "digest_record",
    "find_articles",
    "get_digest",
    "latest_digest",
    "list_digests",
    "mentions_of_article",
    "metric_names",
    "parse_cursor",
    "recent_reviews",
    "review",
    "review_record",
    "reviews_of_flag",
    "source_names",
]


@dataclass(frozen=True)
class ArticleFilter:
    """What the articles page and `GET /api/articles` can narrow by."""

    q: str | None = None
    since: date | None = None
    until: date | None = None
    source: str | None = None
    language: str | None = None
    cluster: int | None = None
    limit: int = 100


def _day(article: Article) -> date:
    return article.published or article.first_seen.date()


def find_articles(
    session: Session, search: SearchIndex, f: ArticleFilter
) -> list[tuple[Article, str | None]]:
    """Articles matching the filter with their search snippet: best match first with a query,
    newest first without."""
    if f.q and f.q.strip():
        hits = q.search_articles(
            session, search, f.q, since=f.since, language=f.language, limit=f.limit * 5
        )
        found: list[tuple[Article, str | None]] = [(a, h.snippet) for a, h in hits]
    else:
        rows = q.list_articles(
            session, since=f.since, source=f.source, language=f.language, limit=None
        )
        found = [(a, None) for a in rows]
    kept = [
        (a, snippet)
        for a, snippet in found
        if (f.until is None or _day(a) <= f.until)
        and (f.source is None or (a.source is not None and a.source.name == f.source))
        and (f.cluster is None or a.cluster_id == f.cluster)
    ]
    return kept[: f.limit]


def article_sources(session: Session, urls: Iterable[str | None]) -> dict[str, dict[str, object]]:
    """url -> the stored article there ({"id", "title", "site"}), for the URLs a stored digest
    or a flag names, so pages show a title and a site where the record has a URL."""
    wanted = sorted({u for u in urls if u})
    return {
        a.url: {"id": a.id, "title": a.title, "site": a.sitename or site(a.url)}
        for a in (q.articles_by_url(session, wanted) if wanted else [])
    }


def mentions_of_article(session: Session, article_id: int) -> list[FigureMention]:
    """The figures the article's current version states, in reading order."""
    return sorted(q.current_mentions_of_article(session, article_id), key=lambda m: m.start)


def list_digests(session: Session, limit: int = 100) -> list[Digest]:
    """Digests newest first, at most `limit` (a page of them)."""
    return q.list_digests(session, limit)


def digest_record(digest: Digest) -> dict[str, object]:
    """The JSON shape of a stored digest: when, which period, and its content as stored."""
    return {
        "id": digest.id,
        "created": digest.created.isoformat(timespec="seconds"),
        "period_start": digest.period_start.isoformat(timespec="seconds")
        if digest.period_start
        else None,
        "period_end": digest.period_end.isoformat(timespec="seconds"),
        "content": digest.content,
    }


def cursor_text(cursor: q.FlagCursor) -> str:
    """A queue cursor as it travels in a URL: "rank.size.id"."""
    return f"{cursor.rank}.{cursor.size}.{cursor.id}"


def parse_cursor(text: str | None) -> q.FlagCursor | None:
    """The cursor of `cursor_text`; ValueError naming the text when it is not one."""
    if not text:
        return None
    parts = text.split(".")
    try:
        rank, size, flag_id = (int(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"after {text!r}: not a cursor of the flag queue (take it from a 'next' link)"
        ) from None
    return q.FlagCursor(rank, size, flag_id)


def review_record(review: FlagReview) -> dict[str, object]:
    return {
        "flag": review.flag_id,
        "state": review.state,
        "by": review.by,
        "at": review.at.isoformat(timespec="seconds"),
        "note": review.note,
    }


def review(
    session: Session, ledger: Ledger, flag: Flag, state: ReviewDecision, by: str, note: str | None
) -> None:
    """Accept or dismiss a flag through the ledger, which writes the audit row."""
    ledger.review(session, flag, state, by.strip() or "web", (note or "").strip() or None, now())
