"""Named queries: every read the stages above make of the store, in one place.

The writes are beside them in `store.writes`; no module outside `store` builds a statement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import (
    BigInteger,
    Float,
    Numeric,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from store.kinds import SourceKind
from store.models import (
    Article,
    ArticleVersion,
    Cluster,
    CrawlRun,
    Delivery,
    Digest,
    FetchState,
    FigureMention,
    Flag,
    FlagReview,
    Lease,
    Source,
    listed_day,
)
from store.paging import (
    ArticleFilters,
    Cursor,
    Page,
    SearchOrder,
    keyset,
    newest_first,
    past_cursor,
)
from store.search import Hit, SearchIndex


@dataclass(frozen=True)
class KnownUrl:
    """What a spider needs to ask for a page conditionally, and what the crawl needs to
    settle an unchanged page without reading its fetch state again."""

    etag: str | None
    last_modified: str | None
    last_fetched: datetime | None
    content_hash: str | None = None
    relevant: bool | None = None
    article_id: int | None = None


def known_urls(session: Session) -> dict[str, KnownUrl]:
    """Every URL ever fetched, keyed by url_key.

    A URL whose last fetch ended in an error (including a write the store refused)
    has no `last_fetched`, so a sitemap's lastmod never lets the next crawl skip it.
    """
    rows = session.execute(
        select(
            FetchState.url_key,
            FetchState.etag,
            FetchState.last_modified,
            FetchState.last_fetched,
            FetchState.error,
            FetchState.content_hash,
            FetchState.relevant,
            FetchState.article_id,
        )
    )
    return {
        r.url_key: KnownUrl(
            r.etag,
            r.last_modified,
            None if r.error else r.last_fetched,
            r.content_hash,
            r.relevant,
            r.article_id,
        )
        for r in rows
    }


class SourceRecord(Protocol):
    """What the store keeps of a configured source (crawler.sources.Source fits)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> SourceKind: ...
    @property
    def start_urls(self) -> Sequence[str]: ...
    @property
    def enabled(self) -> bool: ...

    @property
    def schedule(self) -> Any: ...  # a model with model_dump()


def all_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source)))


def source_names(session: Session) -> list[str]:
    """Names of the sources articles came from, sorted."""
    # one index probe per source, not a join over every article
    stored = exists().where(Article.source_id == Source.id)
    return sorted(name for name in session.scalars(select(Source.name).where(stored)) if name)


def fetch_state(session: Session, url_key: str) -> FetchState | None:
    return session.get(FetchState, url_key)


def article_by_key(session: Session, url_key: str) -> Article | None:
    return session.scalar(select(Article).where(Article.url_key == url_key))


def articles_by_url(session: Session, urls: Sequence[str]) -> list[Article]:
    """The stored articles at these exact URLs, in id order."""
    return list(session.scalars(select(Article).where(Article.url.in_(urls)).order_by(Article.id)))


def _title_key(title: str | None) -> str:
    """A title as compared between a headline and its article: case, spacing, punctuation off."""
    return " ".join("".join(c if c.isalnum() else " " for c in (title or "").casefold()).split())


def _host(url: str | None) -> str:
    return urlsplit(url or "").netloc.lower().removeprefix("www.")


def _same_title(article: Article, title: str) -> bool:
    mine, theirs = _title_key(article.title), _title_key(title)
    return bool(mine) and bool(theirs) and (mine in theirs or theirs in mine)


def headline_for(session: Session, title: str | None, url: str) -> Article | None:
    """A stored headline whose article this is: same title, on the headline's publisher's site."""
    return matching_headline(headlines(session), title, url) if title else None


def headlines(session: Session) -> list[Article]:
    """The stored news-search headlines still waiting for their article's text."""
    return list(session.scalars(select(Article).where(Article.kind == "headline")))


def matching_headline(found: Sequence[Article], title: str | None, url: str) -> Article | None:
    """The headline of `found` whose article this is (see `headline_for`)."""
    if not title:
        return None
    for headline in found:
        site = headline.publisher_site
        if (site is None or _host(site) == _host(url)) and _same_title(headline, title):
            return headline
    return None


