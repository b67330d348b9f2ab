"""What the CLI prints: progress while crawling, summaries and tables after.

Rich renders for people; every listing also has a JSON form built from the
same records, so tools see exactly what people see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from figures.ledger import to_mention
from figures.model import Mention
from store import Store
from store import queries as q
from store.models import Article, FigureMention, Flag

if TYPE_CHECKING:
    from pressmon.ingest import Ingested

out = Console(highlight=False)
if not out.is_terminal:
    out.width = 120  # pipes and logs get whole lines
err = Console(stderr=True, highlight=False)


@contextmanager
def progress() -> Iterator[Any]:
    """A live line of counts while a crawl runs; yields the callback the crawl ticks."""
    counts = {"pages": 0, "new": 0, "revised": 0, "unchanged": 0, "skipped": 0, "errors": 0}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("crawling")

        def tick(outcome: str) -> None:
            counts["pages"] += 1
            counts[outcome] = counts.get(outcome, 0) + 1
            bar.update(
                task,
                description="crawling: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v),
            )

        yield tick


def crawl_summary(store: Store, run_ids: list[int], heading: str | None = None) -> None:
    """Per source: pages, new / revised / unchanged / skipped, errors, duration; then new ones."""
    with store.session() as session:
        runs = q.runs(session, run_ids)
        table = Table(title=heading, title_justify="left")
        for column in (
            "source",
            "status",
            "pages",
            "new",
            "revised",
            "unchanged",
            "skipped",
            "errors",
            "seconds",
        ):
            table.add_column(column, justify="left" if column in ("source", "status") else "right")
        for run in runs:
            seconds = (run.finished - run.started).total_seconds() if run.finished else 0.0
            table.add_row(
                run.source,
                run.status,
                *(
                    str(getattr(run, c))
                    for c in ("pages", "new", "revised", "unchanged", "skipped", "errors")
                ),
                f"{seconds:.1f}",
            )
        out.print(table)
        for run in runs:
            for problem in run.problems:
                out.print(f"  error [{run.source}] {problem.url}: {problem.reason}")
            if run.error_text:
                out.print(f"  failed [{run.source}]: {run.error_text}")
        started = min((r.started for r in runs), default=None)
        finished = max((r.finished or r.started for r in runs), default=None)
        new, revised, flags = [], [], []
        if started is not None and finished is not None:
            flags = [flag_record(f) for f in q.flags_created_between(session, started, finished)]
            new = [
                article_record(a) for a in q.articles_first_seen_between(session, started, finished)
            ]
            revised = [
                article_record(a) for a in q.articles_revised_between(session, started, finished)
            ]
    out.print(f"\n{len(new)} new article(s)" + (":" if new else ""))
    if new:
        article_table(new)
    if revised:
        out.print(f"\n{len(revised)} revised article(s):")
        article_table(revised)
    if flags:
        counts = Counter(f["kind"] for f in flags)
        out.print(
            f"\n{len(flags)} figure flag(s) raised: "
            + ", ".join(f"{counts[k]} {k}" for k in FLAG_KINDS if counts[k])
        )
        flag_table([f for f in flags if f["kind"] != "new"] or flags)


FLAG_KINDS = ("changed", "conflict", "outdated", "new")


def number(value: Decimal | None) -> int | float | None:
    """A Decimal for JSON: an integer when it is whole."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def flag_record(flag: Flag) -> dict[str, Any]:
    """The JSON shape of a flag (as `pressmon flags --json` prints it)."""
    m, p = flag.mention, flag.previous
    return {
        "id": flag.id,
        "kind": flag.kind,
        "subject": m.subject,
        "metric": m.metric,
        "value": number(m.value),
        "qualifier": m.qualifier,
        "unit": m.unit,
        "text": m.text,
        "previous_value": number(p.value) if p else None,
        "previous_qualifier": p.qualifier if p else None,
        "previous_text": p.text if p else None,
        "delta": number(flag.delta),
        "percent": number(flag.percent),
        "url": m.article.url,
        "previous_url": p.article.url if p else None,
        "as_of": m.as_of.isoformat(),
        "previous_as_of": p.as_of.isoformat() if p else None,
        "sentence": m.sentence,
        "revision": flag.revision,
        "state": flag.state,
        "reviewed_by": flag.reviewed_by,
        "reviewed_at": flag.reviewed_at.isoformat(timespec="seconds") if flag.reviewed_at else None,
        "note": flag.note,
    }


