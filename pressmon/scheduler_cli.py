"""The scheduler commands of the CLI: `run` (the scheduler, foreground) and `schedule` (its jobs).

pressmon/cli.py adds `COMMANDS`; the work is in scheduler/.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from typing import Any

import click

from pressmon.config import resolve_path
from pressmon.context import App, command, dump


def _specs(app: App) -> list[Any]:
    from scheduler.specs import job_specs

    config = app.config
    return job_specs(config.sources, config.digest.schedule, config.scheduler)


@command("run", creates_store=True)
def run_cmd(app: App) -> None:
    """Run the scheduler in the foreground: each enabled source's crawl and the digest on time.

    Jobs are kept in the database, so a restart resumes them; a changed
    config.yaml adds, removes and reschedules jobs. A crawl runs as a
    `pressmon crawl` subprocess and never overlaps itself. SIGTERM or Ctrl-C
    lets running crawls finish (scheduler.shutdown_grace), then stops them and
    exits 0.

    \b
    Example:
      pressmon run --config config.yaml
    """
    from scheduler.service import Service

    stop = threading.Event()
    log = logging.getLogger("pressmon.scheduler")

    def request_stop(signum: int, _frame: object) -> None:
        log.info("%s: stopping (no new jobs)", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)  # first, so an early SIGTERM still exits 0
    signal.signal(signal.SIGINT, request_stop)
    config = app.config
    specs = _specs(app)
    # One time zone in the log, stated on every line: UTC, as the store keeps times.
    formatter = logging.Formatter("%(asctime)s UTC %(levelname)s %(message)s")
    formatter.converter = time.gmtime
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # its events are logged below
    logging.getLogger("alembic").setLevel(logging.WARNING)
    config_path = str(resolve_path(app.config_path).resolve())
    db_url = app.db_url or config.store.url
    service = Service(
        app.store,
        specs,
        config.scheduler,
        config_path,
        db_url,
        crawl_lease_timeout=config.crawl.lease_timeout,
        seed=config.crawl.frontier is not None,
    )

    changes = service.start()
    for name in ("added", "rescheduled", "removed", "kept"):
        ids = getattr(changes, name)
        if ids:
            log.info("jobs %s: %s", name, ", ".join(ids))
    for job in service.jobs():
        log.info("%s next at %s: %s", job.id, _utc(job.next_run_time), job.name)
    while not stop.wait(0.5):
        pass
    service.stop()
    log.info("stopped")


def _utc(moment: datetime | None) -> str:
    """A job's next run in the log's time zone (jobs keep their own, e.g. Asia/Hong_Kong)."""
    if moment is None:
        return "never (paused)"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


@command("schedule", creates_store=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def schedule_cmd(app: App, as_json: bool) -> None:
    """List the scheduled jobs: next run, effective interval, last run's outcome.

    An `every` source's interval adapts to what its crawls find (see
    min_every / max_every in config.yaml); cron schedules stay fixed.

    \b
    Example:
      pressmon schedule --json
    """
    from scheduler.listing import job_rows
    from store.lease import close_dead_runs

    with app.store.session() as session:  # a killed crawl's run says so before it is listed
        close_dead_runs(session, app.config.crawl.lease_timeout)
    rows = job_rows(app.store, _specs(app))
    if as_json:
        dump(rows)
        return
    columns = {
        "job": lambda r: r["id"],
        "next run (UTC)": lambda r: r["next_run"] or "not scheduled (start `pressmon run`)",
        "interval": lambda r: r["interval"] or (f"cron {r['cron']}" if r["cron"] else ""),
        "last run": lambda r: _last(r["last_run"]),
    }
    from pressmon import report

    report.show_table(app.out, rows, columns, "no jobs")


def _last(run: dict[str, Any] | None) -> str:
    if run is None:
        return "never"
    counts = f" new {run['new']} revised {run['revised']}" if "new" in run else ""
    error = f" {run['error_text'].splitlines()[0]}" if run.get("error_text") else ""
    return f"{run['status']} {run['finished'] or run.get('started') or ''}{counts}{error}"


COMMANDS: list[click.Command] = [run_cmd, schedule_cmd]
