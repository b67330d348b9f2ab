"""A real crawl of the sample newsroom: what is stored, what is skipped, what is clustered."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from samplesite import SampleSite, pages
from store import queries as q
from tests.conftest import Cli, crawl_both_editions, crawl_runs, database_url, stable, write_config


def _stored(cli: Cli) -> dict[str, object]:
    store = cli.store()
    with store.session() as session:
        articles = {
            urlsplit(a.url).path: a
            for a in q.list_articles(session, limit=None)
            if a.kind == "article"  # headlines: tests/test_search_feeds.py
        }
    store.close()
    return articles


def _reachable(edition: int) -> list:
    """Pages some enabled source links to, minus what robots.txt forbids."""
    return [p for p in pages(edition) if p.discovered_by and not p.path.startswith("/private/")]


def test_edition_one_stores_exactly_the_relevant_articles(cli: Cli) -> None:
    cli("crawl")
    stored = _stored(cli)
    expected = {p.path: p for p in _reachable(1) if p.relevant}
    assert set(stored) == set(expected)
    for path, page in expected.items():
        article = stored[path]
        assert article.title.split() == page.title.split(), path
        assert article.published == page.published, path
        assert article.language == page.language, path


def test_cleaning_processes_store_what_inline_cleaning_stores(tmp_path: Path) -> None:
    """Pages cleaned by the worker processes, which get the watch and the figures catalogue
    once as they start, come out as pages cleaned in the crawl process do: the same
    articles, figures and flags, over two editions of the newsroom."""
    with SampleSite(edition=1) as site:
        clis = []
        for workers in (0, 2):
            folder = tmp_path / f"workers-{workers}"
            folder.mkdir()
            config = write_config(folder / "config.yaml", site.base_url, clean_workers=workers)
            clis.append(Cli(config, database_url(folder), folder))
        stored = crawl_both_editions(site, clis)
    seen = [
        held | {"figures": stable(cli.json("figures", "current"))}
        for cli, held in zip(clis, stored, strict=True)
    ]
    assert seen[0]["articles"] and seen[0]["flags"] and seen[0]["figures"]
    assert seen[1] == seen[0]


def test_irrelevant_pages_are_skipped_and_counted(cli: Cli) -> None:
    cli("crawl")
    runs = crawl_runs(cli)
    irrelevant = {p.path for p in _reachable(1) if not p.relevant}
    assert irrelevant, "the sample newsroom has pages about other science parks"
    assert sum(run["skipped"] for run in runs.values()) >= len(irrelevant)
    assert not irrelevant & set(_stored(cli))


def test_syndicated_copies_form_one_cluster_led_by_the_organisation(cli: Cli) -> None:
    cli("crawl")
    groups: dict[str, list[str]] = {}
    for page in _reachable(1):
        if page.syndication and page.relevant:
            groups.setdefault(page.syndication, []).append(page.path)
    copies = max(groups.values(), key=len)
    assert len(copies) == 3
    stored = _stored(cli)
    clusters = {stored[path].cluster_id for path in copies}
    assert len(clusters) == 1 and None not in clusters
    store = cli.store()
    with store.session() as session:
        truth = session.get(q.Article, q.cluster(session, clusters.pop()).truth_id)
        assert urlsplit(truth.url).path.startswith("/hkstp/")
        others = [
            a
            for a in q.list_articles(session, limit=None)
            if a.cluster_id is not None and urlsplit(a.url).path not in copies
        ]
    store.close()
    assert others == [], "only the syndicated copies are clustered"


def test_crawl_prints_a_summary_per_source(cli: Cli) -> None:
    out = cli("crawl").stdout
    for name in ("newsroom", "wire", "blog", "sitemap", "search"):
        assert name in out
    assert "new article" in out


def test_an_interrupted_crawl_is_recorded_as_stopped_and_goes_no_further(
    cli: Cli, site: SampleSite
) -> None:
    import signal
    import subprocess
    import sys
    import time

    site.delay = 0.3  # slow enough to interrupt the second source mid-crawl
    crawl = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pressmon",
            "crawl",
            "--config",
            str(cli.config),
            "--db",
            cli.db_url,
        ],
        cwd=cli.cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(r.path.startswith("/wire/") for r in site.requests):
        assert time.monotonic() < deadline and crawl.poll() is None, "the wire crawl never began"
        time.sleep(0.05)
    crawl.send_signal(signal.SIGINT)
    _out, err = crawl.communicate(timeout=60)
    assert crawl.returncode == 0, err
    assert "Traceback" not in err
    runs = crawl_runs(cli)
    assert runs["newsroom"]["status"] == "ok"
    assert runs["wire"]["status"] == "stopped"
    assert set(runs) == {"newsroom", "wire"}, "no source starts after the signal"
