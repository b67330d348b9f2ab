"""The scheduler: job specs and adaptive intervals as plain values, then `pressmon run` for real.

The end-to-end tests run `pressmon run` as a subprocess against the sample
newsroom, with real crawl subprocesses, and poll the database with deadlines.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from crawler.sources import Schedule, Source
from samplesite import SampleSite
from scheduler import history
from scheduler.adaptive import RunSummary, effective_interval
from scheduler.runner import run_command, run_crawl
from scheduler.settings import SchedulerSettings
from scheduler.specs import job_specs
from store import Store
from tests.conftest import Cli, database_url, sqlite_only, write_config

HOUR = 3600
WAIT = 25  # seconds any one condition may take before the test fails


# -- adaptive interval: a pure function of the recent runs -------------------------------------
def ok(new: int = 0, revised: int = 0) -> RunSummary:
    return RunSummary("ok", new, revised)


FAILED = RunSummary("failed")
STORE_FAILED = RunSummary("failed", store_fault=True)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], HOUR),
        ([ok(new=3)], HOUR),
        ([ok(new=3), ok(revised=1)], HOUR / 2),
        ([ok(new=1), ok(new=1), ok(new=1), ok(new=1)], HOUR / 4),  # capped at min_every
        ([ok()], HOUR),
        ([ok(), ok()], 2 * HOUR),
        ([ok(), ok(), ok(), ok(new=5)], 4 * HOUR),
        ([ok(), ok(), ok(), ok(), ok(), ok()], 4 * HOUR),  # capped at max_every
        ([ok(new=2), ok(), ok()], HOUR),  # news again: back to the configured interval
        ([FAILED], 2 * HOUR),
        ([FAILED, RunSummary("timeout")], 4 * HOUR),
        ([FAILED] * 10, 4 * HOUR),  # backs off exponentially, up to max_every
        ([ok(new=1), FAILED, FAILED], HOUR),  # one good run ends the back-off
        ([RunSummary("stopped"), RunSummary("running"), ok(), ok()], 2 * HOUR),
        # page errors beside fetched pages are not a failed crawl; errors alone are
        ([ok(), RunSummary("errors", pages=5), ok()], 4 * HOUR),
        ([RunSummary("errors", pages=0), RunSummary("errors", pages=0), ok()], 4 * HOUR),
        ([RunSummary("errors", pages=0), ok(), ok()], 2 * HOUR),
        ([RunSummary("killed"), ok(), ok()], 2 * HOUR),  # a killed run says nothing of the site
        # a run the store failed says nothing of the site either: no back-off
        ([STORE_FAILED], HOUR),
        ([STORE_FAILED, STORE_FAILED, ok(new=3), ok(revised=1)], HOUR / 2),
        ([STORE_FAILED, FAILED], 2 * HOUR),
    ],
)
def test_effective_interval_follows_recent_runs(history: list[RunSummary], expected: float) -> None:
    assert effective_interval(HOUR, (HOUR / 4, 4 * HOUR), history) == expected


def test_schedule_bounds_default_and_validate() -> None:
    assert Schedule(every="6h").bounds == (90 * 60, 24 * HOUR)
    assert Schedule(every="1s").bounds == (1, 4)
    assert Schedule(every="1h", min_every="10m", max_every="1d").bounds == (600, 86400)
    with pytest.raises(ValidationError, match="min_every <= every <= max_every"):
        Schedule(every="1h", min_every="2h")
    with pytest.raises(ValidationError, match="cron schedule is fixed"):
        Schedule(cron="0 7 * * *", max_every="1d")
    with pytest.raises(ValidationError, match="must look like"):
        Schedule(every="1h", max_every="soon")


# -- job specs from config ---------------------------------------------------------------------
def _source(name: str, enabled: bool = True, **schedule: Any) -> Source:
    return Source(
        name=name,
        kind="feed",
        start_urls=("http://127.0.0.1:9/rss",),
        schedule=Schedule(**schedule),
        enabled=enabled,
    )


def test_job_specs_one_per_enabled_source_and_a_digest() -> None:
    settings = SchedulerSettings(misfire_grace=60)
    sources = [
        _source("wire", every="1h", timezone="Asia/Hong_Kong", jitter=30),
        _source("blog", cron="0 */6 * * *"),
        _source("old", enabled=False, every="1h"),
    ]
    specs = {s.id: s for s in job_specs(sources, Schedule(cron="0 7 * * *"), settings)}
    assert list(specs) == ["crawl:wire", "crawl:blog", "digest"]
    wire, blog, digest = specs.values()
    assert (wire.every, wire.bounds, wire.jitter, wire.timezone) == (
        HOUR,
        (HOUR // 4, 4 * HOUR),
        30,
        "Asia/Hong_Kong",
    )
    assert wire.adaptive and wire.misfire_grace == 60
    assert blog.cron == "0 */6 * * *" and not blog.adaptive  # cron stays as written
    assert digest.kind == "digest" and not digest.adaptive
    slower = job_specs([_source("wire", every="2h")], Schedule(cron="0 7 * * *"), settings)
    assert slower[0].signature != wire.signature  # a changed schedule reschedules the job


# -- running one job: timeout and stop, with time injected -------------------------------------
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_command_past_its_timeout_is_stopped() -> None:
    ticks = iter([0.0, 0.0, 5.0])  # started, first look, then the clock jumps past the timeout
    started = time.monotonic()
    finished = run_command(
        SLEEPER, timeout=1, stop=threading.Event(), stop_after=2, clock=lambda: next(ticks, 99.0)
    )
    assert finished.ending == "timeout"
    assert finished.exit_code == -signal.SIGTERM
    assert time.monotonic() - started < 10


def test_a_stop_request_ends_a_command() -> None:
    stop = threading.Event()
    stop.set()
    finished = run_command(SLEEPER, timeout=60, stop=stop, stop_after=2)
    assert finished.ending == "stopped"


def test_a_crawl_that_cannot_start_is_recorded_as_failed(tmp_path: Path) -> None:
    db_url = database_url(tmp_path)
    store = Store(db_url)
    outcome = run_crawl(
        "wire",
        store=store,
        config_path=str(tmp_path / "missing.yaml"),
        db_url=db_url,
        timeout=60,
        stop=threading.Event(),
        stop_after=2,
    )
    assert outcome.status == "failed" and outcome.exit_code == 1
    assert "no config file" in (outcome.error_text or "")
    assert "\n" not in (outcome.error_text or "")  # one line for the record, never a traceback
    assert _runs(db_url) == [("wire", "failed", outcome.started, outcome.finished)]
    store.close()


@sqlite_only
def test_a_crawl_the_store_refused_is_one_line_and_no_back_off(tmp_path: Path) -> None:
    """The database is locked past the crawl's busy timeout: a store error, not a failing site."""
    db_url = database_url(tmp_path)
    store = Store(db_url)
    with SampleSite() as site:
        config = write_config(tmp_path / "config.yaml", site.base_url)
        locker = sqlite3.connect(
            db_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
        )
        locker.execute("BEGIN IMMEDIATE")  # another writer holds the database

        def release_when_done(proc: subprocess.Popen[bytes]) -> None:
            def wait_then_release() -> None:
                proc.wait()
                locker.execute("ROLLBACK")

            threading.Thread(target=wait_then_release).start()

        outcome = run_crawl(
            "wire",
            store=store,
            config_path=str(config),
            db_url=db_url,
            timeout=120,
            stop=threading.Event(),
            stop_after=2,
            on_start=release_when_done,
        )
        locker.close()
    assert outcome.status == "failed" and outcome.exit_code == 1
    error = outcome.error_text or ""
    assert error.startswith("store error: ") and "locked" in error and "\n" not in error, error
    with store.session() as session:
        runs = history.recent_runs(session, "wire", 8)
    assert [r.store_fault for r in runs] == [True]
    assert effective_interval(HOUR, (HOUR / 4, 4 * HOUR), runs) == HOUR  # not backed off
    store.close()