def articles_by_keys(session: Session, url_keys: Iterable[str]) -> dict[str, Article]:
    """The stored articles at these URL keys, by key."""
    keys = list(url_keys)
    if not keys:
        return {}
    found = session.scalars(select(Article).where(Article.url_key.in_(keys)))
    return {article.url_key: article for article in found}


def article_for_headline(
    session: Session, title: str, publisher_site: str | None
) -> Article | None:
    """A stored article (with text) that a news-search headline names, on its publisher's site."""
    query = select(Article).where(Article.kind == "article")
    if publisher_site:
        host = _host(publisher_site)
        query = query.where(Article.url.contains(host, autoescape=True))
    for article in session.scalars(query):
        if (not publisher_site or _host(article.url) == _host(publisher_site)) and _same_title(
            article, title
        ):
            return article
    return None


def current_version(session: Session, article_id: int) -> ArticleVersion | None:
    return session.scalar(
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article_id)
        .order_by(ArticleVersion.number.desc())
        .limit(1)
    )


def _current_versions() -> Subquery:
    return (
        select(ArticleVersion.article_id, func.max(ArticleVersion.number).label("number"))
        .group_by(ArticleVersion.article_id)
        .subquery()
    )


def _articles_with_text_hash() -> Select[Article]:
    newer = aliased(ArticleVersion)
    return (
        select(Article)
        .join(ArticleVersion, ArticleVersion.article_id == Article.id)
        .where(
            ArticleVersion.content_hash == bindparam("text_hash"),
            ~exists().where(
                newer.article_id == ArticleVersion.article_id,
                newer.number > ArticleVersion.number,
            ),
        )
        .order_by(Article.id)
        .limit(bindparam("limit"))
    )


# Built once: the crawl asks this for every new page, and building the ORM statement
# (its alias adapted afresh each time) cost more than running it.
_ARTICLES_WITH_TEXT_HASH = _articles_with_text_hash()


def articles_with_text_hash(session: Session, text_hash: str, limit: int = 20) -> list[Article]:
    """Articles whose current version has exactly this text (uses the content_hash index)."""
    params = {"text_hash": text_hash, "limit": limit}
    return list(session.scalars(_ARTICLES_WITH_TEXT_HASH, params))


def articles_with_text_hashes(session: Session, text_hashes: Sequence[str]) -> dict[str, list[int]]:
    """`articles_with_text_hash` for many texts at once: text hash -> article ids, in id order."""
    newer = aliased(ArticleVersion)
    rows = session.execute(
        select(ArticleVersion.content_hash, ArticleVersion.article_id)
        .where(
            ArticleVersion.content_hash.in_(set(text_hashes)),
            ~exists().where(
                newer.article_id == ArticleVersion.article_id,
                newer.number > ArticleVersion.number,
            ),
        )
        .order_by(ArticleVersion.article_id)
    )
    found: dict[str, list[int]] = {}
    for text_hash, article_id in rows:
        found.setdefault(text_hash, []).append(article_id)
    return found


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


def article_by_id(session: Session, article_id: int) -> Article:
    """A stored article (it must exist)."""
    return session.get_one(Article, article_id)


# -- crawl runs ----------------------------------------------------------------------------------
def last_run_id(session: Session) -> int:
    """The newest crawl_run id (0 for none)."""
    return session.scalar(select(func.max(CrawlRun.id))) or 0


def runs_after(session: Session, source: str, after_id: int) -> list[CrawlRun]:
    """Runs of `source` recorded after `after_id`, oldest first."""
    query = select(CrawlRun).where(CrawlRun.source == source, CrawlRun.id > after_id)
    return list(session.scalars(query.order_by(CrawlRun.id)))


def runs_of_source(session: Session, source: str, limit: int) -> list[CrawlRun]:
    """The latest `limit` runs of `source`, newest first."""
    query = select(CrawlRun).where(CrawlRun.source == source).order_by(CrawlRun.id.desc())
    return list(session.scalars(query.limit(limit)))


