"""Named writes: every statement that changes the store, beside the reads in `store.queries`.

The stages above decide what a page, a figure or a digest is; they say it here. Page writes
are upserts on the tables' unique keys (`fetch_state.url_key`, `article.url_key`,
`article_version (article_id, number)`), in the dialect of the session's database, so a re-run
or two writers never duplicate a row. Updates are ORM-enabled statements: rows the session
already holds see the new values at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from store.kinds import RUN_COUNTS, ArticleKind, ReviewDecision, RunStatus
from store.models import (
    Article,
    ArticleVersion,
    Cluster,
    CrawlError,
    CrawlRun,
    CrawlSkip,
    Delivery,
    Digest,
    FetchState,
    FigureMention,
    Flag,
    FlagReview,
    Lease,
    Source,
)
from store.queries import SourceRecord, all_sources

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


def _insert(session: Session, entity: Any) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that knows ON CONFLICT in the dialect of the session's database. Each
    dialect's module is imported when its database is used: PostgreSQL's took 19 ms of
    every SQLite crawl's start."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(entity)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(entity)


# -- sources and crawl runs ----------------------------------------------------------------------
def sync_sources(session: Session, sources: Iterable[SourceRecord]) -> dict[str, int]:
    """Upsert configured sources by name; returns name -> id.

    One INSERT ... ON CONFLICT, so crawl workers starting at once on a fresh store never
    both insert a source.
    """
    rows = {  # by name: a source listed twice (the demo crawls each twice) is one row
        src.name: {
            "name": src.name,
            "kind": src.kind,
            "start_urls": list(src.start_urls),
            "schedule": src.schedule.model_dump(exclude_none=True),
            "enabled": src.enabled,
        }
        for src in sources
    }
    if rows:
        stmt = _insert(session, Source).values(list(rows.values()))
        changed = {k: stmt.excluded[k] for k in ("kind", "start_urls", "schedule", "enabled")}
        session.execute(
            stmt.on_conflict_do_update(index_elements=["name"], set_=changed),
            execution_options={"synchronize_session": False},
        )
    return {s.name: s.id for s in all_sources(session)}


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
    status: RunStatus,
    error_text: str | None,
    now: datetime,
    skips: Sequence[tuple[str, str, datetime]] = (),
) -> None:
    run = session.get_one(CrawlRun, run_id)
    for name, value in counts.items():
        setattr(run, name, value)
    run.problems.extend(CrawlError(url=u, reason=r, at=at) for u, r, at in problems)
    run.skips.extend(CrawlSkip(url=u, reason=r, at=at) for u, r, at in skips)
    run.status, run.error_text, run.finished = status, error_text, now


def record_run(
    session: Session,
    source: str,
    started: datetime,
    finished: datetime,
    status: RunStatus,
    error_text: str | None,
) -> int:
    """A run the crawl subprocess never wrote (it failed to start, hung or was killed)."""
    run = CrawlRun(
        source=source, started=started, finished=finished, status=status, error_text=error_text
    )
    session.add(run)
    session.flush()
    return run.id


class RunChanges(TypedDict, total=False):
    status: RunStatus
    finished: datetime | None
    error_text: str | None


def update_run(session: Session, run_id: int, **changes: Unpack[RunChanges]) -> None:
    """Correct a run's ending (the scheduler's view of a subprocess that did not finish it)."""
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(**changes))


def count_run(session: Session, run_id: int, counts: dict[str, int]) -> None:
    """Add to a running crawl's counters, in the transaction of the writes they count.

    A run's record then says what it committed even when its process is killed.
    """
    unknown = set(counts) - set(RUN_COUNTS)
    if unknown:
        raise ValueError(f"not a crawl run counter: {', '.join(sorted(unknown))}")
    columns = {name: getattr(CrawlRun, name) + value for name, value in counts.items() if value}
    if columns:
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(**columns)
            .execution_options(synchronize_session=False)
        )


def close_killed_runs(
    session: Session, run_ids: Sequence[int], error_text: str, now: datetime
) -> list[int]:
    """Mark these runs `killed` if they still say `running`; their counters stay as written.

    Returns the ids it closed: a run that finished meanwhile keeps its own ending.
    """
    if not run_ids:
        return []
    closed = session.scalars(
        update(CrawlRun)
        .where(CrawlRun.id.in_(run_ids), CrawlRun.status == "running")
        .values(status="killed", finished=now, error_text=error_text)
        .returning(CrawlRun.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(closed)


# -- leases ----------------------------------------------------------------------------------
def acquire_lease(
    session: Session, name: str, holder: str, now: datetime, stale_before: datetime
) -> bool:
    """Take the lease `name` if it is free, stale (heartbeat before `stale_before`) or ours.

    One statement, an insert that on conflict takes the row over only when the stored
    heartbeat is stale: the database decides, so two processes racing for one lease never
    both win (PostgreSQL locks the conflicting row; SQLite serialises writers).
    """
    insert = _insert(session, Lease).values(name=name, holder=holder, acquired=now, heartbeat=now)
    take_over = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": holder, "acquired": now, "heartbeat": now},
        where=(Lease.heartbeat < stale_before) | (Lease.holder == holder),
    ).returning(Lease.holder)
    return session.execute(take_over).first() is not None


def renew_lease(session: Session, name: str, holder: str, now: datetime) -> bool:
    """Beat the lease's heart; False if `holder` no longer holds it (it was taken over)."""
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(heartbeat=now)
        .returning(Lease.name)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease up (only if `holder` still holds it)."""
    session.execute(
        delete(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .execution_options(synchronize_session=False)
    )


# -- pages -----------------------------------------------------------------------------------
class FetchChanges(TypedDict, total=False):
    etag: str | None
    last_modified: str | None
    last_status: int | None
    last_fetched: datetime | None
    content_hash: str | None
    relevant: bool | None
    error: str | None
    article_id: int | None


def upsert_fetch_state(
    session: Session, url_key: str, url: str, **changes: Unpack[FetchChanges]
) -> None:
    """Insert a URL's fetch state, or set the given fields of the one stored (its url stays)."""
    stmt = _insert(session, FetchState).values(url_key=url_key, url=url, **changes)
    if changes:
        stmt = stmt.on_conflict_do_update(index_elements=["url_key"], set_=dict(changes))
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["url_key"])
    session.execute(stmt)


