"""A source that only answers with errors backs off; a dead navigation link is not an error.

Real `pressmon crawl` and `pressmon run` subprocesses against the sample site's /bad/ pages.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import yaml

from samplesite import SampleSite
from scheduler.adaptive import RunSummary, effective_interval
from store import Store
from store import queries as q
from tests.conftest import Cli, database_url, write_config
from tests.test_scheduler_lease import WAIT, scheduler, wait_for

DOWN = {"name": "down", "kind": "listing", "allow": [], "deny": []}
NAV = {"name": "nav", "kind": "listing", "allow": ["/bad/good"], "deny": []}


def config(tmp_path: Path, site: SampleSite, schedules: dict[str, Any]) -> Path:
    path = write_config(tmp_path / "config.yaml", site.base_url, timeout=5, retries=0)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"] = [
        {**DOWN, "start_urls": [f"{site.base_url}/bad/error.html"], "schedule": schedules["down"]},
        {**NAV, "start_urls": [f"{site.base_url}/bad/listing.html"], "schedule": schedules["nav"]},
    ]
    data["scheduler"] = {"shutdown_grace": 5, "stop_after": 3}
    data["digest"] = {"schedule": {"cron": "0 7 1 1 *"}, "folder": str(tmp_path)}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def finished_runs(store: Store, source: str) -> list[Any]:
    with store.session() as session:
        runs = q.runs_of_source(session, source, 100)
    return [r for r in reversed(runs) if r.finished is not None]


def test_a_dead_navigation_link_is_a_broken_link_not_an_error(
    tmp_path: Path, site: SampleSite
) -> None:
    hourly = {"every": "1h"}
    schedules = {"down": hourly, "nav": hourly}
    cli = Cli(config(tmp_path, site, schedules), database_url(tmp_path), tmp_path)
    result = cli("crawl", "--source", "nav")
    store = cli.store()
    try:
        [run] = finished_runs(store, "nav")
        assert (run.status, run.new, run.errors, run.broken) == ("ok", 1, 0, 1)
    finally:
        store.close()
    assert f"broken [nav] {site.base_url}/bad/listing-2.html: HTTP 404" in result.stdout


def test_a_source_answering_only_errors_backs_off_under_the_scheduler(
    tmp_path: Path, site: SampleSite
) -> None:
    schedules = {
        "down": {"every": "1s", "min_every": "1s", "max_every": "1h"},
        "nav": {"every": "1h", "min_every": "1s", "max_every": "1h"},
    }
    cli = Cli(config(tmp_path, site, schedules), database_url(tmp_path), tmp_path)
    store = cli.store()
    try:
        with scheduler(cli) as run:
            log: Path = run.log  # type: ignore[attr-defined]

            def adapted_to(seconds: str) -> bool:
                return f"crawl:down: now every {seconds} " in log.read_text(encoding="utf-8")

            # Each run that fetched nothing but errors doubles the wait: 2 s after the first,
            # 4 s after the second (a quiet source would still be at 1 s, then 2 s).
            wait_for("the first back-off", lambda: adapted_to("2s"), WAIT)
            assert len(finished_runs(store, "down")) == 1
            wait_for("the second back-off", lambda: adapted_to("4s"), WAIT)
            assert len(finished_runs(store, "down")) == 2
            wait_for("the nav source's crawl", lambda: finished_runs(store, "nav"), WAIT)
            run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=WAIT) == 0
        down = finished_runs(store, "down")
        assert all((r.status, r.pages, r.errors) == ("errors", 0, 1) for r in down)
        [nav] = finished_runs(store, "nav")
        assert (nav.status, nav.broken) == ("ok", 1)
    finally:
        store.close()


def test_only_errors_without_a_page_fetched_counts_as_failing() -> None:
    down = RunSummary("errors", pages=0)
    patchy = RunSummary("errors", pages=3)  # some pages came: the site is up, just quiet
    assert effective_interval(60, (1, 3600), [down, down]) == 240
    assert effective_interval(60, (1, 3600), [patchy, patchy]) == 120
    assert effective_interval(60, (1, 3600), [RunSummary("killed"), down]) == 120