def last_run(session: Session, source: str) -> CrawlRun | None:
    """The newest run of `source`, whatever its outcome."""
    found = runs_of_source(session, source, 1)
    return found[0] if found else None


def runs(session: Session, ids: Sequence[int]) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.id.in_(ids)).order_by(CrawlRun.id)))


def running_runs(session: Session) -> list[CrawlRun]:
    """Runs whose record says `running`: live, or left behind by a killed process."""
    query = select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id)
    return list(session.scalars(query))


def lease(session: Session, name: str) -> Lease | None:
    """The lease `name` as stored (live or stale), or None."""
    return session.scalar(select(Lease).where(Lease.name == name))


def live_leases(session: Session, stale_before: datetime) -> dict[str, str]:
    """name -> holder of every lease whose heartbeat is not older than `stale_before`."""
    rows = session.execute(select(Lease.name, Lease.holder).where(Lease.heartbeat >= stale_before))
    return {r.name: r.holder for r in rows}


def last_runs(session: Session, limit: int = 20) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)))


def _filtered(query: Select[Any], f: ArticleFilters) -> Select[Any]:
    """`query` on article narrowed by the filters, all in its WHERE clause."""
    if f.since is not None:
        query = query.where(listed_day >= f.since)
    if f.until is not None:
        query = query.where(listed_day <= f.until)
    if f.source is not None:
        source_id = select(Source.id).where(Source.name == f.source).scalar_subquery()
        query = query.where(Article.source_id == source_id)  # "=": the (source, day) index
    if f.language is not None:
        query = query.where(Article.language == f.language)
    if f.cluster is not None:
        query = query.where(Article.cluster_id == f.cluster)
    return query


def _listed(query: Select[Any]) -> Select[Any]:
    """Load what a listing shows: the source (joined: one query fewer a page) and each
    version's number, not its text."""
    return query.options(
        selectinload(Article.versions).load_only(ArticleVersion.number),
        joinedload(Article.source),
    )


def _day_of(article: Article) -> date:
    return article.published or article.first_seen.date()


def _keyset_page(rows: Sequence[Article], limit: int) -> Page[Article]:
    """The first `limit` of `rows` (fetched one more than a page) and the cursor after them."""
    if len(rows) <= limit:
        return Page(list(rows), None)
    last = rows[limit - 1]
    return Page(list(rows[:limit]), Cursor(day=_day_of(last), id=last.id))


def page_articles(
    session: Session, filters: ArticleFilters, *, after: Cursor | None = None, limit: int = 50
) -> Page[Article]:
    """A page of articles, newest first (published, else first seen; then newest stored)."""
    query = _listed(newest_first(past_cursor(_filtered(select(Article), filters), after)))
    rows = list(session.scalars(query.limit(limit + 1)))
    return _keyset_page(rows, limit)


def count_articles(
    session: Session,
    filters: ArticleFilters,
    *,
    search: SearchIndex | None = None,
    query: str | None = None,
    cap: int = 1000,
) -> int:
    """How many articles the filters (and the search) keep, counted up to `cap` + 1: a
    result above `cap` means "more than cap", and no count reads the whole store."""
    counted = _filtered(select(Article.id), filters)
    if search is not None and query:
        walk = search.newest(query, counted, filters, None)  # stops at the cap, as a page does
        if walk is None:
            return 0
        counted = walk.order_by(None)  # any order will do for a count
    return session.scalar(select(func.count()).select_from(counted.limit(cap + 1).subquery())) or 0


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
    query = _filtered(query, ArticleFilters(since=since, source=source, language=language))
    if ids is not None:
        query = query.where(Article.id.in_(ids))
    query = newest_first(query)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def get_article(session: Session, article_id: int) -> Article | None:
    return session.scalar(
        select(Article)
        .where(Article.id == article_id)
        .options(selectinload(Article.versions), selectinload(Article.source))
    )