class FetchRow(FetchChanges):
    url_key: str
    url: str


def upsert_fetch_states(session: Session, rows: Sequence[FetchRow]) -> None:
    """`upsert_fetch_state` for many URLs: multi-row statements per shape of change, not one
    statement and transaction per page (a re-crawl answered by 304s writes little else).

    A URL given twice keeps its last row, as writing the rows one by one would. The ids
    asked for make SQLAlchemy send multi-row INSERTs (see `add_mention_rows`)."""
    shapes: dict[tuple[str, ...], dict[str, FetchRow]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(row)), {})[row["url_key"]] = row
    for columns, group in shapes.items():
        table = FetchState.__table__
        insert_ = _insert(session, table)
        changed = [c for c in columns if c not in ("url_key", "url")]
        upsert = insert_.on_conflict_do_update(
            index_elements=["url_key"], set_={c: insert_.excluded[c] for c in changed}
        )
        session.execute(upsert.returning(table.c.url_key), [dict(r) for r in group.values()])


def touch_articles(session: Session, seen: dict[int, datetime]) -> None:
    """Several articles seen again, unchanged (article id -> when), in one executemany."""
    if seen:
        rows = [{"id": article_id, "last_seen": at} for article_id, at in seen.items()]
        session.execute(update(Article), rows)


class NewArticle(TypedDict):
    kind: NotRequired[ArticleKind]
    publisher_site: NotRequired[str | None]
    url_key: str
    url: str
    source_id: int | None
    title: str | None
    author: str | None
    sitename: str | None
    published: date | None
    language: str
    first_seen: datetime
    last_seen: datetime
    relevance: float
    aliases: list[str]


def insert_article(session: Session, **values: Unpack[NewArticle]) -> Article | None:
    """Store a new article; None if its url_key is stored already (by another writer)."""
    stmt = (
        _insert(session, Article)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["url_key"])
        .returning(Article)
    )
    return session.scalars(stmt).one_or_none()


def insert_articles(session: Session, rows: Sequence[NewArticle]) -> dict[str, int]:
    """Store many new articles in batched statements (an import, a crawl's batch of pages).

    Returns url_key -> id of the rows stored; a key stored already is skipped, as
    `insert_article` skips it.
    """
    if not rows:
        return {}
    stmt = (
        _insert(session, Article.__table__)
        .on_conflict_do_nothing(index_elements=["url_key"])
        .returning(Article.__table__.c.url_key, Article.__table__.c.id)
    )
    found: dict[str, int] = {}
    for shape in _by_keys(rows):
        found.update((r.url_key, r.id) for r in session.execute(stmt, shape))
    return found


