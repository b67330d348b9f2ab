"""A killed crawl is closed honestly: its record counts what it stored, then says `killed`.

Real `pressmon crawl` subprocesses against the sample site, killed with SIGKILL together with
their cleaning workers; the next crawl closes the run and stores the rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from samplesite import SampleSite
from store import Store
from store import queries as q
from store.clock import now
from store.lease import crawl_lease
from tests.conftest import ROOT, Cli, database_url, write_config

LEASE_TIMEOUT = 2  # seconds without a heartbeat before a crawl counts as killed


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start_crawl(cli: Cli, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PRESSMON_CONFIG": str(cli.config), "PRESSMON_DB": cli.db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "pressmon", "crawl", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the crawl and its workers
    )


def children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (the crawl's cleaning workers)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def runs_and_articles(store: Store) -> tuple[list[Any], int]:
    with store.session() as session:
        runs = sorted(q.last_runs(session, 100), key=lambda r: r.id)
        return runs, len(q.list_articles(session, limit=None))


@pytest.fixture
def slow_site() -> Any:
    with SampleSite(edition=1, delay=0.4) as running:
        yield running


def slow_cli(site: SampleSite, tmp_path: Path, **crawl: Any) -> Cli:
    config = write_config(
        tmp_path / "config.yaml",
        site.base_url,
        concurrency_per_domain=1,
        lease_timeout=LEASE_TIMEOUT,
        **crawl,
    )
    return Cli(config=config, db_url=database_url(tmp_path), cwd=tmp_path)


def test_a_killed_crawl_is_closed_as_killed_with_what_it_stored(
    slow_site: SampleSite, tmp_path: Path
) -> None:
    cli = slow_cli(slow_site, tmp_path, clean_workers=2)
    store = cli.store()
    try:
        crawl = start_crawl(cli, "--source", "sitemap")
        wait_for("three stored articles", lambda: runs_and_articles(store)[1] >= 3)
        workers = children(crawl.pid)
        assert workers, "the crawl cleans in worker processes"
        os.killpg(crawl.pid, signal.SIGKILL)
        crawl.communicate()
        wait_for("the workers to die", lambda: not any(alive(pid) for pid in workers), 10)

        runs, stored = runs_and_articles(store)
        [killed] = runs
        assert killed.status == "running"  # nobody closed it yet
        assert killed.new == stored > 0  # its counters are what it committed
        assert killed.pages >= killed.new

        # The heartbeat stopped: once the lease is stale, the next crawl (of another source)
        # closes the run as killed, leaving its counters as they were.
        def lease_stale() -> bool:
            with store.session() as session:
                held = q.lease(session, crawl_lease("sitemap"))
                return held is not None and (now() - held.heartbeat).total_seconds() > (
                    LEASE_TIMEOUT + 0.5
                )

        wait_for("the killed crawl's lease to go stale", lease_stale, 30)
        cli("crawl", "--source", "wire")
        with store.session() as session:
            [closed] = q.runs(session, [killed.id])
            assert closed.status == "killed"
            assert (closed.new, closed.pages) == (killed.new, killed.pages)
            assert closed.finished is not None and "killed" in (closed.error_text or "")

        # The sitemap crawl that follows stores the pages the killed one never reached.
        cli("crawl", "--source", "sitemap")
        runs, _ = runs_and_articles(store)
        sitemap_runs = [r for r in runs if r.source == "sitemap"]
        assert [r.status for r in sitemap_runs] == ["killed", "ok"]
        with store.session() as session:
            from_sitemap = len(q.list_articles(session, source="sitemap", limit=None))
        assert sum(r.new for r in sitemap_runs) == from_sitemap
        assert sitemap_runs[1].new > 0
    finally:
        store.close()


def test_a_second_crawl_of_a_source_being_crawled_is_refused_naming_the_run(
    slow_site: SampleSite, tmp_path: Path
) -> None:
    cli = slow_cli(slow_site, tmp_path)
    store = cli.store()
    try:
        first = start_crawl(cli, "--source", "sitemap")
        [running] = wait_for("the first crawl's run", lambda: runs_and_articles(store)[0])
        second = cli("crawl", "--source", "sitemap", check=False)
        assert second.returncode != 0
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert "source sitemap" in lines[0] and f"crawl run {running.id}" in lines[0]
        # Another source is not held: it is crawled meanwhile.
        cli("crawl", "--source", "wire")
        _out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        runs, _ = runs_and_articles(store)
        assert [(r.source, r.status) for r in runs] == [("sitemap", "ok"), ("wire", "ok")]
        # The lease went with the crawl: the source can be crawled again at once.
        cli("crawl", "--source", "sitemap")
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.communicate()
        store.close()
