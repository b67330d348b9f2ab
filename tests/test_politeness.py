"""Politeness: robots.txt, the configured user agent, per-domain concurrency."""

from __future__ import annotations

from pathlib import Path

from samplesite import SampleSite
from tests.conftest import Cli, database_url, write_config

USER_AGENT = "pressmon-test/9.9 (+https://example.org/contact)"


def test_robots_disallowed_paths_are_never_requested(cli: Cli, site: SampleSite) -> None:
    cli("crawl")
    assert any(r.path == "/robots.txt" for r in site.requests)
    assert not [r.path for r in site.requests if r.path.startswith("/private/")]


def test_every_request_carries_the_configured_user_agent(site: SampleSite, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", site.base_url, user_agent=USER_AGENT)
    Cli(config, database_url(tmp_path), tmp_path)("crawl")
    assert site.requests
    assert {r.user_agent for r in site.requests} == {USER_AGENT}


def test_per_domain_concurrency_is_respected(site: SampleSite, tmp_path: Path) -> None:
    site.delay = 0.05  # long enough for requests to overlap if the crawler allowed it
    config = write_config(
        tmp_path / "c.yaml", site.base_url, concurrency_per_domain=2, concurrency=16
    )
    Cli(config, database_url(tmp_path), tmp_path)("crawl")
    assert len(site.requests) > 20
    assert site.max_in_flight == 2