# Relevance ranks this many of the newest matches: enough to hold what a reader looks
# for, few enough that ranking costs the same in a store of any size.
RELEVANCE_CANDIDATES = 200


def search_page(
    session: Session,
    search: SearchIndex,
    query: str,
    filters: ArticleFilters | None = None,
    *,
    order: SearchOrder = "newest",
    after: Cursor | None = None,
    limit: int = 20,
) -> Page[tuple[Article, Hit]]:
    """Articles whose current version has every term of `query`, with a snippet each.

    `newest`: all matches, newest first, paged by keyset like a listing. `relevance`: the
    newest RELEVANCE_CANDIDATES matches ranked by the index's score, best first.
    """
    filters = filters or ArticleFilters()
    if order == "newest":
        walk = search.newest(query, _listed(_filtered(select(Article), filters)), filters, after)
        if walk is None:
            return Page([], None)
        page = _keyset_page(list(session.scalars(walk.limit(limit + 1))), limit)
        ranks = {a.id: float(i) for i, a in enumerate(page.items)}
        articles = page.items
    else:
        walk = search.newest(query, _filtered(select(Article.id), filters), filters, None)
        if walk is None:
            return Page([], None)
        candidates = list(session.scalars(walk.limit(RELEVANCE_CANDIDATES)))
        scores = search.ranks(session, query, candidates)
        position = {article_id: i for i, article_id in enumerate(candidates)}
        ranked = sorted(candidates, key=lambda i: (scores.get(i, math.inf), position[i]))
        start = after.offset if after is not None else 0
        window = ranked[start : start + limit]
        loaded = _listed(select(Article)).where(Article.id.in_(window))
        by_id = {a.id: a for a in session.scalars(loaded)}
        articles = [by_id[i] for i in window]
        ranks = {i: scores.get(i, math.inf) for i in window}
        more = len(ranked) > start + limit
        page = Page(articles, Cursor(offset=start + limit) if more else None)
    snippets = search.snippets(session, query, [a.id for a in articles])
    return Page([(a, Hit(a.id, ranks[a.id], snippets.get(a.id, ""))) for a in articles], page.next)


def search_articles(
    session: Session,
    search: SearchIndex,
    query: str,
    *,
    since: date | None = None,
    language: str | None = None,
    order: SearchOrder = "newest",
    limit: int = 20,
) -> list[tuple[Article, Hit]]:
    """The first page of `search_page`: hits on current versions, filtered."""
    filters = ArticleFilters(since=since, language=language)
    return search_page(session, search, query, filters, order=order, limit=limit).items


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


HISTORY_PAGE = 100  # statements a page of a metric's history holds unless asked otherwise


def _stated(subject: str, metric: str) -> Any:
    """The record's statements of one metric about one subject (current mentions)."""
    return and_(
        FigureMention.current.is_(True),
        FigureMention.subject == subject,
        FigureMention.metric == metric,
    )


def metric_history(
    session: Session,
    subject: str,
    metric: str,
    *,
    after: Cursor | None = None,
    limit: int = HISTORY_PAGE,
    newest_first: bool = False,
) -> Page[FigureMention]:
    """One page of a metric's history, keyset-paged on (as-of date, id) with the limit in the
    query, oldest first (or newest first): a long history costs a page, not the whole of it."""
    query = (
        select(FigureMention)
        .where(_stated(subject, metric))
        .options(selectinload(FigureMention.article))
    )
    query = keyset(query, FigureMention.as_of, FigureMention.id, after, descending=newest_first)
    rows = list(session.scalars(query.limit(limit + 1)))
    page = rows[:limit]
    last = page[-1] if page and len(rows) > limit else None
    return Page(page, Cursor(day=last.as_of, id=last.id) if last else None)


@dataclass(frozen=True)
class SeriesPoint:
    """What a metric's record states on one as-of date in one unit: one point of its chart.

    `text`, `title` and `url` are those of one statement; with `statements` == 1, the only
    one. `qualifier` is the statements' own when they share it, else "exact"."""

    as_of: date
    unit: str
    low: float
    high: float
    statements: int
    qualifier: str
    open_flag: bool
    article_id: int
    text: str
    title: str | None
    url: str


