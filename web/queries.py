"""The web app's own reads of the store: filtered article lists, digests, review trails.

Sits between the web routes and store.queries; built on the named queries
there, adding the filters and tables only the web app asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from figures.ledger import Ledger
from store import queries as q
from store.models import Article, Digest, FigureMention, Flag, FlagReview, Source
from store.search import SqliteSearch


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
    session: Session, search: SqliteSearch, f: ArticleFilter
) -> list[tuple[Article, str | None]]:
    """Articles matching the filter with their search snippet: best match first with a query,
    newest first without."""
    if f.q and f.q.strip():
        hits = q.search_articles(
            session, search, f.q, since=f.since, language=f.language, limit=f.limit * 5
        )
        found = [(a, h.snippet) for a, h in hits]
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


def source_names(session: Session) -> list[str]:
    """Names of the sources articles came from, for the filter's choices."""
    return sorted(
        name
        for name in session.scalars(
            select(func.distinct(Source.name)).join(Article, Article.source_id == Source.id)
        )
        if name
    )


def mentions_of_article(session: Session, article_id: int) -> list[FigureMention]:
    """The figures the article's current version states, in reading order."""
    return sorted(q.current_mentions_of_article(session, article_id), key=lambda m: m.start)


def metric_names(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(func.distinct(FigureMention.metric))
            .where(FigureMention.current.is_(True))
            .order_by(FigureMention.metric)
        )
    )


def reviews_of_flag(session: Session, flag_id: int) -> list[FlagReview]:
    """A flag's audit trail, oldest first."""
    return list(
        session.scalars(
            select(FlagReview).where(FlagReview.flag_id == flag_id).order_by(FlagReview.id)
        )
    )


def recent_reviews(session: Session, limit: int = 20) -> list[FlagReview]:
    """The latest accepts and dismissals across all flags, newest first."""
    return list(session.scalars(select(FlagReview).order_by(FlagReview.id.desc()).limit(limit)))


def list_digests(session: Session, limit: int = 100) -> list[Digest]:
    """Digests newest first (by the end of the period they cover)."""
    return list(
        session.scalars(
            select(Digest).order_by(Digest.period_end.desc(), Digest.id.desc()).limit(limit)
        )
    )


def latest_digest(session: Session) -> Digest | None:
    found = list_digests(session, limit=1)
    return found[0] if found else None


def get_digest(session: Session, digest_id: int) -> Digest | None:
    return session.get(Digest, digest_id)


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
    session: Session, ledger: Ledger, flag: Flag, state: str, by: str, note: str | None
) -> None:
    """Accept or dismiss a flag through the ledger, which writes the audit row."""
    from crawler.process import now

    ledger.review(session, flag, state, by.strip() or "web", (note or "").strip() or None, now())
