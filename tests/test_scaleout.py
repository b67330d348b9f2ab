"""Several crawl workers sharing one frontier on a real Redis, storing into real PostgreSQL.

The scale-out crawl is for PostgreSQL (one store many processes write at once), so these
tests run in the PostgreSQL half of the suite and skip on SQLite; there they need Debian's
`redis-server` (tests/redis_server.py starts a private one). A plain crawl of the same
sample newsroom, in one process, is the reference for what the workers must store.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from samplesite import SampleSite
from samplesite.render import Redirect, Resource
from store import Store
from tests import redis_server
from tests.conftest import BACKEND, Cli, database_url, write_config

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql",
    reason="scale-out workers share a PostgreSQL store: run with PRESSMON_TEST_DB=postgresql",
)

WORKER_TIMEOUT = 240


def stored_ids(url: str) -> set[int]:
    from store import queries as q

    store = Store(url)
    try:
        with store.session() as session:
            return {a.id for a in q.list_articles(session, limit=10_000)}
    finally:
        store.close()


def stored(url: str) -> dict[str, tuple[int, int | None]]:
    """url -> (versions, cluster id) of every stored article."""
    from store import queries as q

    store = Store(url)
    try:
        with store.session() as session:
            articles = q.list_articles(session, limit=10_000)
            return {a.url: (len(a.versions), a.cluster_id) for a in articles}
    finally:
        store.close()


def until_some_stored(worker: subprocess.Popen[str], url: str) -> None:
    """Wait until the running worker has committed a few articles, most not yet."""
    deadline = time.monotonic() + 120
    while len(stored(url)) < 3:
        assert worker.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)


def versions(articles: dict[str, tuple[int, int | None]]) -> dict[str, int]:
    return {url: count for url, (count, _cluster) in articles.items()}


def clusters(articles: dict[str, tuple[int, int | None]], base: str) -> set[frozenset[str]]:
    """The syndication clusters as sets of URL paths (ids differ between stores)."""
    groups: dict[int, set[str]] = {}
    for url, (_versions, cluster) in articles.items():
        if cluster is not None:
            groups.setdefault(cluster, set()).add(url.removeprefix(base))
    return {frozenset(g) for g in groups.values()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, int | None]]:
    """What one plain `pressmon crawl` of edition 1 stores, by URL path."""
    tmp = tmp_path_factory.mktemp("reference")
    with SampleSite() as site:
        cli = Cli(write_config(tmp / "config.yaml", site.base_url), database_url(tmp), tmp)
        cli("crawl")
        return {url.removeprefix(site.base_url): value for url, value in stored(cli.db_url).items()}


class Workers:
    """`pressmon crawl --worker` subprocesses on one config and store."""

    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.procs: list[subprocess.Popen[str]] = []

    def start(self) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "PRESSMON_CONFIG": str(self.cli.config),
            "PRESSMON_DB": self.cli.db_url,
            "COLUMNS": "200",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "pressmon", "crawl", "--worker"],
            cwd=self.cli.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        return proc

    @staticmethod
    def finish(proc: subprocess.Popen[str]) -> str:
        out, err = proc.communicate(timeout=WORKER_TIMEOUT)
        assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{out}\n{err}"
        return out

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.fixture
def workers() -> Iterator[Workers]:
    made: list[Workers] = []

    def make(cli: Cli) -> Workers:
        made.append(Workers(cli))
        return made[-1]

    yield make  # type: ignore[misc]
    for group in made:
        group.stop_all()


def frontier_cli(tmp_path: Path, site: SampleSite, **crawl: object) -> Cli:
    config = write_config(
        tmp_path / "config.yaml", site.base_url, frontier=redis_server.new_url(), **crawl
    )
    return Cli(config, database_url(tmp_path), tmp_path)


def test_two_workers_store_every_article_once_and_fetch_every_page_once(
    tmp_path: Path, reference: dict[str, tuple[int, int | None]], workers: object
) -> None:
    with SampleSite() as site:
        site.delay = 0.05  # downloads overlap, so the shared per-domain limit is exercised
        cli = frontier_cli(tmp_path, site, worker_idle=3, concurrency_per_domain=2)
        seeded = cli("crawl", "--seed")
        assert "queued 7 start requests of 7 sources" in seeded.stdout
        before = json.loads(cli("crawl", "--status", "--json").stdout)
        assert before["queued"] == 7 and before["workers"] == []

        group = workers(cli)  # type: ignore[operator]
        first, second = group.start(), group.start()
        outputs = [group.finish(first), group.finish(second)]
        requests = Counter((r.method, r.path) for r in site.requests)
        in_flight = site.max_in_flight
        base = site.base_url

    articles = {url.removeprefix(base): value for url, value in stored(cli.db_url).items()}
    assert set(articles) == set(reference)  # every article the one-process crawl stores
    assert versions(articles) == versions(reference)  # each stored once (headlines: no text)
    assert clusters(articles, "") == clusters(reference, "")  # the copies form one cluster
    assert len(clusters(articles, "")) >= 1

    robots = requests.pop(("GET", "/robots.txt"), 0)
    assert 1 <= robots <= 2  # each worker reads robots.txt once
    assert requests and max(requests.values()) == 1, [k for k, n in requests.items() if n > 1]
    assert in_flight <= 2  # concurrency_per_domain holds across both workers

    assert all("source" in out for out in outputs)  # each prints the crawl summary
    after = json.loads(cli("crawl", "--status", "--json").stdout)
    assert after["queued"] == 0
    assert len(after["workers"]) == 2
    assert all(w["taken"] == 0 and w["last_heartbeat"] for w in after["workers"])


def test_a_worker_killed_mid_crawl_loses_nothing(
    tmp_path: Path, reference: dict[str, tuple[int, int | None]], workers: object
) -> None:
    with SampleSite() as site:
        site.delay = 0.3  # slow enough to be killed with requests taken and unfinished
        cli = frontier_cli(tmp_path, site, worker_idle=6, lease_timeout=2, concurrency_per_domain=4)
        cli("crawl", "--seed")
        group = workers(cli)  # type: ignore[operator]
        doomed = group.start()
        until_some_stored(doomed, cli.db_url)
        status = json.loads(cli("crawl", "--status", "--json").stdout)
        held = sum(w["taken"] for w in status["workers"])
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate()
        kept = stored_ids(cli.db_url)  # ids: a headline kept may move to its article's URL

        site.delay = 0
        out = group.finish(group.start())
        base = site.base_url

    articles = {url.removeprefix(base): value for url, value in stored(cli.db_url).items()}
    assert kept <= stored_ids(cli.db_url)  # nothing committed is lost
    assert set(articles) == set(reference)  # and nothing it had taken
    assert versions(articles) == versions(reference)
    assert clusters(articles, "") == clusters(reference, "")
    assert held > 0  # it died holding requests it had taken
    assert "source" in out
    after = json.loads(cli("crawl", "--status", "--json").stdout)
    assert after["queued"] == 0
    assert sum(w["taken"] for w in after["workers"]) == 0


def test_a_worker_stopped_with_sigterm_gives_back_what_it_holds_and_prints_its_summary(
    tmp_path: Path, reference: dict[str, tuple[int, int | None]], workers: object
) -> None:
    with SampleSite() as site:
        site.delay = 0.3  # slow enough to be stopped with requests taken and unfinished
        cli = frontier_cli(tmp_path, site, worker_idle=30, concurrency_per_domain=4)
        cli("crawl", "--seed")
        group = workers(cli)  # type: ignore[operator]
        stopped = group.start()
        until_some_stored(stopped, cli.db_url)
        asked = time.monotonic()
        stopped.send_signal(signal.SIGTERM)
        out = group.finish(stopped)  # exits 0, long before its 30 s of idling
        took = time.monotonic() - asked
        status = json.loads(cli("crawl", "--status", "--json").stdout)
        runs = stored_runs(cli.db_url)

        site.delay = 0
        group.finish(group.start())
        base = site.base_url

    assert took < 20
    assert "source" in out  # the crawl summary
    assert runs and {status for _source, status in runs} == {"stopped"}
    assert sum(w["taken"] for w in status["workers"]) == 0  # nothing held back
    assert status["queued"] > 0  # what it had not done waits for the next worker
    articles = {url.removeprefix(base): value for url, value in stored(cli.db_url).items()}
    assert set(articles) == set(reference)  # and the next worker did it
    assert versions(articles) == versions(reference)
    assert clusters(articles, "") == clusters(reference, "")


def test_per_domain_limits_hold_across_workers(tmp_path: Path, workers: object) -> None:
    """One download at a time on the domain and `download_delay` between starts, though
    each of the two workers would allow that much on its own."""
    with SampleSite() as site:
        site.delay = 0.1
        cli = frontier_cli(
            tmp_path, site, worker_idle=3, concurrency_per_domain=1, download_delay=0.25
        )
        cli("crawl", "--seed", "--source", "newsroom", "--source", "wire", "--source", "blog")
        group = workers(cli)  # type: ignore[operator]
        first, second = group.start(), group.start()
        outputs = [group.finish(first), group.finish(second)]
        in_flight = site.max_in_flight
        starts = sorted(r.at for r in site.requests)

    assert all("source" in out for out in outputs)
    assert len(starts) > 10
    assert in_flight == 1
    # The server logs a request as it answers, so a slow first render can shorten one gap:
    # nine gaps in ten must still show the domain's delay, whichever worker asked.
    gaps = sorted(b - a for a, b in itertools.pairwise(starts))
    assert gaps[len(gaps) // 10] >= 0.25 * 0.9


def test_the_web_app_shows_what_crawl_status_shows(tmp_path: Path) -> None:
    from tests.test_frontier_cli import _frontier_api

    with SampleSite() as site:
        cli = frontier_cli(tmp_path, site)
        cli("crawl", "--seed", "--source", "wire")
        shown = json.loads(cli("crawl", "--status", "--json").stdout)
        status, served = _frontier_api(cli)
    assert status == 200 and served == shown
    assert served["queued"] == 1 and served["workers"] == []


def test_the_scheduler_seeds_the_frontier_instead_of_crawling(
    tmp_path: Path, workers: object
) -> None:
    with SampleSite() as site:
        cli = frontier_cli(tmp_path, site, worker_idle=2)
        data = yaml.safe_load(cli.config.read_text(encoding="utf-8"))
        every = {"every": "1s", "min_every": "1s", "max_every": "1s"}
        data["sources"] = [{**s, "schedule": every} for s in data["sources"] if s["name"] == "wire"]
        data["digest"] = {"schedule": {"cron": "0 7 1 1 *"}, "folder": str(tmp_path)}
        cli.config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        env = {**os.environ, "PRESSMON_CONFIG": str(cli.config), "PRESSMON_DB": cli.db_url}
        log = tmp_path / "run.log"
        with log.open("wb") as out:
            scheduler = subprocess.Popen(
                [sys.executable, "-m", "pressmon", "run"],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 120
            while "crawl:wire: seeded the frontier" not in log.read_text(errors="replace"):
                assert scheduler.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
            queued = json.loads(cli("crawl", "--status", "--json").stdout)["queued"]
            runs_by_scheduler = stored_runs(cli.db_url)
        finally:
            scheduler.send_signal(signal.SIGTERM)
            assert scheduler.wait(timeout=60) == 0
        fetched_by_scheduler = [r.path for r in site.requests]

        group = workers(cli)  # type: ignore[operator]
        out = group.finish(group.start())

    assert queued >= 1  # the wire's start request, waiting for a worker
    assert runs_by_scheduler == [] and fetched_by_scheduler == []  # it crawled nothing itself
    assert "Traceback" not in log.read_text(errors="replace")
    assert "wire" in out and stored_runs(cli.db_url) == [("wire", "ok")]
    assert stored(cli.db_url)  # the worker stored the wire's articles


def stored_runs(url: str) -> list[tuple[str, str]]:
    from store import queries as q

    store = Store(url)
    try:
        with store.session() as session:
            return [(r.source, r.status) for r in q.last_runs(session, 100)]
    finally:
        store.close()


def _moved_site(path: str, _query: str, base: str) -> Resource | Redirect | None:
    """A sitemap naming one old address, which now redirects to an article nothing links."""
    if path == "/sitemap.xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{base}/old-address</loc></url></urlset>"
        )
        return Resource(body.encode(), "application/xml")
    if path == "/old-address":
        return Redirect(f"{base}/news/new-address.html")
    if path == "/news/new-address.html":
        paragraphs = "".join(
            f"<p>Hong Kong Science and Technology Parks Corporation (HKSTP) said on day {n} "
            "that the park's incubation programme had admitted new start-ups.</p>"
            for n in range(1, 7)
        )
        body = (
            "<html><head><title>HKSTP admits start-ups</title></head><body><article>"
            f"<h1>HKSTP admits start-ups</h1>{paragraphs}</article></body></html>"
        )
        return Resource(body.encode(), "text/html; charset=utf-8")
    return None


def test_a_worker_follows_a_redirect_to_a_page_nobody_else_asked_for(
    tmp_path: Path, workers: object
) -> None:
    with SampleSite(resolver=_moved_site) as site:
        cli = frontier_cli(tmp_path, site, worker_idle=2)
        data = yaml.safe_load(cli.config.read_text(encoding="utf-8"))
        data["sources"] = [
            {"name": "moved", "kind": "sitemap", "start_urls": [f"{site.base_url}/sitemap.xml"]}
        ]
        cli.config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        cli("crawl", "--seed")
        group = workers(cli)  # type: ignore[operator]
        out = group.finish(group.start())
        fetched = [r.path for r in site.requests]

    assert fetched.count("/news/new-address.html") == 1, fetched
    assert list(stored(cli.db_url)) == [f"{site.base_url}/news/new-address.html"], out
