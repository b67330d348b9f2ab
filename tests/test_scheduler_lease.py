"""One scheduler per store, and each scheduled crawl credited with the run it started.

Real `pressmon run` and `pressmon crawl` subprocesses against the sample site, on the
suite's backend.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from samplesite import SampleSite
from scheduler.runner import run_crawl
from store import Store
from store import queries as q
from store import writes as w
from store.clock import now
from store.lease import SCHEDULER
from tests.conftest import Cli, database_url, write_config

WAIT = 30


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def config(tmp_path: Path, site: SampleSite, **scheduler: Any) -> Path:
    path = write_config(tmp_path / "config.yaml", site.base_url, timeout=5, retries=0)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"] = [
        {**s, "schedule": {"cron": "0 * * * *"}} for s in data["sources"] if s["name"] == "wire"
    ]
    data["scheduler"] = {"shutdown_grace": 5, "stop_after": 3, **scheduler}
    data["digest"] = {"schedule": {"cron": "0 7 1 1 *"}, "folder": str(tmp_path)}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@contextmanager
def scheduler(cli: Cli) -> Iterator[subprocess.Popen[bytes]]:
    """`pressmon run` in the background, its log in a file; killed if the test leaves it."""
    log = cli.cwd / f"run-{time.monotonic_ns()}.log"
    env = {**os.environ, "PRESSMON_CONFIG": str(cli.config), "PRESSMON_DB": cli.db_url}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pressmon", "run"],
            cwd=cli.cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proc.log = log  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def scheduling(proc: subprocess.Popen[bytes]) -> bool:
    return "next at" in proc.log.read_text(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]


def scheduler_lease(store: Store) -> Any:
    with store.session() as session:
        return q.lease(session, SCHEDULER)


def test_a_second_scheduler_on_one_store_is_refused(tmp_path: Path, site: SampleSite) -> None:
    cli = Cli(config(tmp_path, site), database_url(tmp_path), tmp_path)
    store = cli.store()
    try:
        with scheduler(cli) as first:
            wait_for("the first scheduler to run", lambda: scheduling(first))
            second = cli("run", check=False)
            assert second.returncode != 0
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1, second.stderr
            assert "another scheduler" in lines[0] and f"pid {first.pid}" in lines[0]
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=WAIT) == 0
        assert scheduler_lease(store) is None  # a clean stop frees the store at once
        with scheduler(cli) as third:
            wait_for("the next scheduler to run", lambda: scheduling(third))
            third.send_signal(signal.SIGTERM)
            assert third.wait(timeout=WAIT) == 0
    finally:
        store.close()


def test_a_killed_schedulers_store_is_taken_over_once_its_heartbeat_stops(
    tmp_path: Path, site: SampleSite
) -> None:
    cli = Cli(config(tmp_path, site, lease_timeout=2), database_url(tmp_path), tmp_path)
    store = cli.store()
    try:
        with scheduler(cli) as first:
            wait_for("the first scheduler to run", lambda: scheduling(first))
            first.kill()
            first.wait(timeout=WAIT)
        held = scheduler_lease(store)
        assert held is not None and f"pid {first.pid}" in held.holder  # left behind
        wait_for(
            "its heartbeat to go stale",
            lambda: (now() - scheduler_lease(store).heartbeat).total_seconds() > 2.5,
        )
        with scheduler(cli) as second:
            wait_for("the next scheduler to take the store", lambda: scheduling(second))
            assert f"pid {second.pid}" in scheduler_lease(store).holder
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=WAIT) == 0
    finally:
        store.close()


def test_a_scheduled_crawl_is_credited_with_the_run_it_started(
    tmp_path: Path, site: SampleSite
) -> None:
    """Another run of the source recorded meanwhile (another writer) is not taken for ours."""
    db_url = database_url(tmp_path)
    store = Store(db_url)
    other: list[int] = []

    def record_another_run_once_ours_started(proc: subprocess.Popen[bytes]) -> None:
        def later() -> None:
            with store.session() as session:
                first_id = q.last_run_id(session)
            wait_for("the crawl's own run", lambda: _newer_run(store, first_id))
            with store.session() as session:
                stamp = now()
                other.append(w.record_run(session, "wire", stamp, stamp, "failed", "elsewhere"))

        threading.Thread(target=later, daemon=True).start()

    try:
        outcome = run_crawl(
            "wire",
            store=store,
            config_path=str(config(tmp_path, site)),
            db_url=db_url,
            timeout=60,
            stop=threading.Event(),
            stop_after=2,
            on_start=record_another_run_once_ours_started,
        )
        wait_for("the other run", lambda: other)
        assert outcome.status == "ok" and outcome.run_id is not None
        assert outcome.run_id < other[0]  # the newest run of wire is not the one we started
        assert outcome.counts["new"] == 2
    finally:
        store.close()


def _newer_run(store: Store, after: int) -> bool:
    with store.session() as session:
        return q.last_run_id(session) > after


def test_a_scheduled_crawl_of_a_source_crawled_by_hand_is_refused_and_records_nothing(
    tmp_path: Path, site: SampleSite
) -> None:
    site.delay = 0.5  # the hand-started crawl is still going when the scheduler's starts
    db_url = database_url(tmp_path)
    path = config(tmp_path, site)
    store = Store(db_url)
    env = {**os.environ, "PRESSMON_CONFIG": str(path), "PRESSMON_DB": db_url}
    by_hand = subprocess.Popen(
        [sys.executable, "-m", "pressmon", "crawl", "--source", "wire"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for("the hand-started run", lambda: _newer_run(store, 0))
        with store.session() as session:
            hand_id = q.last_run_id(session)
        outcome = run_crawl(
            "wire",
            store=store,
            config_path=str(path),
            db_url=db_url,
            timeout=60,
            stop=threading.Event(),
            stop_after=2,
        )
        assert (outcome.status, outcome.run_id) == ("refused", None)
        assert f"crawl run {hand_id}" in (outcome.error_text or "")
        assert by_hand.wait(timeout=120) == 0
        with store.session() as session:
            assert [(r.id, r.status) for r in q.last_runs(session)] == [(hand_id, "ok")]
    finally:
        if by_hand.poll() is None:
            by_hand.kill()
            by_hand.wait()
        store.close()