def metric_series(session: Session, subject: str, metric: str) -> list[SeriesPoint]:
    """A metric's whole history as one point per as-of date and unit, oldest first, from one
    grouped query: a chart of years of statements without loading each one."""
    value = cast(FigureMention.value, Float)  # SQLite keeps exact decimals as text
    open_flag = exists().where(Flag.mention_id == FigureMention.id, Flag.state == "open")
    rows = session.execute(
        select(
            FigureMention.as_of,
            FigureMention.unit,
            func.count(FigureMention.id),
            func.min(value),
            func.max(value),
            func.min(FigureMention.qualifier),
            func.max(FigureMention.qualifier),
            func.max(case((open_flag, 1), else_=0)),
            func.min(FigureMention.article_id),
            func.min(FigureMention.text),
            func.min(Article.title),
            func.min(Article.url),
        )
        .join(Article, Article.id == FigureMention.article_id)
        .where(_stated(subject, metric))
        .group_by(FigureMention.as_of, FigureMention.unit)
        .order_by(FigureMention.as_of, FigureMention.unit)
    )
    return [
        SeriesPoint(
            as_of=r[0],
            unit=r[1],
            low=float(r[3]),
            high=float(r[4]),
            statements=int(r[2]),
            qualifier=r[5] if r[5] == r[6] else "exact",
            open_flag=bool(r[7]),
            article_id=int(r[8]),
            text=r[9],
            title=r[10],
            url=r[11],
        )
        for r in rows
    ]


def metric_is_stated(session: Session, metric: str) -> bool:
    """Whether any current mention states `metric` (of any subject): a known metric."""
    stated = exists().where(FigureMention.current.is_(True), FigureMention.metric == metric)
    return bool(session.scalar(select(stated)))


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


def flags_by_mention(session: Session, mention_ids: Sequence[int]) -> dict[int, list[Flag]]:
    """mention id -> its flags (oldest first), for every id given (none: an empty list)."""
    found: dict[int, list[Flag]] = {i: [] for i in mention_ids}
    for flag in sorted(flags_of_mentions(session, mention_ids), key=lambda f: f.id):
        found[flag.mention_id].append(flag)
    return found


KIND_ORDER = {"changed": 0, "conflict": 1, "outdated": 2, "new": 3}


# what every flag listing shows: the figure and the article of both its mentions
_FLAG_LOADS = (
    selectinload(Flag.mention).selectinload(FigureMention.article),
    selectinload(Flag.previous).selectinload(FigureMention.article),
)


def _flag_filters(query: Select[Any], kind: str | None, state: str | None) -> Select[Any]:
    """`query` narrowed to flags of this kind and review state (None: any)."""
    if kind is not None:
        query = query.where(Flag.kind == kind)
    if state is not None:
        query = query.where(Flag.state == state)
    return query


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
        select(Flag).join(FigureMention, Flag.mention_id == FigureMention.id).options(*_FLAG_LOADS)
    )
    query = _flag_filters(query, kind, state)
    if since is not None:
        query = query.where(FigureMention.as_of >= since)
    if ids is not None:
        query = query.where(Flag.id.in_(ids))
    flags = list(session.scalars(query))
    return sorted(
        flags, key=lambda f: (KIND_ORDER.get(f.kind, 9), -f.mention.as_of.toordinal(), f.id)
    )


@dataclass(frozen=True)
class FlagCursor:
    """Where a page of the flag queue ended: the last flag's sort key (keyset pagination)."""

    rank: int  # KIND_ORDER of its kind
    size: int  # its change in hundredths of a per cent, -1 for none (a new flag)
    id: int


def _queue_keys() -> tuple[Any, Any]:
    """The queue's sort keys as SQL: kind rank, then size of change (largest first)."""
    rank = case(KIND_ORDER, value=Flag.kind, else_=9)
    size = func.coalesce(cast(func.abs(cast(Flag.percent, Numeric)) * 100, BigInteger), -1)
    return rank, size


