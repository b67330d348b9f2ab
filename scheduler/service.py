"""The APScheduler adapter: jobs in the project's database, run in the foreground, stopped cleanly.

The last step of the scheduler: `Service` turns job specs into APScheduler 3
jobs (SQLAlchemy job store in the store's database, fixed ids, never
overlapping, coalesced, with a misfire grace), runs them on threads that each
wait for a subprocess, reschedules adaptive jobs after each run, and on a stop
request takes no new jobs, gives running crawls `shutdown_grace` seconds and
then stops them. Everything it decides is computed by the plain functions in
specs.py, adaptive.py and runner.py.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler import history
from scheduler.adaptive import effective_interval
from scheduler.errors import ScheduleError
from scheduler.runner import STORE_FAULT, pressmon_command, run_command, run_crawl
from scheduler.settings import SchedulerSettings
from scheduler.specs import JobSpec, format_seconds
from store import Store
from store import queries as q
from store.lease import SCHEDULER, Heartbeat, acquire, close_dead_runs, process_holder

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
log = logging.getLogger("pressmon.scheduler")
JOBS_TABLE = "apscheduler_jobs"


def build_trigger(spec: JobSpec, seconds: float | None = None) -> CronTrigger | IntervalTrigger:
    """The APScheduler trigger for a spec; `seconds` overrides an interval (adaptivity)."""
    jitter = spec.jitter or None
    try:
        if spec.cron is not None:
            return CronTrigger(**_cron_fields(spec.cron), timezone=spec.timezone, jitter=jitter)
        return IntervalTrigger(
            seconds=seconds or spec.every or 0, timezone=spec.timezone, jitter=jitter
        )
    except (ValueError, LookupError) as exc:
        raise ScheduleError(f"{spec.id}: schedule {spec.signature!r}: {exc}") from None


def _cron_fields(expr: str) -> dict[str, str]:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields, not {len(fields)}")
    minute, hour, day, month, day_of_week = fields
    # crontab counts weekdays from Sunday = 0 (and 7); APScheduler 3 from Monday = 0: use names
    day_of_week = re.sub(r"(?<![/\d])\d+", lambda m: WEEKDAYS[int(m.group()) % 7], day_of_week)
    return {
        "minute": minute,
        "hour": hour,
        "day": day,
        "month": month,
        "day_of_week": day_of_week,
    }


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass
class Runtime:
    """What the job functions of one `Service` share: its store, settings, scheduler, stop state.

    The service hands it to the threads of its own executors (see `_worker`); the
    stored jobs keep only a function reference and the source name, so they stay
    picklable for the job store.
    """

    store: Store
    settings: SchedulerSettings
    config_path: str
    db_url: str
    specs: dict[str, JobSpec]
    scheduler: BackgroundScheduler
    stop: threading.Event
    running: dict[str, int]  # job id -> subprocess pid
    lock: threading.Condition
    closing: threading.Event = field(default_factory=threading.Event)  # no new work
    active: int = 0  # job functions in progress
    seed: bool = False  # a shared frontier is configured: crawl jobs seed it, workers crawl


_worker = threading.local()  # per executor thread: the Runtime of the service that owns it


def _enter_worker(runtime: Runtime) -> None:
    """Start of an executor thread: its jobs work for the service whose executor made it."""
    _worker.runtime = runtime


def _current_runtime() -> Runtime | None:
    """The Runtime of the service running this job; None outside a service's executor."""
    return getattr(_worker, "runtime", None)


def crawl_job(source: str) -> None:
    """APScheduler job: crawl one source in a subprocess, then adapt its interval."""
    rt = _current_runtime()
    if rt is None or rt.closing.is_set():
        return
    with rt.lock:
        rt.active += 1
    try:
        _crawl(rt, source)
    finally:
        with rt.lock:
            rt.active -= 1
            rt.lock.notify_all()


def _crawl(rt: Runtime, source: str) -> None:
    job_id = f"crawl:{source}"

    def started(proc: Any) -> None:
        with rt.lock:
            rt.running[job_id] = proc.pid

    if rt.seed:
        _seed(rt, source, job_id, started)
        return
    log.info("%s: crawl starts", job_id)
    try:
        outcome = run_crawl(
            source,
            store=rt.store,
            config_path=rt.config_path,
            db_url=rt.db_url,
            timeout=rt.settings.crawl_timeout,
            stop=rt.stop,
            stop_after=rt.settings.stop_after,
            on_start=started,
        )
    finally:
        with rt.lock:
            rt.running.pop(job_id, None)
            rt.lock.notify_all()
    if outcome.run_id is None:  # another crawl (by hand, or another store's scheduler) has it
        log.warning("%s: not crawled, %s", job_id, outcome.error_text)
        return
    counts = " ".join(f"{k}={v}" for k, v in outcome.counts.items())
    line = f"{job_id}: crawl run {outcome.run_id} {outcome.status} {counts}".strip()
    error = (outcome.error_text or "").replace("\n", " | ")[-500:]
    if error.startswith(STORE_FAULT):
        log.warning("%s, not counted against the source: %s", line, error)
    elif outcome.status in ("failed", "timeout"):
        log.warning("%s: %s", line, error)
    else:
        log.info("%s", line)
    spec = rt.specs.get(job_id)
    if spec is not None and spec.adaptive and not rt.closing.is_set():
        adapt(rt, spec)