# -- `pressmon run` for real -------------------------------------------------------------------
def _config(
    tmp_path: Path,
    site: SampleSite,
    schedules: dict[str, dict[str, Any]],
    digest: dict[str, Any] | None = None,
    **scheduler: Any,
) -> Path:
    path = write_config(tmp_path / "config.yaml", site.base_url, timeout=5, retries=0)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"] = [
        {**s, "schedule": schedules[s["name"]]} for s in data["sources"] if s["name"] in schedules
    ]
    data["scheduler"] = {"shutdown_grace": 10, "stop_after": 3, **scheduler}
    data["digest"] = {"schedule": digest or {"cron": "0 7 1 1 *"}, "folder": str(tmp_path)}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _cli(tmp_path: Path, config: Path) -> Cli:
    return Cli(config=config, db_url=database_url(tmp_path), cwd=tmp_path)


def _sql(db_url: str, query: str) -> list[tuple[Any, ...]]:
    """Rows of `query`, read as another process would; [] while its table does not exist."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(query.split(" FROM ")[1].split()[0]):
                return []
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def _runs(db_url: str) -> list[tuple[Any, ...]]:
    from datetime import datetime

    rows = _sql(db_url, "SELECT source, status, started, finished FROM crawl_run ORDER BY id")
    # SQLite hands back text, PostgreSQL datetimes
    parse = lambda v: v and (v if isinstance(v, datetime) else datetime.fromisoformat(v))  # noqa: E731
    return [(s, status, parse(a), parse(b)) for s, status, a, b in rows]


def _wait(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        pause.wait(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Running:
    """A `pressmon run` process whose log lands in a file."""

    def __init__(self, cli: Cli, **env_vars: str) -> None:
        self.log = cli.cwd / f"run-{time.monotonic_ns()}.log"
        env = {**os.environ, "PRESSMON_CONFIG": str(cli.config), "PRESSMON_DB": cli.db_url}
        env |= env_vars
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pressmon", "run"],
                cwd=cli.cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


@contextmanager
def running(cli: Cli, **env_vars: str) -> Iterator[Running]:
    run = Running(cli, **env_vars)
    try:
        yield run
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait(timeout=10)


def _finished(db_url: str, source: str, count: int) -> list[tuple[Any, ...]] | None:
    done = [r for r in _runs(db_url) if r[0] == source and r[3] is not None]
    return done if len(done) >= count else None


def test_run_crawls_each_source_on_its_interval(tmp_path: Path, site: SampleSite) -> None:
    every_second = {"every": "1s", "min_every": "1s", "max_every": "1s"}
    config = _config(tmp_path, site, {"wire": every_second}, digest={"every": "1s"})
    cli = _cli(tmp_path, config)
    with running(cli) as run:
        done = _wait(lambda: _finished(cli.db_url, "wire", 2), "two finished crawls of wire")
        assert run.stop(timeout=20) == 0
    assert [status for _, status, *_ in done[:2]] == ["ok", "ok"]
    rows = _sql(cli.db_url, "SELECT new, unchanged FROM crawl_run WHERE source='wire' ORDER BY id")
    assert rows[0][0] > 0 and rows[1] == (0, rows[0][0])  # found, then seen again unchanged
    log = run.text()
    # the digest ran and did not stop us
    assert re.search(r"digest: (digest \d+:|nothing new|failed)", log), log
    assert "Traceback" not in log


def test_a_crawl_longer_than_its_interval_never_overlaps(tmp_path: Path, site: SampleSite) -> None:
    site.delay = 0.3  # each request takes 0.3 s: a crawl lasts well over its 1 s interval
    every_second = {"every": "1s", "min_every": "1s", "max_every": "1s"}
    cli = _cli(tmp_path, _config(tmp_path, site, {"wire": every_second}))
    with running(cli) as run:
        _wait(lambda: _finished(cli.db_url, "wire", 2), "two finished crawls of wire")
        _wait(lambda: "crawl:wire: skipped" in run.text(), "a skipped run in the log")
        assert run.stop(timeout=30) == 0
    runs = [r for r in _runs(cli.db_url) if r[0] == "wire"]
    for earlier, later in itertools.pairwise(runs):
        assert earlier[3] is not None and earlier[3] <= later[2], (earlier, later)


def test_sigterm_during_a_crawl_exits_zero_and_records_it(tmp_path: Path, site: SampleSite) -> None:
    site.delay = 3  # a crawl that cannot finish within the grace
    config = _config(tmp_path, site, {"wire": {"every": "1h"}}, shutdown_grace=1, stop_after=3)
    cli = _cli(tmp_path, config)
    with running(cli) as run:
        _wait(lambda: [r for r in _runs(cli.db_url) if r[1] == "running"], "a running crawl")
        started = time.monotonic()
        assert run.stop(timeout=20) == 0
        took = time.monotonic() - started
    assert took < 1 + 3 + 5  # the grace, SIGTERM to SIGKILL, and a margin
    [(source, status, _, finished)] = _runs(cli.db_url)
    assert (source, status) == ("wire", "stopped") and finished is not None
    assert "stopping" in run.text()


def _job_ids(db_url: str) -> list[str]:
    return sorted(row[0] for row in _sql(db_url, "SELECT id FROM apscheduler_jobs"))


def _start_and_stop(cli: Cli, expected: list[str]) -> None:
    with running(cli) as run:
        _wait(lambda: "next at" in run.text(), "the jobs to be scheduled")
        assert run.stop(timeout=20) == 0
    assert _job_ids(cli.db_url) == expected


def test_a_restart_with_an_edited_config_updates_jobs_without_duplicates(
    tmp_path: Path, site: SampleSite
) -> None:
    hourly = {"cron": "0 * * * *"}  # cron: nothing runs during the test
    config = _config(tmp_path, site, {"wire": hourly, "blog": hourly, "newsroom": hourly})
    cli = _cli(tmp_path, config)
    unstored = cli.json("schedule")  # no `pressmon run` yet: configured, not stored
    assert {(j["id"], j["in_config"], j["stored"]) for j in unstored} == {
        (job_id, True, False) for job_id in ("crawl:blog", "crawl:newsroom", "crawl:wire", "digest")
    }
    _start_and_stop(cli, ["crawl:blog", "crawl:newsroom", "crawl:wire", "digest"])
    before = {job["id"]: job for job in cli.json("schedule")}
    assert all(job["in_config"] and job["stored"] for job in before.values()), before

    edited = {"wire": {"cron": "30 */2 * * *"}, "newsroom": hourly, "sitemap": {"every": "6h"}}
    _config(tmp_path, site, edited, shutdown_grace=0)
    _start_and_stop(cli, ["crawl:newsroom", "crawl:sitemap", "crawl:wire", "digest"])
    after = {job["id"]: job for job in cli.json("schedule")}

    assert len(after) == 4
    assert after["crawl:newsroom"]["next_run"] == before["crawl:newsroom"]["next_run"]  # kept
    assert "30 */2" in after["crawl:wire"]["schedule"]
    assert after["crawl:wire"]["next_run"].endswith(":30:00")
    assert after["crawl:sitemap"]["interval_seconds"] == 6 * HOUR
    assert after["crawl:sitemap"]["last_run"]["status"] in {"stopped", "ok"}  # new: ran at once


def test_run_logs_what_the_digest_did_in_utc_throughout(tmp_path: Path, site: SampleSite) -> None:
    """A digest with news says where it went; an empty period says nothing was sent. The log
    states one time zone, UTC, on every line, though the jobs and the machine use HKT."""
    hkt_cron = {"cron": "0 7 1 1 *", "timezone": "Asia/Hong_Kong"}  # runs in no test
    config = _config(
        tmp_path, site, {"wire": hkt_cron}, digest={"every": "2s", "timezone": "Asia/Hong_Kong"}
    )
    cli = _cli(tmp_path, config)
    cli("crawl", "--source", "wire")  # news for the first digest
    with running(cli, TZ="Asia/Hong_Kong") as run:
        _wait(lambda: "nothing new" in run.text(), "a digest of an empty period", timeout=40)
        assert run.stop(timeout=20) == 0
    log = run.text()
    digests = [line for line in log.splitlines() if "digest: " in line and "skipped" not in line]
    assert re.search(r"digest: digest 1: \d+ flag\(s\).* folder \S+: sent", digests[0]), log
    assert "nothing sent" in digests[1], log
    assert "digest: sent" not in log and "Traceback" not in log
    now = datetime.now(UTC).replace(tzinfo=None)
    for line in log.splitlines():
        stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
        assert line[23:28] == " UTC " and abs((now - stamp).total_seconds()) < 300, line
    next_runs = [line for line in log.splitlines() if " next at " in line]
    assert next_runs and all(re.search(r"next at [\d-]+ [\d:]+ UTC:", n) for n in next_runs), log
    assert "+08:00" not in log
