"""Hostile pages (samplesite/badpages.py) cost bounded work and memory, and store no harm.

Real `pressmon crawl` subprocesses against the sample site's /bad/ corner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from samplesite import SampleSite
from store import queries as q
from tests.conftest import Cli, crawl_runs, database_url, write_config


def hostile_cli(site: SampleSite, tmp_path: Path, **crawl: Any) -> Cli:
    tmp_path.mkdir(exist_ok=True)
    path = write_config(
        tmp_path / "config.yaml", site.base_url, timeout=2, retries=0, clean_workers=1, **crawl
    )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = site.base_url
    data["sources"] = [
        {"name": "hostile", "kind": "feed", "start_urls": [f"{base}/bad/hostile.xml"]},
        {"name": "xxe", "kind": "feed", "start_urls": [f"{base}/bad/xxe.xml"]},
        {"name": "laughs", "kind": "feed", "start_urls": [f"{base}/bad/laughs.xml"]},
        {
            "name": "manylinks",
            "kind": "listing",
            "start_urls": [f"{base}/bad/links.html"],
            "allow": ["/bad/many/"],
        },
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Cli(path, database_url(tmp_path), tmp_path)


def test_a_listing_of_50000_links_is_taken_up_to_the_cap(site: SampleSite, tmp_path: Path) -> None:
    cli = hostile_cli(site, tmp_path, max_links_per_page=40)
    cli("crawl", "--source", "manylinks", check=False)
    asked = {r.path for r in site.requests if r.path.startswith("/bad/many/")}
    assert asked == {f"/bad/many/{i}.html" for i in range(40)}  # the first 40, in page order
    run = crawl_runs(cli)["manylinks"]
    assert (run["status"], run["errors"]) == ("errors", 40)  # each a missing article page


def test_hostile_feeds_store_the_good_page_once_and_nothing_forbidden(
    site: SampleSite, tmp_path: Path
) -> None:
    cli = hostile_cli(site, tmp_path)
    result = cli("crawl", "--source", "hostile", "--source", "xxe", "--source", "laughs")
    assert "Traceback" not in result.stderr
    assert not [r for r in site.requests if r.path.startswith("/private/")]  # robots.txt
    store = cli.store()
    try:
        with store.session() as session:
            articles = q.list_articles(session, limit=None)
            urls = [a.url for a in articles]
            texts = [v.text for a in articles for v in a.versions]
            titles = [a.title or "" for a in articles]
    finally:
        store.close()
    assert urls.count(f"{site.base_url}/bad/good.html") == 1
    assert not any("root:" in text for text in texts)  # no file read through an entity
    assert not any("lollol" in text for text in texts + titles)  # no entity expanded
    runs = crawl_runs(cli)
    problems = dict(runs["hostile"]["problems"])
    for page in ("drip.html", "hang.html", "loop.html", "huge.html", "bomb.html"):
        assert f"{site.base_url}/bad/{page}" in problems, page
    for page in ("to-file.html", "to-ftp.html"):  # never followed off the web
        assert f"{site.base_url}/bad/{page}" in problems, page


def long_text(cli: Cli) -> str:
    store = cli.store()
    try:
        with store.session() as session:
            [page] = [
                a for a in q.list_articles(session, limit=None) if a.url.endswith("/long.html")
            ]
            return page.versions[-1].text
    finally:
        store.close()


def test_only_the_first_max_clean_bytes_of_a_page_are_cleaned(
    site: SampleSite, tmp_path: Path
) -> None:
    whole = hostile_cli(site, tmp_path / "whole")
    whole("crawl", "--source", "hostile")
    capped = hostile_cli(site, tmp_path / "capped", max_clean_bytes=20_000)
    capped("crawl", "--source", "hostile")
    assert len(long_text(whole)) > 200_000
    text = long_text(capped)
    assert "1,100 technology companies" in text and len(text) < 20_000