def _seed(rt: Runtime, source: str, job_id: str, started: Callable[[Any], None]) -> None:
    """Queue the source's start requests in the shared frontier; the workers crawl them.

    Its crawl runs are the workers', so the interval does not adapt here.
    """
    argv = pressmon_command(
        "crawl", "--seed", "--source", source, config_path=rt.config_path, db_url=rt.db_url
    )
    try:
        finished = run_command(
            argv,
            timeout=rt.settings.crawl_timeout,
            stop=rt.stop,
            stop_after=rt.settings.stop_after,
            on_start=started,
        )
    finally:
        with rt.lock:
            rt.running.pop(job_id, None)
            rt.lock.notify_all()
    if finished.ending == "exited" and finished.exit_code == 0:
        log.info("%s: seeded the frontier", job_id)
    else:
        log.warning("%s: seeding failed: %s", job_id, finished.stderr_tail.replace("\n", " | "))


def adapt(rt: Runtime, spec: JobSpec) -> None:
    """Reschedule an adaptive job when its recent runs call for another interval."""
    with rt.store.session() as session:
        runs = history.recent_runs(session, spec.target, rt.settings.history)
    seconds = effective_interval(spec.every or 0, spec.bounds or (1, 1), runs)
    job = rt.scheduler.get_job(spec.id)
    if job is None or not isinstance(job.trigger, IntervalTrigger):
        return
    if abs(job.trigger.interval.total_seconds() - seconds) < 0.5:
        return
    rt.scheduler.reschedule_job(spec.id, trigger=build_trigger(spec, seconds))
    log.info(
        "%s: now every %s (configured %s)",
        spec.id,
        format_seconds(seconds),
        format_seconds(spec.every or 0),
    )


def digest_job() -> None:
    """APScheduler job: `pressmon digest --send` in a subprocess; a failure is logged."""
    rt = _current_runtime()
    if rt is None or rt.closing.is_set():
        return
    with rt.lock:
        rt.active += 1
    try:
        _digest(rt)
    finally:
        with rt.lock:
            rt.active -= 1
            rt.lock.notify_all()


def _digest(rt: Runtime) -> None:
    argv = pressmon_command("digest", "--send", config_path=rt.config_path, db_url=rt.db_url)
    finished = run_command(
        argv,
        timeout=rt.settings.crawl_timeout,
        stop=rt.stop,
        stop_after=rt.settings.stop_after,
        keep_stdout=True,
    )
    if finished.ending == "exited" and finished.exit_code == 0:
        # what `digest --send` reported: a digest and where it went, or that nothing was sent
        said = " | ".join(line.strip() for line in finished.stdout_tail.splitlines())
        log.info("digest: %s", said or "done, and it said nothing")
    else:
        reason = finished.stderr_tail.replace("\n", " | ")[-500:]
        log.error("digest: failed (%s, status %s): %s", finished.ending, finished.exit_code, reason)


@dataclass(frozen=True)
class SyncReport:
    """What a start changed in the stored jobs."""

    added: tuple[str, ...]
    rescheduled: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...]


def first_interval(store: Store, spec: JobSpec, history_size: int) -> float:
    """An adaptive job's interval at (re)scheduling, from the source's recent runs."""
    with store.session() as session:
        runs = history.recent_runs(session, spec.target, history_size)
    return effective_interval(spec.every or 0, spec.bounds or (1, 1), runs)


def first_run(store: Store, spec: JobSpec, interval: float, now: datetime) -> datetime:
    """A (re)scheduled interval job runs one interval after the source's last crawl, or now."""
    with store.session() as session:
        last = q.last_run(session, spec.target)
    if last is None:
        return now
    return max(now, _aware(last.started) + timedelta(seconds=interval))


def sync_jobs(
    scheduler: BackgroundScheduler,
    specs: Sequence[JobSpec],
    store: Store,
    history_size: int,
    now: datetime,
) -> SyncReport:
    """Make the stored jobs match the specs: fixed ids, no duplicates, stale ones removed.

    A stored job whose configured schedule (its name) is unchanged is kept as it
    is, so its next run time survives a restart and a missed run is caught up
    under the misfire policy.
    """
    wanted = {spec.id: spec for spec in specs}
    existing = {job.id: job for job in scheduler.get_jobs()}
    added: list[str] = []
    rescheduled: list[str] = []
    kept: list[str] = []
    removed = tuple(sorted(set(existing) - set(wanted)))
    for job_id in removed:
        scheduler.remove_job(job_id)
    for spec in specs:
        job = existing.get(spec.id)
        if job is not None and job.name == spec.signature:
            kept.append(spec.id)
            continue
        (rescheduled if job is not None else added).append(spec.id)
        if spec.kind == "crawl":
            seconds = first_interval(store, spec, history_size) if spec.adaptive else spec.every
            trigger = build_trigger(spec, seconds)
            when = first_run(store, spec, seconds or 0, now) if spec.cron is None else None
            func: Callable[..., None] = crawl_job
            args: tuple[str, ...] = (spec.target,)
            executor = "default"
        else:
            trigger = build_trigger(spec)
            when, func, args, executor = None, digest_job, (), "digest"
        options: dict[str, Any] = {"next_run_time": when} if when is not None else {}
        scheduler.add_job(
            func,
            trigger,
            args=args,
            id=spec.id,
            name=spec.signature,
            executor=executor,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(spec.misfire_grace),
            **options,
        )
    return SyncReport(tuple(added), tuple(rescheduled), removed, tuple(kept))


