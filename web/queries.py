"""The web app's reads of the store: filtered article lists, digests, review trails.

Sits between the web routes and store.queries; built on the named queries
there (and passing on those the routes use as they are), adding the filters
and JSON shapes only the web app asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from figures.ledger import Ledger
from store import queries as q
from store.clock import now
from store.kinds import ReviewDecision
from store.models import Article, Digest, FigureMention, Flag, FlagReview
from store.paging import ArticleFilters, Cursor, Page, SearchOrder
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
    "count_articles",
    "digest_record",
    "find_articles",
    "get_digest",
    "latest_digest",
    "list_digests",
    "mentions_of_article",
    "metric_names",
    "recent_reviews",
    "review",
    "review_record",
    "reviews_of_flag",
    "source_names",
]


@dataclass(frozen=True)
class ArticleFilter:
    """What the articles page and `GET /api/articles` can narrow by, and which page."""

    q: str | None = None
    since: date | None = None
    until: date | None = None
    source: str | None = None
    language: str | None = None
    cluster: int | None = None
    limit: int = 100
    order: SearchOrder = "newest"  # of search hits; a listing is always newest first
    after: Cursor | None = None

    @property
    def filters(self) -> ArticleFilters:
        return ArticleFilters(self.since, self.until, self.source, self.language, self.cluster)

    @property
    def query(self) -> str | None:
        return self.q if self.q and self.q.strip() else None


COUNT_CAP = 1000  # counts stop here ("1000+"), so no count reads the whole store


def find_articles(
    session: Session, search: SearchIndex, f: ArticleFilter
) -> Page[tuple[Article, str | None]]:
    """A page of articles matching the filter, each with its search snippet: newest first,
    or with a query and `order="relevance"`, best match first."""
    if f.query:
        hits = q.search_page(
            session, search, f.query, f.filters, order=f.order, after=f.after, limit=f.limit
        )
        return Page([(a, h.snippet) for a, h in hits.items], hits.next)
    page = q.page_articles(session, f.filters, after=f.after, limit=f.limit)
    return Page([(a, None) for a in page.items], page.next)


def count_articles(session: Session, search: SearchIndex, f: ArticleFilter) -> int:
    """How many articles match, up to COUNT_CAP + 1 (which reads as "more than COUNT_CAP")."""
    return q.count_articles(session, f.filters, search=search, query=f.query, cap=COUNT_CAP)


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
