"""Named queries and writes: every SQL statement the stages above need, in one place."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from store.models import (
    Article,
    ArticleVersion,
    Cluster,
    CrawlError,
    CrawlRun,
    FetchState,
    FigureMention,
    Flag,
    Source,
)
from store.search import Hit, SqliteSearch


@dataclass(frozen=True)
class KnownUrl:
    """What a spider needs to ask for a page conditionally."""

    etag: str | None
    last_modified: str | None
    last_fetched: datetime | None


def known_urls(session: Session) -> dict[str, KnownUrl]:
    """Every URL ever fetched, keyed by url_key."""
    rows = session.execute(
        select(
            FetchState.url_key, FetchState.etag, FetchState.last_modified, FetchState.last_fetched
        )
    )
    return {r.url_key: KnownUrl(r.etag, r.last_modified, r.last_fetched) for r in rows}


class SourceRecord(Protocol):
    """What the store keeps of a configured source (crawler.sources.Source fits)."""

    name: str
    kind: str
    start_urls: Sequence[str]
    enabled: bool

    @property
    def schedule(self) -> Any: ...  # a model with model_dump()


def sync_sources(session: Session, sources: Iterable[SourceRecord]) -> dict[str, int]:
    """Upsert configured sources by name; returns name -> id."""
    existing = {s.name: s for s in session.scalars(select(Source))}
    for src in sources:
        row = existing.get(src.name) or Source(name=src.name)
        row.kind = src.kind
        row.start_urls = list(src.start_urls)
        row.schedule = src.schedule.model_dump(exclude_none=True)
        row.enabled = src.enabled
        session.add(row)
        existing[row.name] = row
    session.flush()
    return {name: row.id for name, row in existing.items()}


def fetch_state(session: Session, url_key: str) -> FetchState | None:
    return session.get(FetchState, url_key)


def article_by_key(session: Session, url_key: str) -> Article | None:
    return session.scalar(select(Article).where(Article.url_key == url_key))


def current_version(session: Session, article_id: int) -> ArticleVersion | None:
    return session.scalar(
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article_id)
        .order_by(ArticleVersion.number.desc())
        .limit(1)
    )


def _current_versions():
    return (
        select(ArticleVersion.article_id, func.max(ArticleVersion.number).label("number"))
        .group_by(ArticleVersion.article_id)
        .subquery()
    )


def article_with_text_hash(session: Session, text_hash: str) -> Article | None:
    """An article whose current version has exactly this text (uses the content_hash index)."""
    newer = aliased(ArticleVersion)
    return session.scalar(
        select(Article)
        .join(ArticleVersion, ArticleVersion.article_id == Article.id)
        .where(
            ArticleVersion.content_hash == text_hash,
            ~exists().where(
                newer.article_id == ArticleVersion.article_id,
                newer.number > ArticleVersion.number,
            ),
        )
        .limit(1)
    )


def current_signatures(session: Session) -> Iterator[tuple[int, bytes]]:
    """(article id, near-duplicate signature) of every article's current version."""
    cur = _current_versions()
    rows = session.execute(
        select(ArticleVersion.article_id, ArticleVersion.signature).join(
            cur,
            (cur.c.article_id == ArticleVersion.article_id)
            & (cur.c.number == ArticleVersion.number),
        )
    )
    for row in rows:
        yield row.article_id, row.signature


def cluster_members(session: Session, cluster_id: int) -> list[Article]:
    return list(session.scalars(select(Article).where(Article.cluster_id == cluster_id)))


def touch_article(session: Session, article_id: int, now: datetime) -> None:
    session.execute(update(Article).where(Article.id == article_id).values(last_seen=now))


def start_run(session: Session, source: str, now: datetime) -> int:
    run = CrawlRun(source=source, started=now, status="running")
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session,
    run_id: int,
    counts: dict[str, int],
    problems: Sequence[tuple[str, str, datetime]],
    status: str,
    error_text: str | None,
    now: datetime,
) -> None:
    run = session.get_one(CrawlRun, run_id)
    for name, value in counts.items():
        setattr(run, name, value)
    run.problems.extend(CrawlError(url=u, reason=r, at=at) for u, r, at in problems)
    run.status, run.error_text, run.finished = status, error_text, now


def runs(session: Session, ids: Sequence[int]) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.id.in_(ids)).order_by(CrawlRun.id)))


def last_runs(session: Session, limit: int = 20) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)))