def _figure(value: int | float | None, qualifier: str | None, unit: str | None) -> str:
    if value is None:
        return ""
    words = {"at_least": "≥ ", "at_most": "≤ ", "about": "~ ", "exact": ""}
    suffix = "" if unit in (None, "count") else f" {unit}"
    return f"{words.get(qualifier or 'exact', '')}{value:,}{suffix}"


def flag_table(records: list[dict[str, Any]]) -> None:
    table = Table()
    for column in (
        "id",
        "kind",
        "metric",
        "as of",
        "value",
        "previous",
        "change",
        "state",
        "where",
    ):
        table.add_column(column)
    for f in records:
        change = ""
        if f["delta"] is not None:
            change = f"{f['delta']:+,}" + (
                f" ({f['percent']:+}%)" if f["percent"] is not None else ""
            )
        where = f["url"] + (f"\n{f['revision']}" if f["revision"] else "")
        previous = _figure(f["previous_value"], f["previous_qualifier"], f["unit"])
        if f["previous_as_of"]:
            previous += f" ({f['previous_as_of']})"
        table.add_row(
            str(f["id"]),
            f["kind"],
            f["metric"],
            f["as_of"],
            _figure(f["value"], f["qualifier"], f["unit"]),
            previous,
            change,
            f["state"],
            where,
        )
    out.print(table)


def article_record(article: Article, with_text: bool = False) -> dict[str, Any]:
    """The JSON shape of an article (as `--json` prints it)."""
    record: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "language": article.language,
        "source": article.source.name if article.source else None,
        "first_seen": article.first_seen.isoformat(timespec="seconds"),
        "last_seen": article.last_seen.isoformat(timespec="seconds"),
        "versions": len(article.versions),
    }
    if with_text:
        record |= {
            "author": article.author,
            "sitename": article.sitename,
            "relevance": article.relevance,
            "aliases": article.aliases,
            "cluster": article.cluster_id,
            "text": article.versions[-1].text if article.versions else "",
            "history": [
                {
                    "number": v.number,
                    "fetched_at": v.fetched_at.isoformat(timespec="seconds"),
                    "content_hash": v.content_hash,
                    "text": v.text,
                }
                for v in article.versions
            ],
        }
    return record


def article_table(records: list[dict[str, Any]]) -> None:
    table = Table()
    for column in ("id", "date", "source", "lang", "title"):
        table.add_column(column)
    for r in records:
        table.add_row(
            str(r["id"]),
            r["published"] or r["first_seen"][:10],
            r["source"] or "",
            r["language"],
            r["title"] or r["url"],
        )
    out.print(table)


def article_detail(record: dict[str, Any], versions: bool) -> None:
    out.print(f"[bold]{record['title'] or '(no title)'}[/bold]")
    for key in (
        "url",
        "published",
        "author",
        "sitename",
        "language",
        "source",
        "first_seen",
        "last_seen",
        "cluster",
        "aliases",
    ):
        out.print(f"{key}: {record[key]}")
    out.print(f"versions: {record['versions']}\n")
    if versions:
        for v in record["history"]:
            out.print(f"--- version {v['number']} fetched {v['fetched_at']} ---")
            out.print(v["text"], markup=False)
    else:
        out.print(record["text"], markup=False)


def search_results(records: list[dict[str, Any]]) -> None:
    if not records:
        out.print("no matches")
    for r in records:
        out.print(
            f"[bold]{r['id']}[/bold] {r['published'] or ''} {r['source'] or ''} "
            f"[{r['language']}] {r['title']}"
        )
        out.print(f"    {r['snippet']}", markup=False)


