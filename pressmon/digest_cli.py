"""The `digest` commands of the CLI (`COMMANDS`, which pressmon/cli.py adds).

`pressmon digest` shows or sends the digest of the period since the last one;
`pressmon digests` lists the digests sent and where they went.
"""

from __future__ import annotations

import os
from datetime import datetime, time
from typing import TYPE_CHECKING

import click

from pressmon.context import App, command, dump, parse_date
from pressmon.errors import PressmonError

if TYPE_CHECKING:
    from digest.record import SendReport


def _since(value: str | None) -> datetime | None:
    day = parse_date(value, "--since")
    return datetime.combine(day, time()) if day else None


@command("digest")
@click.option(
    "--since",
    help="Instead of everything since the last digest: articles published on or after this "
    "date (undated ones: first seen), and flags on figures stated as of it or later.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "json"]),
    default="md",
    show_default=True,
    help="What to print (without --send).",
)
@click.option("--send", is_flag=True, help="Record the digest and deliver it to every channel.")
@click.option(
    "--dry-run", is_flag=True, help="With --send: say what would go where; change nothing."
)
def digest_cmd(app: App, since: str | None, fmt: str, send: bool, dry_run: bool) -> None:
    """Print the digest of everything since the last one: flags, new articles, revisions.

    Without --send it only prints and records nothing. With --send it first
    retries deliveries that failed before, then records the new digest (its
    flags count as sent) and delivers it to the folder, e-mail and webhook the
    `digest:` section of config.yaml names. An empty period sends nothing
    unless `digest.send_empty` is true.

    --since DATE goes by the news's dates, not the crawl's: the articles
    published since DATE, each once (under "revised" if it has a later
    version), and the flags whose new figure is as of DATE or later.

    \b
    Example:
      pressmon digest
      pressmon digest --since 2024-07-01 --format html > digest.html
      pressmon digest --send --dry-run
      pressmon digest --send
    """
    from digest import record
    from digest.render import html, json_text, markdown
    from store.clock import now

    if dry_run and not send:
        raise click.UsageError("--dry-run goes with --send")
    watched = app.config.watch.name
    if not send:
        content = record.preview(app.store, now(), _since(since))
        text = {"md": markdown, "html": html}.get(fmt)
        click.echo(text(content, watched) if text else json_text(content), nl=False)
        if fmt == "json":
            click.echo()
        return
    result = record.send_digest(
        app.store,
        app.config.digest,
        watched,
        now=now(),
        env=os.environ,
        since=_since(since),
        dry_run=dry_run,
    )
    _print_report(result)
    if result.failed:
        raise PressmonError(
            f"{len(result.failed)} delivery(ies) failed; they are retried on the next --send"
        )


def _print_report(result: SendReport) -> None:
    for a in result.retried:
        line = f"retry digest {a.digest_id} {a.channel} {a.target}: {a.status}"
        click.echo(line + (f" ({a.error})" if a.error else ""))
    counts = result.content.counts()
    copies = counts["copies"]
    copies_said = f" (and {copies} syndicated cop{'y' if copies == 1 else 'ies'})" if copies else ""
    summary = (
        f"{counts['flags']} flag(s), {counts['articles']} new article(s){copies_said}, "
        f"{counts['revised']} revised article(s)"
    )
    if result.digest_id is None and not result.delivered:
        click.echo(f"nothing new since the last digest ({summary}): nothing sent")
        return
    if result.dry_run:
        click.echo(f"would record a digest: {summary}")
        if not result.delivered:
            click.echo("no delivery channel is configured")
    else:
        click.echo(f"digest {result.digest_id}: {summary}")
    for a in result.delivered:
        line = f"  {a.channel} {a.target}: {a.status}"
        click.echo(line + (f" ({a.error})" if a.error else ""))


@command("digests")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--atom", is_flag=True, help="Print the Atom feed of past digests.")
def digests_cmd(app: App, limit: int, as_json: bool, atom: bool) -> None:
    """List past digests: period, when made, counts, and each delivery's status.

    \b
    Example:
      pressmon digests
      pressmon digests --json
      pressmon digests --atom > digests.xml
    """
    from rich.table import Table

    from digest import record

    with app.store.session() as session:
        if atom:
            xml = record.feed(session, app.config.watch.name, app.config.digest.link)
            click.echo(xml.decode("utf-8"), nl=False)
            return
        records = [record.digest_record(d) for d in record.past_digests(session, limit)]
    if as_json:
        dump(records)
        return
    if not records:
        app.out.print("no digests yet")
        return
    table = Table()
    for column in ("id", "period", "created", "flags", "articles", "revised", "deliveries"):
        table.add_column(column)
    for r in records:
        deliveries = "\n".join(
            f"{d['channel']} {d['target']}: {d['status']}"
            + (f" ×{d['attempts']}" if d["attempts"] > 1 else "")
            + (f" ({d['last_error']})" if d["status"] != "sent" and d["last_error"] else "")
            for d in r["deliveries"]
        )
        table.add_row(
            str(r["id"]),
            f"{_minute(r['period_start'])} → {_minute(r['period_end'])}",
            _minute(r["created"]),
            str(r["counts"]["flags"]),
            str(r["counts"]["articles"]),
            str(r["counts"]["revised"]),
            deliveries or "(none)",
        )
    app.out.print(table)


def _minute(stamp: str | None) -> str:
    return stamp[:16].replace("T", " ") if stamp else "the beginning"


COMMANDS: list[click.Command] = [digest_cmd, digests_cmd]