def list_articles(
    session: Session,
    *,
    since: date | None = None,
    source: str | None = None,
    language: str | None = None,
    limit: int | None = 50,
    ids: Sequence[int] | None = None,
) -> list[Article]:
    """Articles newest first (published, else first seen), with the filters given."""
    query = select(Article).options(selectinload(Article.versions), selectinload(Article.source))
    if since is not None:
        query = query.where(
            func.coalesce(Article.published, func.date(Article.first_seen)) >= since
        )
    if source is not None:
        query = query.join(Source).where(Source.name == source)
    if language is not None:
        query = query.where(Article.language == language)
    if ids is not None:
        query = query.where(Article.id.in_(ids))
    query = query.order_by(
        func.coalesce(Article.published, func.date(Article.first_seen)).desc(), Article.id.desc()
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def get_article(session: Session, article_id: int) -> Article | None:
    return session.scalar(
        select(Article)
        .where(Article.id == article_id)
        .options(selectinload(Article.versions), selectinload(Article.source))
    )


def search_articles(
    session: Session,
    search: SqliteSearch,
    query: str,
    *,
    since: date | None = None,
    language: str | None = None,
    limit: int = 20,
) -> list[tuple[Article, Hit]]:
    """Ranked full-text hits on current versions, filtered."""
    hits = search.search(session, query, limit=limit * 5 if (since or language) else limit)
    articles = {
        a.id: a
        for a in list_articles(
            session, since=since, language=language, limit=None, ids=[h.article_id for h in hits]
        )
    }
    return [(articles[h.article_id], h) for h in hits if h.article_id in articles][:limit]


def cluster(session: Session, cluster_id: int) -> Cluster | None:
    return session.get(Cluster, cluster_id)


def articles_first_seen_in(
    session: Session, after: datetime | None, until: datetime
) -> list[Article]:
    """Articles stored for the first time in (after, until] (no `after`: ever), newest first."""
    query = select(Article.id).where(Article.first_seen <= until)
    if after is not None:
        query = query.where(Article.first_seen > after)
    return list_articles(session, ids=list(session.scalars(query)), limit=None)


def articles_revised_in(session: Session, after: datetime | None, until: datetime) -> list[Article]:
    """Articles that gained a second or later version in (after, until], newest first."""
    query = select(ArticleVersion.article_id).where(
        ArticleVersion.number > 1, ArticleVersion.fetched_at <= until
    )
    if after is not None:
        query = query.where(ArticleVersion.fetched_at > after)
    return list_articles(session, ids=list(session.scalars(query.distinct())), limit=None)


# -- figures -------------------------------------------------------------------------------------
def current_mentions_of_article(session: Session, article_id: int) -> list[FigureMention]:
    return list(
        session.scalars(
            select(FigureMention).where(
                FigureMention.article_id == article_id, FigureMention.current.is_(True)
            )
        )
    )


def current_mentions(
    session: Session, subject: str | None = None, metric: str | None = None
) -> list[FigureMention]:
    """Mentions in articles' current versions (the record), oldest as-of first."""
    query = (
        select(FigureMention)
        .where(FigureMention.current.is_(True))
        .options(selectinload(FigureMention.article))
        .order_by(FigureMention.as_of, FigureMention.article_id, FigureMention.start)
    )
    if subject is not None:
        query = query.where(FigureMention.subject == subject)
    if metric is not None:
        query = query.where(FigureMention.metric == metric)
    return list(session.scalars(query))


def mentions_of_version(session: Session, version_id: int) -> list[FigureMention]:
    return list(
        session.scalars(
            select(FigureMention)
            .where(FigureMention.version_id == version_id)
            .order_by(FigureMention.start)
        )
    )


def flags_of_mentions(session: Session, mention_ids: Sequence[int]) -> list[Flag]:
    if not mention_ids:
        return []
    return list(session.scalars(select(Flag).where(Flag.mention_id.in_(mention_ids))))


KIND_ORDER = {"changed": 0, "conflict": 1, "outdated": 2, "new": 3}


def list_flags(
    session: Session,
    *,
    kind: str | None = None,
    state: str | None = None,
    since: date | None = None,
    ids: Sequence[int] | None = None,
) -> list[Flag]:
    """Flags, changed first, then conflict, outdated and new; newest as-of first within a kind."""
    query = (
        select(Flag)
        .join(FigureMention, Flag.mention_id == FigureMention.id)
        .options(
            selectinload(Flag.mention).selectinload(FigureMention.article),
            selectinload(Flag.previous).selectinload(FigureMention.article),
        )
    )
    if kind is not None:
        query = query.where(Flag.kind == kind)
    if state is not None:
        query = query.where(Flag.state == state)
    if since is not None:
        query = query.where(FigureMention.as_of >= since)
    if ids is not None:
        query = query.where(Flag.id.in_(ids))
    flags = list(session.scalars(query))
    return sorted(
        flags, key=lambda f: (KIND_ORDER.get(f.kind, 9), -f.mention.as_of.toordinal(), f.id)
    )


def get_flag(session: Session, flag_id: int) -> Flag | None:
    return session.get(Flag, flag_id)


def flags_created_between(session: Session, start: datetime, end: datetime) -> list[Flag]:
    ids = list(session.scalars(select(Flag.id).where(Flag.created.between(start, end))))
    return list_flags(session, ids=ids)