def cleaned(record: dict[str, Any]) -> None:
    out.print(f"== {record['path']}", markup=False)
    for key in ("title", "date", "author", "sitename", "language"):
        out.print(f"{key}: {record[key]}", markup=False)
    out.print(f"\n{record['text']}\n", markup=False)


# -- figures ---------------------------------------------------------------------------------
def mention_record(m: Mention) -> dict[str, Any]:
    """The JSON shape of a figure mention (as `figures extract --json` prints it)."""
    return {
        "subject": m.subject,
        "metric": m.metric,
        "value": number(m.value),
        "qualifier": m.qualifier,
        "low": number(m.low),
        "high": number(m.high),
        "unit": m.unit,
        "text": m.text,
        "start": m.start,
        "end": m.end,
        "sentence": m.sentence,
        "as_of": m.as_of.isoformat() if m.as_of else None,
    }


def mention_table(records: list[dict[str, Any]]) -> None:
    if not records:
        out.print("no figures")
        return
    table = Table()
    for column in ("subject", "metric", "figure", "as written", "as of"):
        table.add_column(column)
    for r in records:
        table.add_row(
            r["subject"],
            r["metric"],
            _figure(r["value"], r["qualifier"], r["unit"]),
            r["text"],
            r["as_of"] or "",
        )
    out.print(table)


def history_record(row: FigureMention, flags: list[Flag]) -> dict[str, Any]:
    return {
        **mention_record(to_mention(row)),
        "id": row.id,
        "url": row.article.url,
        "title": row.article.title,
        "flags": [{"id": f.id, "kind": f.kind, "state": f.state} for f in flags],
    }


def history_table(records: list[dict[str, Any]]) -> None:
    if not records:
        out.print("no mentions")
        return
    table = Table()
    for column in ("as of", "figure", "as written", "flags", "source"):
        table.add_column(column)
    for r in records:
        flags = ", ".join(
            f"{f['kind']}#{f['id']}" + ("" if f["state"] == "open" else f" ({f['state']})")
            for f in r["flags"]
        )
        table.add_row(
            r["as_of"],
            _figure(r["value"], r["qualifier"], r["unit"]),
            r["text"],
            flags,
            f"{r['title']}\n{r['url']}",
        )
    out.print(table)


def current_record(key: tuple[str, str, str], row: FigureMention) -> dict[str, Any]:
    return {
        "subject": key[0],
        "metric": key[1],
        "unit": row.unit,
        "value": number(row.value),
        "qualifier": row.qualifier,
        "text": row.text,
        "as_of": row.as_of.isoformat(),
        "url": row.article.url,
        "title": row.article.title,
    }


def current_table(records: list[dict[str, Any]]) -> None:
    if not records:
        out.print("no figures on record")
        return
    table = Table()
    for column in ("metric", "figure", "as of", "as written", "source"):
        table.add_column(column)
    for r in records:
        table.add_row(
            r["metric"],
            _figure(r["value"], r["qualifier"], r["unit"]),
            r["as_of"],
            r["text"],
            r["url"],
        )
    out.print(table)


def ingested(store: Store, path: Path, result: Ingested) -> None:
    """What `pressmon ingest` did to one file."""
    words = {
        "new": "stored as a new article",
        "revised": "stored as a new version",
        "unchanged": "unchanged",
        "skipped": "not relevant: not stored",
    }
    out.print(f"{path}: {words[result.outcome]}", markup=False)
    if result.analysis is not None:
        relevance = result.analysis.relevance
        out.print(f"relevance {relevance.score:g} ({', '.join(relevance.aliases) or 'no alias'})")
        if result.outcome in ("new", "revised"):
            out.print(f"{len(result.analysis.mentions)} figure(s) found")
    with store.session() as session:
        ids = [f.id for f in result.tally.created_flags]
        flags = [flag_record(f) for f in q.list_flags(session, ids=ids)] if ids else []
    if flags:
        out.print(f"{len(flags)} flag(s) raised:")
        flag_table(flags)
    elif result.outcome in ("new", "revised"):
        out.print("no flags raised")
