"""`pressmon demo`: the whole flow offline, on the bundled sample newsroom.

Serves edition 1, crawls every source into a fresh store, switches the site to
edition 2 (new articles, a revised one, a moved one) and crawls again, then
prints what each crawl found.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from rich.console import Console
from rich.rule import Rule

from crawler.run import crawl
from pressmon import report
from pressmon.config import parse_config
from samplesite import SampleSite, sample_config
from store import Store

DEMO_DB = "sqlite:///data/demo.db"


def fresh_store(url: str) -> Store:
    """A new, empty store at `url`: an old SQLite demo file is removed, a server database
    has every table pressmon made dropped (its migrations run down) and made anew."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return Store(url)
    store = Store(url, upgrade=False)
    store.downgrade("base")
    store.upgrade()
    return store


def run_demo(out: Console, err: Console, db_url: str | None = None, port: int = 0) -> None:
    """The demo: results on `out`, the live crawl progress on `err`."""
    with SampleSite(edition=1, port=port) as site:
        config = parse_config(yaml.safe_load(sample_config(site.base_url)), "sample config")
        store = fresh_store(db_url or DEMO_DB)
        sources = config.select_sources()
        out.print(f"sample newsroom at {site.base_url}/ ; store {store.url}")

        def switch(index: int) -> None:
            site.edition = 1 if index < len(sources) else 2

        with report.progress(err) as tick:
            run_ids = crawl(
                sources + sources,
                store=store,
                watch=config.watch,
                settings=config.crawl,
                progress=tick,
                between=switch,
                catalogue=config.catalogue,
                window_days=config.window_days,
            )
    half = len(sources)
    out.print(Rule("Edition 1: the first crawl"))
    report.crawl_summary(out, store, run_ids[:half])
    out.print(Rule("Edition 2: the newsroom a while later"))
    report.crawl_summary(out, store, run_ids[half:])
    out.print(
        f"\nTry: pressmon articles --db {store.url}   |   pressmon search 科學園 --db {store.url}"
    )