def _by_keys(rows: Sequence[Any]) -> list[list[dict[str, Any]]]:
    """Rows grouped by the keys they set: one executemany per shape."""
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(row)), []).append(dict(row))
    return list(shapes.values())


class ArticleChanges(TypedDict, total=False):
    kind: ArticleKind
    sitename: str | None
    url_key: str
    url: str
    title: str | None
    published: date | None
    last_seen: datetime
    relevance: float
    aliases: list[str]


def update_article(session: Session, article_id: int, **changes: Unpack[ArticleChanges]) -> None:
    """Set fields of a stored article (a revisit, a revision, a move to another URL)."""
    session.execute(update(Article).where(Article.id == article_id).values(**changes))


def touch_article(session: Session, article_id: int, now: datetime) -> None:
    """The article was seen again, unchanged."""
    update_article(session, article_id, last_seen=now)


class NewVersion(TypedDict):
    article_id: int
    number: int
    fetched_at: datetime
    title: str | None
    text: str
    content_hash: str
    signature: bytes


def insert_version(session: Session, **values: Unpack[NewVersion]) -> ArticleVersion | None:
    """Store an article's next version; None if that number is stored already."""
    stmt = (
        _insert(session, ArticleVersion)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["article_id", "number"])
        .returning(ArticleVersion)
    )
    return session.scalars(stmt).one_or_none()


def insert_versions(session: Session, rows: Sequence[NewVersion]) -> dict[tuple[int, int], int]:
    """Store many versions in batched statements; (article_id, number) -> id of those stored
    (a number stored already is skipped, as `insert_version` skips it)."""
    if not rows:
        return {}
    table = ArticleVersion.__table__
    stmt = (
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["article_id", "number"])
        .returning(table.c.article_id, table.c.number, table.c.id)
    )
    return {(r.article_id, r.number): r.id for r in session.execute(stmt, [dict(r) for r in rows])}


def new_cluster(session: Session, created: datetime) -> int:
    """A new, empty cluster of syndicated copies; its id."""
    cluster = Cluster(created=created)
    session.add(cluster)
    session.flush()
    return cluster.id


def join_cluster(session: Session, article_ids: Sequence[int], cluster_id: int) -> None:
    session.execute(
        update(Article).where(Article.id.in_(article_ids)).values(cluster_id=cluster_id)
    )


def leave_cluster(session: Session, article_ids: Sequence[int]) -> None:
    """The articles no longer read like their cluster (a revision rewrote them)."""
    session.execute(update(Article).where(Article.id.in_(article_ids)).values(cluster_id=None))


def name_truth(session: Session, cluster_id: int, article_id: int) -> None:
    """The copy of the release to cite."""
    session.execute(update(Cluster).where(Cluster.id == cluster_id).values(truth_id=article_id))


# -- figures ---------------------------------------------------------------------------------
def retire_mentions(session: Session, article_id: int) -> None:
    """The article's mentions stop counting (a new version replaces them)."""
    session.execute(
        update(FigureMention)
        .where(FigureMention.article_id == article_id, FigureMention.current.is_(True))
        .values(current=False)
    )


class NewMention(TypedDict):
    version_id: int
    article_id: int
    subject: str
    metric: str
    value: Decimal
    qualifier: str
    low: Decimal | None
    high: Decimal | None
    unit: str
    text: str
    start: int
    end: int
    sentence: str
    as_of: date
    current: bool


def add_mentions(session: Session, rows: Sequence[NewMention]) -> list[FigureMention]:
    """Store a version's mentions; returned in order, with their ids.

    One INSERT ... RETURNING for them all (SQLAlchemy's insertmanyvalues), not a unit of
    work flush of one object per row: a page's mentions were the crawl's costliest write.
    """
    if not rows:
        return []
    stmt = insert(FigureMention).returning(FigureMention, sort_by_parameter_order=True)
    return list(session.scalars(stmt, [dict(row) for row in rows]))


