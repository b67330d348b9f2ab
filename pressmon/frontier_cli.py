"""`pressmon crawl --seed | --worker | --status`: the crawl shared by workers through Redis.

`crawl.frontier` in config.yaml names the Redis; `--seed` queues the sources' start
requests there, each `--worker` crawls from it until idle, `--status` shows it. The
command itself (`crawl`) lives in `pressmon.cli`; these are its three other modes.
"""

from __future__ import annotations

import json

import click

from pressmon import report
from pressmon.context import App
from pressmon.errors import ConfigError


def frontier_url(app: App) -> str:
    """crawl.frontier, once the scale extra is known to be installed."""
    try:
        import redis  # noqa: F401
        import scrapy_redis  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"the shared frontier needs the scale extra ({exc.name} is missing): "
            "pip install 'pressmon[scale]'"
        ) from None
    url = app.config.crawl.frontier
    if url is None:
        raise ConfigError(
            "crawl.frontier is not set in config.yaml: set it to a Redis URL such as "
            "redis://127.0.0.1:6379/0 to share a crawl between workers"
        )
    return url


def seed(app: App, names: tuple[str, ...]) -> None:
    """Queue the start requests of the enabled (or named) sources; each starts a new round."""
    url = frontier_url(app)
    from crawler.frontier import Frontier

    sources = app.config.select_sources(names)
    frontier = Frontier(url).check()
    queued = frontier.seed(sources)
    click.echo(
        f"queued {queued} start requests of {len(sources)} sources "
        f"({', '.join(s.name for s in sources)}); the frontier holds {frontier.queued()}"
    )


def work(app: App, worker: str | None) -> list[int]:
    """Crawl from the frontier until idle; the summary of each source's run, as `crawl` prints."""
    frontier_url(app)
    from crawler.worker import work as run_worker

    config = app.config
    with report.progress(app.err) as tick:
        run_ids = run_worker(
            config.sources,
            store=app.store,
            watch=config.watch,
            settings=config.crawl,
            progress=tick,
            catalogue=config.catalogue,
            window_days=config.window_days,
            worker=worker,
        )
    report.crawl_summary(app.out, app.store, run_ids)
    return run_ids


def status(app: App, as_json: bool) -> None:
    """The frontier's length and every worker seen, with its last heartbeat."""
    url = frontier_url(app)
    from crawler.frontier import Frontier, status_record

    record = status_record(Frontier(url).check())
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    click.echo(
        f"frontier {record['frontier']}: {record['queued']} requests queued, "
        f"{record['claimed']} pages claimed"
    )
    if not record["workers"]:
        click.echo("no worker seen yet")
    for w in record["workers"]:
        state_word = "alive" if w["alive"] else "gone"
        click.echo(
            f"  {w['worker']}  {state_word}  last heartbeat {w['last_heartbeat']} "
            f"({w['seconds_ago']:g} s ago)  holding {w['taken']} requests"
        )