def flag_queue(
    session: Session,
    *,
    kind: str | None = None,
    state: str | None = None,
    after: FlagCursor | None = None,
    limit: int = 25,
) -> tuple[list[Flag], FlagCursor | None]:
    """One page of flags for review, in SQL: changed, conflict, outdated, then new, and the
    largest change first within a kind; with the cursor of the next page (None: the last)."""
    rank, size = _queue_keys()
    query = select(Flag, rank.label("rank"), size.label("size")).options(*_FLAG_LOADS)
    query = _flag_filters(query, kind, state)
    if after is not None:
        query = query.where(
            or_(
                rank > after.rank,
                and_(rank == after.rank, size < after.size),
                and_(rank == after.rank, size == after.size, Flag.id > after.id),
            )
        )
    rows = session.execute(query.order_by(rank, size.desc(), Flag.id).limit(limit + 1)).all()
    page = rows[:limit]
    last = page[-1] if page and len(rows) > limit else None
    cursor = FlagCursor(int(last.rank), int(last.size), last.Flag.id) if last else None
    return [row.Flag for row in page], cursor


def count_flags(session: Session, *, kind: str | None = None, state: str | None = None) -> int:
    """How many flags the queue holds with these filters."""
    return session.scalar(_flag_filters(select(func.count(Flag.id)), kind, state)) or 0


def get_flag(session: Session, flag_id: int) -> Flag | None:
    return session.get(Flag, flag_id)


def flags_created_between(session: Session, start: datetime, end: datetime) -> list[Flag]:
    ids = list(session.scalars(select(Flag.id).where(Flag.created.between(start, end))))
    return list_flags(session, ids=ids)


def flags_raised_in(
    session: Session, after: datetime | None, until: datetime, *, unsent_only: bool = True
) -> list[Flag]:
    """Flags raised in (after, until] on current figures and not dismissed (with `unsent_only`,
    not in an earlier digest either), in list_flags order."""
    query = (
        select(Flag.id)
        .join(FigureMention, Flag.mention_id == FigureMention.id)
        .where(
            Flag.created <= until,
            Flag.state != "dismissed",
            FigureMention.current.is_(True),  # a later version of the article replaced it
        )
    )
    if after is not None:
        query = query.where(Flag.created > after)
    if unsent_only:
        query = query.where(Flag.digest_id.is_(None))
    return list_flags(session, ids=list(session.scalars(query)))


def metric_names(session: Session) -> list[str]:
    """Metrics that current mentions state, sorted."""
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


# -- clusters ------------------------------------------------------------------------------------
def cluster_truths(session: Session, cluster_ids: Sequence[int]) -> dict[int, int | None]:
    """cluster id -> the article id its source of truth is."""
    if not cluster_ids:
        return {}
    rows = session.execute(select(Cluster.id, Cluster.truth_id).where(Cluster.id.in_(cluster_ids)))
    return {r.id: r.truth_id for r in rows}


# -- digests -------------------------------------------------------------------------------------
def list_digests(session: Session, limit: int | None = None) -> list[Digest]:
    """Digests newest first, with their deliveries: by the end of the period they cover, then
    the later made (a digest's period ends when it is made, so this is also the order made)."""
    query = (
        select(Digest)
        .options(selectinload(Digest.deliveries))
        .order_by(Digest.period_end.desc(), Digest.created.desc(), Digest.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def latest_digest(session: Session) -> Digest | None:
    """The digest of the latest period: the next one starts where it ended."""
    found = list_digests(session, limit=1)
    return found[0] if found else None


def get_digest(session: Session, digest_id: int) -> Digest | None:
    return session.get(Digest, digest_id)


def unsent_deliveries(session: Session) -> list[Delivery]:
    """Deliveries not sent yet, oldest first, with their digests."""
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.status != "sent")
            .options(selectinload(Delivery.digest))
            .order_by(Delivery.id)
        )
    )
