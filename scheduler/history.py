"""The scheduler's reads and writes of `crawl_run`: a source's recent runs and failed-run records.

Sits beside the store: crawl subprocesses write their own runs; the scheduler
reads them back for adaptive intervals and `pressmon schedule`, and writes a
run only when a subprocess failed, timed out or was stopped before it could.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.adaptive import RunSummary
from store.models import CrawlRun


def last_run_id(session: Session) -> int:
    """The newest crawl_run id (0 for none): runs after it belong to a crawl started now."""
    return session.scalar(select(func.max(CrawlRun.id))) or 0


def runs_after(session: Session, source: str, after_id: int) -> list[CrawlRun]:
    """Runs of `source` recorded after `after_id`, oldest first."""
    query = select(CrawlRun).where(CrawlRun.source == source, CrawlRun.id > after_id)
    return list(session.scalars(query.order_by(CrawlRun.id)))


def recent_runs(session: Session, source: str, limit: int) -> list[RunSummary]:
    """The latest `limit` runs of `source`, newest first, as adaptivity reads them."""
    query = select(CrawlRun).where(CrawlRun.source == source).order_by(CrawlRun.id.desc())
    return [
        RunSummary(status=r.status, new=r.new or 0, revised=r.revised or 0)
        for r in session.scalars(query.limit(limit))
    ]


def last_run(session: Session, source: str) -> CrawlRun | None:
    """The newest run of `source`, whatever its outcome."""
    query = select(CrawlRun).where(CrawlRun.source == source).order_by(CrawlRun.id.desc())
    return session.scalars(query.limit(1)).first()


def record_run(
    session: Session,
    source: str,
    started: datetime,
    finished: datetime,
    status: str,
    error_text: str | None,
) -> int:
    """A run the crawl subprocess never wrote (it failed to start, hung or was killed)."""
    run = CrawlRun(
        source=source, started=started, finished=finished, status=status, error_text=error_text
    )
    session.add(run)
    session.flush()
    return run.id