def add_mention_rows(session: Session, rows: Sequence[NewMention]) -> None:
    """Store mentions that nothing reads back at once (new articles' first versions), no
    objects loaded.

    Asking for the ids makes SQLAlchemy send the rows as multi-row INSERTs (its
    insertmanyvalues): a plain executemany ran SQLite once per row, and each run let
    the crawl process's other threads take the interpreter, which cost a second per
    1,000 pages."""
    if rows:
        table = FigureMention.__table__
        session.execute(_insert(session, table).returning(table.c.id), [dict(r) for r in rows])


FIGURES_LOCK = 0x70726573  # PostgreSQL advisory lock key of the figures lock ("pres")


def lock_figures(session: Session, *, shared: bool = False) -> None:
    """Hold the store's figures lock until the session's transaction ends.

    Concurrent crawls replay the series they touched; a replay that read the record
    while another was writing would add flags twice or drop the other's, so replays
    (and the mention writes they read) take turns. Writing one article's mentions
    without replaying (a crawl's deferred ledger) reads nothing of other articles, so
    such writers hold the lock `shared`: they go side by side and only wait for a
    replay. PostgreSQL: a transaction-level advisory lock. SQLite: the database's write
    lock, taken before the first read (`BEGIN IMMEDIATE`); a transaction that has
    written already holds it. Re-entrant.
    """
    if session.get_bind().dialect.name == "postgresql":
        take = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
        session.execute(select(take(FIGURES_LOCK)))
        return
    driver = session.connection().connection.driver_connection
    if not getattr(driver, "in_transaction", True):
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")


class FlagFields(TypedDict):
    previous_id: int | None
    delta: Decimal | None
    percent: Decimal | None
    revision: str | None


def add_flags(
    session: Session, new: Sequence[tuple[int, str, FlagFields]], created: datetime
) -> list[Flag]:
    """Open flags for (mention id, kind, fields); returned in order, with their ids."""
    flags = [
        Flag(mention_id=mention_id, kind=kind, created=created, state="open", **fields)
        for mention_id, kind, fields in new
    ]
    session.add_all(flags)
    session.flush()
    return flags


def update_flag(session: Session, flag: Flag, fields: FlagFields) -> None:
    """Bring an open flag's comparison up to date (written with the session's next flush)."""
    for name, value in fields.items():
        setattr(flag, name, value)


def move_flag(session: Session, flag: Flag, mention_id: int) -> None:
    """A revision restated the figure: the flag (and its reviews) follow the new mention."""
    flag.mention_id = mention_id


def delete_flags(session: Session, flags: Iterable[Flag]) -> None:
    """Flags the record no longer supports; writes pending flag changes too."""
    for flag in flags:
        session.delete(flag)
    session.flush()


def review_flag(
    session: Session, flag: Flag, state: ReviewDecision, by: str, note: str | None, at: datetime
) -> None:
    """Accept or dismiss a flag and keep the review in its audit trail."""
    flag.state, flag.reviewed_by, flag.reviewed_at, flag.note = state, by, at, note
    session.add(FlagReview(flag_id=flag.id, state=state, by=by, at=at, note=note))
    session.flush()


# -- digests ---------------------------------------------------------------------------------
def add_digest(
    session: Session,
    period_start: datetime | None,
    period_end: datetime,
    created: datetime,
    content: dict[str, Any],
) -> int:
    digest = Digest(
        period_start=period_start, period_end=period_end, created=created, content=content
    )
    session.add(digest)
    session.flush()
    return digest.id


def mark_flags_sent(session: Session, flag_ids: Sequence[int], digest_id: int) -> None:
    """The flags went out in this digest (a flag already sent keeps its first digest)."""
    if flag_ids:
        session.execute(
            update(Flag)
            .where(Flag.id.in_(flag_ids), Flag.digest_id.is_(None))
            .values(digest_id=digest_id)
        )


def add_deliveries(
    session: Session, digest_id: int, targets: Sequence[tuple[str, str]]
) -> list[int]:
    """One pending delivery per (channel, target); their ids, in order."""
    rows = [Delivery(digest_id=digest_id, channel=c, target=t) for c, t in targets]
    session.add_all(rows)
    session.flush()
    return [r.id for r in rows]


def note_attempt(session: Session, delivery_id: int, error: str | None, at: datetime) -> Delivery:
    """Count one attempt of a delivery: sent, or failed with this error."""
    row = session.get_one(Delivery, delivery_id)
    row.attempts += 1
    row.status = "failed" if error else "sent"
    row.last_error = error
    if error is None:
        row.sent_at = at
    return row
