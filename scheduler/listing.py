"""What `pressmon schedule` shows: each job, its next run, its effective interval, its last run.

Reads the APScheduler job table (without starting a scheduler) and the
source's newest `crawl_run`; jobs the config names but no `pressmon run` has
stored yet are listed too, with no next run. `in_config` says whether the config
names the job, `stored` whether a `pressmon run` has stored it; a stored job whose
`schedule` differs from `config_schedule` is rescheduled at the next start.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.service import job_store
from scheduler.specs import JobSpec, format_seconds
from store import Store
from store import queries as q


def stored_jobs(store: Store) -> list[Any]:
    """The jobs in the store's `apscheduler_jobs` table, soonest first."""
    jobs = job_store(store)
    jobs.start(BackgroundScheduler(), "default")  # creates the table if no run has yet
    try:
        found: list[Any] = jobs.get_all_jobs()
        return found
    finally:
        jobs.shutdown()


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:  # stored jobs run in their own timezone; show UTC, as stored
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return str(moment.isoformat(timespec="seconds"))


def _last_crawl(store: Store, source: str) -> dict[str, Any] | None:
    with store.session() as session:
        run = q.last_run(session, source)
        if run is None:
            return None
        return {
            "id": run.id,
            "status": run.status,
            "started": _iso(run.started),
            "finished": _iso(run.finished),
            **{k: getattr(run, k) for k in ("pages", "new", "revised", "errors")},
            "error_text": run.error_text,
        }


def _last_digest(store: Store) -> dict[str, Any] | None:
    with store.session() as session:
        digest = q.latest_digest(session)
    return None if digest is None else {"status": "made", "finished": _iso(digest.created)}


def job_rows(store: Store, specs: Sequence[JobSpec]) -> list[dict[str, Any]]:
    """One record per job, stored or configured; the shape `pressmon schedule --json` prints."""
    by_id = {spec.id: spec for spec in specs}
    rows, seen = [], set()
    for job in stored_jobs(store):
        seen.add(job.id)
        spec = by_id.get(job.id)
        trigger = job.trigger
        seconds = trigger.interval.total_seconds() if isinstance(trigger, IntervalTrigger) else None
        rows.append(
            {
                "id": job.id,
                "next_run": _iso(job.next_run_time),
                "interval": format_seconds(seconds) if seconds is not None else None,
                "interval_seconds": seconds,
                "trigger": str(trigger),
                "cron": spec.cron if spec is not None else None,
                "schedule": job.name,
                "in_config": spec is not None,
                "config_schedule": spec.signature if spec is not None else None,
                "stored": True,
            }
        )
    for spec in specs:
        if spec.id not in seen:
            rows.append(
                {
                    "id": spec.id,
                    "next_run": None,
                    "interval": format_seconds(spec.every) if spec.every else None,
                    "interval_seconds": spec.every,
                    "trigger": None,
                    "cron": spec.cron,
                    "schedule": spec.signature,
                    "in_config": True,
                    "config_schedule": spec.signature,
                    "stored": False,
                }
            )
    for row in rows:
        source = row["id"].removeprefix("crawl:")
        row["last_run"] = (
            _last_digest(store) if row["id"] == "digest" else _last_crawl(store, source)
        )
    return rows
