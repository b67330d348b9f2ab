"""The figure commands: `figures extract|history|current`, `ingest`, `flags`."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from pressmon.context import App, command, dump, parse_date
from pressmon.errors import InputError
from store.kinds import ReviewDecision


@click.group("figures")
def figures_group() -> None:
    """Figures stated about the watched organisation: extract, history, current values."""


@command("extract", figures_group)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--published", help="The as-of date of the figures (default: the page's date).")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language of the text.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of mentions.")
def extract_cmd(
    app: App, file: Path, published: str | None, lang: str | None, as_json: bool
) -> None:
    """Extract the figures a .txt (clean text) or .html (cleaned first) file states.

    \b
    Example:
      pressmon figures extract release.html --published 2022-07-11 --json
    """
    from crawler.clean import clean_document
    from crawler.language import detect_language
    from figures.extract import extract
    from figures.records import mention_record
    from pressmon import report
    from pressmon.ingest import text_page

    as_of = parse_date(published, "--published")
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: {exc.strerror or exc}") from None
    if file.suffix.lower() == ".txt":
        page = text_page(body, file, None, as_of)
    else:
        page = clean_document(body, url=file.resolve().as_uri())
    text = page.text
    mentions = extract(
        text,
        language=lang or page.language or detect_language(text),
        published=as_of or page.date,
        catalogue=app.config.catalogue,
        subject=app.config.watch.name,
    )
    records = [mention_record(m) for m in mentions]
    if as_json:
        dump(records)
    else:
        report.mention_table(app.out, records)


@command("history", figures_group)
@click.argument("metric")
@click.option("--subject", help="Whose figure (default: the watched organisation).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def history_cmd(app: App, metric: str, subject: str | None, as_json: bool) -> None:
    """The timeline of one metric: every statement, its qualifier, source and flags.

    \b
    Example:
      pressmon figures history companies
      pressmon figures history floor_area --subject "Shenzhen branch" --json
    """
    from figures.records import history_record
    from pressmon import report
    from store import queries as q

    with app.store.session() as session:
        rows = q.current_mentions(session, subject or app.config.watch.name, metric)
        flags = q.flags_of_mentions(session, [r.id for r in rows])
        records = [history_record(r, [f for f in flags if f.mention_id == r.id]) for r in rows]
    if as_json:
        dump(records)
    else:
        report.history_table(app.out, records)


@command("current", figures_group)
@click.option("--subject", help="Whose figures (default: the watched organisation).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def current_cmd(app: App, subject: str | None, as_json: bool) -> None:
    """The standing value of every series, with where and when it was stated.

    \b
    Example:
      pressmon figures current --json
    """
    from figures.ledger import Ledger
    from figures.records import current_record
    from pressmon import report

    ledger = Ledger(app.config.watch.name, app.config.window_days)
    with app.store.session() as session:
        records = [
            current_record(key, row)
            for key, row in ledger.standing(session, subject or app.config.watch.name)
        ]
    if as_json:
        dump(records)
    else:
        report.current_table(app.out, records)


@command("ingest", creates_store=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", help="Where the text was published (default: the file's path).")
@click.option("--published", help="Its publication date (default: the page's own).")
@click.option("--title", help="Its title (default: the page's, or a .txt file's first line).")
def ingest_cmd(
    app: App, file: Path, url: str | None, published: str | None, title: str | None
) -> None:
    """Take a local file through the crawl's path: clean, relevance, dedupe, store, figures, flags.

    \b
    Example:
      pressmon ingest blog-post.html --url https://example.org/post --published 2024-11-18
    """
    from pressmon import report
    from pressmon.ingest import ingest_file

    result = ingest_file(
        app.store,
        app.config,
        file,
        url=url,
        published=parse_date(published, "--published"),
        title=title,
    )
    report.ingested(app.out, app.store, file, result)


@click.group("flags", invoke_without_command=True)
@click.option("--kind", type=click.Choice(["new", "changed", "conflict", "outdated"]))
@click.option("--open", "only_open", is_flag=True, help="Only flags nobody has reviewed.")
@click.option("--since", help="Only figures stated (as of) on or after this date.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "--config",
    "config_path",
    envvar="PRESSMON_CONFIG",
    type=click.Path(dir_okay=False),
    help="config.yaml to use [env PRESSMON_CONFIG].",
)
@click.option("--db", "db_url", envvar="PRESSMON_DB", help="Database URL [env PRESSMON_DB].")
@click.pass_context
def flags_group(
    ctx: click.Context,
    kind: str | None,
    only_open: bool,
    since: str | None,
    as_json: bool,
    config_path: str | None,
    db_url: str | None,
) -> None:
    """List figure flags, changed first; `flags accept|dismiss ID` reviews one.

    \b
    Example:
      pressmon flags --open --kind changed
      pressmon flags accept 12 --note "confirmed in the annual report"
    """
    from pressmon import report
    from store.records import flag_record

    if ctx.invoked_subcommand is not None:
        return
    from pressmon.errors import EXPECTED
    from store import queries as q

    try:
        app = App(config_path, db_url)
        with app.store.session() as session:
            flags = q.list_flags(
                session,
                kind=kind,
                state="open" if only_open else None,
                since=parse_date(since, "--since"),
            )
            records = [flag_record(f) for f in flags]
    except EXPECTED as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        dump(records)
    else:
        report.flag_table(app.out, records)


def _review(
    app: App, flag_id: int, state: ReviewDecision, note: str | None, by: str | None
) -> None:
    from figures.ledger import Ledger
    from store import queries as q
    from store.clock import now
    from store.records import flag_record

    ledger = Ledger(app.config.watch.name, app.config.window_days)
    with app.store.session() as session:
        flag = q.get_flag(session, flag_id)
        if flag is None:
            raise InputError(f"no flag with id {flag_id}")
        ledger.review(session, flag, state, by or getpass.getuser(), note, now())
        record = flag_record(flag)
    app.out.print(f"flag {flag_id} ({record['kind']} {record['metric']}) {state}")


@command("accept", flags_group)
@click.argument("flag_id", type=int)
@click.option("--note", help="Why, for the audit trail.")
@click.option("--by", help="Who reviews (default: your user name).")
def accept_cmd(app: App, flag_id: int, note: str | None, by: str | None) -> None:
    """Accept a flag: a changed value becomes the record's current value.

    \b
    Example:
      pressmon flags accept 12 --note "matches the annual report"
    """
    _review(app, flag_id, "accepted", note, by)


@command("dismiss", flags_group)
@click.argument("flag_id", type=int)
@click.option("--note", help="Why, for the audit trail.")
@click.option("--by", help="Who reviews (default: your user name).")
def dismiss_cmd(app: App, flag_id: int, note: str | None, by: str | None) -> None:
    """Dismiss a flag: its figure leaves the record and the previous value stands again.

    \b
    Example:
      pressmon flags dismiss 13 --note "the delegation size, not the park's companies"
    """
    _review(app, flag_id, "dismissed", note, by)


COMMANDS: list[click.Command] = [figures_group, ingest_cmd, flags_group]
