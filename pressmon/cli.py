"""The `pressmon` command: a thin shell over the stages, one context object passed down.

Expected faults (a bad config, a locked database, an unreadable file) leave as
one line on stderr and exit status 1; only bugs show a traceback. The commands
of the digest, figure, scheduler and web modules are built there (with the
helpers of `pressmon.context`) and added to the group here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pressmon import digest_cli, figures_cli, scheduler_cli, web_cli
from pressmon.config import CONFIG_ENV, DB_ENV
from pressmon.context import App, command, dump, parse_date
from pressmon.errors import EXPECTED, InputError

if TYPE_CHECKING:  # imported where used: `pressmon --help` must not load SQLAlchemy
    from store.paging import Cursor, SearchOrder

FILE_FAULTS: tuple[type[Exception], ...] = (OSError, *EXPECTED)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="pressmon")
def main() -> None:
    """pressmon: what was published about an organisation, and which of its figures moved.

    \b
    Example:
      pressmon demo
    """


# -- crawling ----------------------------------------------------------------------------------
@command("crawl", main, creates_store=True)
@click.option("--source", "names", multiple=True, help="Crawl only this source (repeatable).")
@click.option(
    "--run-ids",
    "run_ids_file",
    type=click.Path(dir_okay=False, writable=True),
    hidden=True,
    help="Append each crawl run's id to this file as it starts (the scheduler reads it).",
)
@click.option(
    "--seed", is_flag=True, help="Queue the sources' start requests in the shared frontier."
)
@click.option("--worker", is_flag=True, help="Crawl from the shared frontier until it stays empty.")
@click.option(
    "--status", "show_status", is_flag=True, help="Show the shared frontier and its workers."
)
@click.option("--json", "as_json", is_flag=True, help="With --status: print a JSON object.")
def crawl_cmd(
    app: App,
    names: tuple[str, ...],
    run_ids_file: str | None,
    seed: bool,
    worker: bool,
    show_status: bool,
    as_json: bool,
) -> None:
    """Crawl the configured sources now and print what happened.

    A source that another crawl (by hand or by `pressmon run`) is crawling is
    refused with one line naming that crawl's run.

    With `crawl.frontier` set (a Redis URL), several workers share one crawl:
    `--seed` queues the sources' start requests, each `--worker` fetches from the
    queue until it has been empty for `crawl.worker_idle` seconds, then prints this
    summary, and `--status` shows the queue and the workers seen.

    \b
    Example:
      pressmon crawl --source newsroom --source wire
      pressmon crawl --seed && pressmon crawl --worker
    """
    if seed + worker + show_status > 1:
        raise InputError("give one of --seed, --worker and --status")
    if (worker or show_status) and names:
        raise InputError("--source goes with --seed or a plain crawl; a worker takes any source")
    if seed or worker or show_status:
        from pressmon import frontier_cli

        if seed:
            frontier_cli.seed(app, names)
        elif worker:
            frontier_cli.work(app, None)
        else:
            frontier_cli.status(app, as_json)
        return
    from crawler.pool import warm_pool

    config = app.config
    warm_pool(config.crawl.clean_workers)  # the workers' imports, beside the crawl's own
    from crawler.run import crawl
    from pressmon import report
    from store.errors import LeaseHeld, StoreError

    def note(line: str) -> None:
        if run_ids_file is not None:
            with open(run_ids_file, "a", encoding="utf-8") as out:
                out.write(f"{line}\n")

    sources = config.select_sources(names)
    try:
        with report.progress(app.err) as tick:
            run_ids = crawl(
                sources,
                store=app.store,
                watch=config.watch,
                settings=config.crawl,
                progress=tick,
                catalogue=config.catalogue,
                window_days=config.window_days,
                on_run=lambda run_id: note(str(run_id)),
            )
    except LeaseHeld as exc:
        note(f"held: {exc}")
        if exc.run_ids:  # the other sources were crawled: say what they did
            report.crawl_summary(app.out, app.store, exc.run_ids)
        raise
    except StoreError as exc:  # the scheduler does not count it against the source's site
        note(f"store: {exc}")
        raise
    report.crawl_summary(app.out, app.store, run_ids)


@command("demo", main)
@click.option("--port", default=0, show_default=True, help="Port for the sample newsroom (0: any).")
def demo_cmd(app: App, port: int) -> None:
    """Serve the sample newsroom, crawl both its editions into a fresh store, print the results.

    Works offline: everything stays on 127.0.0.1. The store is ./data/demo.db
    unless --db says otherwise.

    \b
    Example:
      pressmon demo
    """
    from pressmon.demo import run_demo

    run_demo(app.out, app.err, db_url=app.db_url, port=port)


@command("sample-site", main)
@click.option(
    "--edition",
    default=1,
    show_default=True,
    type=click.IntRange(1, 2),
    help="Which edition of the sample newsroom to serve.",
)
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1.")
def sample_site_cmd(app: App, edition: int, port: int) -> None:
    """Serve the bundled sample newsroom on 127.0.0.1 until Ctrl-C.

    \b
    Example:
      pressmon sample-site --edition 2 --port 8765
    """
    from samplesite import SampleSite

    site = SampleSite(edition=edition, port=port).start()
    click.echo(f"sample newsroom, edition {edition}, at {site.base_url}/ (Ctrl-C stops)")
    site.serve_forever()


# -- reading the store -------------------------------------------------------------------------
def parse_cursor(value: str | None) -> Cursor | None:
    """A page cursor from --after, or one clear line saying what was expected."""
    from store.paging import Cursor

    try:
        return Cursor.parse(value) if value is not None else None
    except ValueError as exc:
        raise InputError(f"--after: {exc}") from None


@command("articles", main)
@click.option("--since", help="Only articles published (or first seen) on or after this date.")
@click.option("--until", help="Only articles published (or first seen) on or before this date.")
@click.option("--source", help="Only articles from this source.")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Only this language.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.option("--after", help="Start after this cursor (a previous page printed it).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def articles_cmd(
    app: App,
    since: str | None,
    until: str | None,
    source: str | None,
    lang: str | None,
    limit: int,
    after: str | None,
    as_json: bool,
) -> None:
    """List stored articles, newest first, a page at a time.

    When more follow, the last line (on stderr) gives the --after cursor of the next page.

    \b
    Example:
      pressmon articles --since 2024-01-01 --lang zh --json
      pressmon articles --after 2024-07-19~1234
    """
    from pressmon import report
    from store import queries as q
    from store.paging import ArticleFilters
    from store.records import article_record

    filters = ArticleFilters(
        since=parse_date(since), until=parse_date(until, "--until"), source=source, language=lang
    )
    with app.store.session() as session:
        page = q.page_articles(session, filters, after=parse_cursor(after), limit=limit)
        records = [article_record(a) for a in page.items]
    if as_json:
        dump(records)
    else:
        report.article_table(app.out, records)
    if page.next is not None:
        click.echo(f"more: --after {page.next}", err=True)


@command("show", main)
@click.argument("article_id", type=int)
@click.option("--versions", is_flag=True, help="Print every version's text, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def show_cmd(app: App, article_id: int, versions: bool, as_json: bool) -> None:
    """Show one article: metadata, current text and its versions.

    \b
    Example:
      pressmon show 3 --versions
    """
    from pressmon import report
    from store import queries as q
    from store.records import article_record

    with app.store.session() as session:
        article = q.get_article(session, article_id)
        if article is None:
            raise InputError(f"no article with id {article_id}")
        record = article_record(article, with_text=True)
    if as_json:
        dump([record])
    else:
        report.article_detail(app.out, record, versions=versions)


@command("search", main)
@click.argument("query")
@click.option("--since", help="Only articles published (or first seen) on or after this date.")
@click.option("--until", help="Only articles published (or first seen) on or before this date.")
@click.option("--source", help="Only articles from this source.")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Only this language.")
@click.option(
    "--order",
    type=click.Choice(["newest", "relevance"]),
    default="newest",
    show_default=True,
    help="newest: every match, newest first. relevance: the newest 200 matches, best first.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--after", help="Start after this cursor (a previous page printed it).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def search_cmd(
    app: App,
    query: str,
    since: str | None,
    until: str | None,
    source: str | None,
    lang: str | None,
    order: SearchOrder,
    limit: int,
    after: str | None,
    as_json: bool,
) -> None:
    """Full-text search of current article texts, newest first, with a snippet.

    English words match their inflections; Chinese phrases match as written.
    --order relevance ranks the newest 200 matches, best match first. When more
    follow, the last line (on stderr) gives the --after cursor of the next page.

    \b
    Example:
      pressmon search "unicorns"
      pressmon search 科學園 --lang zh --order relevance
    """
    from pressmon import report
    from store import queries as q
    from store.paging import ArticleFilters
    from store.records import article_record

    filters = ArticleFilters(
        since=parse_date(since), until=parse_date(until, "--until"), source=source, language=lang
    )
    with app.store.session() as session:
        page = q.search_page(
            session,
            app.store.search_index,
            query,
            filters,
            order=order,
            after=parse_cursor(after),
            limit=limit,
        )
        records = [{**article_record(a), "snippet": h.snippet} for a, h in page.items]
    if as_json:
        dump(records)
    else:
        report.search_results(app.out, records)
    if page.next is not None:
        click.echo(f"more: --after {page.next}", err=True)


# -- cleaning local files ----------------------------------------------------------------------
@main.command("clean")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", help="The URL the page came from (helps dates and links).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per file.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="Print one JSON object per line instead.")
@click.option("--config", "config_path", envvar=CONFIG_ENV, hidden=True)
@click.option("--db", "db_url", envvar=DB_ENV, hidden=True)
def clean_cmd(
    files: tuple[Path, ...],
    url: str | None,
    as_json: bool,
    as_jsonl: bool,
    config_path: str | None,
    db_url: str | None,
) -> None:
    """Run the cleaning step on local HTML or PDF files and print their text and metadata.

    --json prints one array, like every other command's --json; --jsonl prints
    each file's object on its own line as soon as it is cleaned.

    \b
    Example:
      pressmon clean page.html --url https://www.hkstp.org/news/x/ --json
    """
    from crawler.clean import clean_document
    from pressmon import report

    if as_json and as_jsonl:
        raise click.UsageError("--json and --jsonl: choose one")
    try:
        App(config_path, db_url)  # a config named on purpose is checked, as everywhere
    except EXPECTED as exc:
        raise click.ClickException(str(exc)) from None
    out = report.stdout_console()
    failed = 0
    records = []
    for path in files:
        try:
            page = clean_document(path.read_bytes(), url=url or path.resolve().as_uri())
        except FILE_FAULTS as exc:
            click.echo(f"Error: {path}: {exc}", err=True)
            failed += 1
            continue
        record = {
            "path": str(path),
            "title": page.title,
            "text": page.text,
            "date": page.date.isoformat() if page.date else None,
            "author": page.author,
            "sitename": page.sitename,
            "language": page.language,
        }
        if as_jsonl:
            click.echo(json.dumps(record, ensure_ascii=False))
        elif as_json:
            records.append(record)
        else:
            report.cleaned(out, record)
    if as_json:
        dump(records)
    if failed:
        sys.exit(1)


# -- the database ------------------------------------------------------------------------------
@main.group("db")
def db_group() -> None:
    """Manage the database schema."""


@command("upgrade", db_group, creates_store=True)
def db_upgrade_cmd(app: App) -> None:
    """Apply any pending migrations (they also run on first use).

    \b
    Example:
      pressmon db upgrade --db sqlite:///data/pressmon.db
    """
    app.store  # noqa: B018 - opening the store upgrades it
    click.echo(f"database {app.store.url} is up to date")


for _command in (
    *digest_cli.COMMANDS,
    *figures_cli.COMMANDS,
    *scheduler_cli.COMMANDS,
    *web_cli.COMMANDS,
):
    main.add_command(_command)

if __name__ == "__main__":
    main()