def job_store(store: Store) -> SQLAlchemyJobStore:
    """APScheduler's job table in the store's own database (and its engine's SQLite settings)."""
    return SQLAlchemyJobStore(engine=store.engine, tablename=JOBS_TABLE)


def _on_event(event: JobEvent) -> None:
    if event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning("%s: skipped, its previous run is still going", event.job_id)
    elif event.code == EVENT_JOB_MISSED:
        log.warning("%s: missed, later than its misfire grace", event.job_id)
    elif event.code == EVENT_JOB_ERROR:
        log.error("%s: job failed: %r", event.job_id, getattr(event, "exception", None))


class Service:
    """`pressmon run`: start, run until asked to stop, stop cleanly."""

    def __init__(
        self,
        store: Store,
        specs: Sequence[JobSpec],
        settings: SchedulerSettings,
        config_path: str,
        db_url: str,
        crawl_lease_timeout: float = 60,
        seed: bool = False,
    ) -> None:
        """`seed`: a shared frontier is configured, so crawl jobs seed it instead of crawling."""
        for spec in specs:
            build_trigger(spec)  # a bad cron expression or timezone stops us before any job runs
        self.store = store
        self.specs = list(specs)
        self.settings = settings
        self.crawl_lease_timeout = crawl_lease_timeout
        self.holder = process_holder()
        self.heartbeat: Heartbeat | None = None
        self.scheduler = BackgroundScheduler(jobstores={"default": job_store(store)}, timezone=UTC)
        self.scheduler.add_listener(
            _on_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED | EVENT_JOB_ERROR
        )
        self.runtime = Runtime(
            store,
            settings,
            config_path,
            db_url,
            {s.id: s for s in specs},
            self.scheduler,
            threading.Event(),
            {},
            threading.Condition(),
            seed=seed,
        )
        # The executors' threads get this service's runtime as they start: the job functions
        # read it there, so two services in one process never share one.
        workers = {"initializer": _enter_worker, "initargs": (self.runtime,)}
        self.scheduler.add_executor(
            ThreadPoolExecutor(settings.workers, pool_kwargs=workers), "default"
        )
        self.scheduler.add_executor(ThreadPoolExecutor(1, pool_kwargs=workers), "digest")

    def start(self, now: datetime | None = None) -> SyncReport:
        """Take the store's scheduler lease, close the runs killed crawls left `running`,
        bring the stored jobs in line with the config and start running them.

        LeaseHeld if another scheduler holds the store: two would crawl every source twice.
        """
        with self.store.session() as session:
            acquire(
                session,
                SCHEDULER,
                self.holder,
                self.settings.lease_timeout,
                f"another scheduler runs on the store {self.store.url}",
            )
            closed = close_dead_runs(session, self.crawl_lease_timeout)
        self.heartbeat = Heartbeat(
            self.store, SCHEDULER, self.holder, self.settings.lease_timeout / 4
        ).start()
        if closed:
            log.info("closed as killed: crawl run %s", ", ".join(map(str, closed)))
        self.scheduler.start(paused=True)
        report = sync_jobs(
            self.scheduler,
            self.specs,
            self.store,
            self.settings.history,
            now or datetime.now(UTC),
        )
        self.scheduler.resume()
        return report

    def stop(self) -> None:
        """Take no new jobs; let running crawls finish within the grace, then stop them.

        The scheduler shuts down first (its executors accept nothing more), while
        the job threads already running carry on and record their crawls.
        """
        rt = self.runtime
        rt.closing.set()
        self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + self.settings.shutdown_grace
        with rt.lock:
            if rt.running:
                log.info(
                    "stopping: waiting up to %gs for %s",
                    self.settings.shutdown_grace,
                    ", ".join(rt.running),
                )
            while rt.active and time.monotonic() < deadline:
                rt.lock.wait(deadline - time.monotonic())
            if rt.running:
                log.info("stopping: ending %s (SIGTERM, then SIGKILL)", ", ".join(rt.running))
            rt.stop.set()
            while rt.active:  # each stops its subprocess within stop_after, then records
                rt.lock.wait(1.0)
        if self.heartbeat is not None:
            self.heartbeat.stop()  # the store is free for the next scheduler
            self.heartbeat = None

    def jobs(self) -> list[Any]:
        jobs: list[Any] = self.scheduler.get_jobs()
        return jobs
