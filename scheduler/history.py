"""The scheduler's view of `crawl_run`: a source's recent runs, as adaptive intervals read them.

Sits beside the store: crawl subprocesses write their own runs; the scheduler reads them back
through `store.queries` and writes a run (`store.writes.record_run`) only when a subprocess
failed, timed out or was stopped before it could.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from scheduler.adaptive import RunSummary
from scheduler.runner import STORE_FAULT
from store import queries as q


def recent_runs(session: Session, source: str, limit: int) -> list[RunSummary]:
    """The latest `limit` runs of `source`, newest first, as adaptivity reads them.

    A run whose error text the scheduler wrote as a store error ended on the database,
    not on the site.
    """
    return [
        RunSummary(
            status=r.status,
            new=r.new or 0,
            revised=r.revised or 0,
            pages=r.pages or 0,
            store_fault=(r.error_text or "").startswith(STORE_FAULT),
        )
        for r in q.runs_of_source(session, source, limit)
    ]
