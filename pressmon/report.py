"""What the CLI prints: progress while crawling, summaries and tables after.

Rich renders for people; every listing also has a JSON form built from the
same records, so tools see exactly what people see. Nothing is printed to a
console made at import: each function is handed the console to print on (the
CLI's `App` makes them when a command first prints).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from figures.model import FLAG_KINDS
from store import queries as q
from store.kinds import BROKEN_LINK, NOT_RELEVANT, RUN_COUNTS
from store.records import article_record, flag_record
from web.diff import diff_rows

Column = Callable[[Mapping[str, Any]], str]

if TYPE_CHECKING:
    from pressmon.ingest import Ingested
    from store import Store


def stdout_console() -> Console:
    """The console for tables and summaries."""
    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = 120  # pipes and logs get whole lines
    return out


def stderr_console() -> Console:
    """The console for live progress, kept off stdout."""
    return Console(stderr=True, highlight=False)


@contextmanager
def progress(err: Console) -> Iterator[Any]:
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


def crawl_summary(
    out: Console, store: Store, run_ids: list[int], heading: str | None = None
) -> None:
    """Per source: feed items (seen, resolved, headlines), pages, new / revised / unchanged /
    skipped, errors, duration; each error and skip with its reason; then the new articles."""
    with store.session() as session:
        runs = q.runs(session, run_ids)
        table = Table(title=heading, title_justify="left")
        # feed-item and broken-link counts only when some run has them: the table stays narrow
        columns = [
            c for c in RUN_COUNTS if c not in OPTIONAL_COUNTS or any(getattr(r, c) for r in runs)
        ]
        for column in ("source", "status", *columns, "seconds"):
            table.add_column(column, justify="left" if column in ("source", "status") else "right")
        for run in runs:
            seconds = (run.finished - run.started).total_seconds() if run.finished else 0.0
            table.add_row(
                run.source,
                run.status,
                *(str(getattr(run, c)) for c in columns),
                f"{seconds:.1f}",
            )
        out.print(table)
        for run in runs:
            for problem in run.problems:
                kind = "broken" if problem.reason.startswith(BROKEN_LINK) else "error"
                reason = problem.reason.removeprefix(f"{BROKEN_LINK}: ")
                out.print(f"  {kind} [{run.source}] {problem.url}: {reason}", markup=False)
            # Irrelevant pages are most of a busy feed: counted here, each one in the record.
            irrelevant = [s for s in run.skips if s.reason == NOT_RELEVANT]
            if irrelevant:
                out.print(
                    f"  skipped [{run.source}] {len(irrelevant)} page(s): {NOT_RELEVANT}",
                    markup=False,
                )
            for skip in run.skips:
                if skip.reason != NOT_RELEVANT:
                    out.print(f"  skipped [{run.source}] {skip.url}: {skip.reason}", markup=False)
            if run.error_text:
                out.print(f"  {run.status} [{run.source}]: {run.error_text}", markup=False)
        started = min((r.started for r in runs), default=None)
        finished = max((r.finished or r.started for r in runs), default=None)
        new, revised, flags = [], [], []
        if started is not None and finished is not None:
            flags = [flag_record(f) for f in q.flags_created_between(session, started, finished)]
            new = [article_record(a) for a in q.articles_first_seen_in(session, started, finished)]
            revised = [article_record(a) for a in q.articles_revised_in(session, started, finished)]
    out.print(f"\n{len(new)} new article(s)" + (":" if new else ""))
    if new:
        article_table(out, new[:SUMMARY_ROWS])
        if len(new) > SUMMARY_ROWS:
            out.print(f"… and {len(new) - SUMMARY_ROWS} more (pressmon articles lists them all)")
    if revised:
        out.print(f"\n{len(revised)} revised article(s):")
        article_table(out, revised)
    if flags:
        counts = Counter(f["kind"] for f in flags)
        out.print(
            f"\n{len(flags)} figure flag(s) raised: "
            + ", ".join(f"{counts[k]} {k}" for k in FLAG_KINDS if counts[k])
        )
        shown = [f for f in flags if f["kind"] != "new"] or flags
        flag_table(out, shown[:SUMMARY_ROWS])
        if len(shown) > SUMMARY_ROWS:
            out.print(f"… and {len(shown) - SUMMARY_ROWS} more (pressmon flags lists them all)")


SUMMARY_ROWS = 50  # a crawl summary lists at most this many new articles
OPTIONAL_COUNTS = {"items", "resolved", "headlines", "broken"}


def _figure(value: int | float | None, qualifier: str | None, unit: str | None) -> str:
    if value is None:
        return ""
    words = {"at_least": "≥ ", "at_most": "≤ ", "about": "~ ", "exact": ""}
    suffix = "" if unit in (None, "count") else f" {unit}"
    return f"{words.get(qualifier or 'exact', '')}{value:,}{suffix}"


def _change(f: Mapping[str, Any]) -> str:
    if f["delta"] is None:
        return ""
    percent = f" ({f['percent']:+}%)" if f["percent"] is not None else ""
    return f"{f['delta']:+,}{percent}"


def _previous(f: Mapping[str, Any]) -> str:
    previous = _figure(f["previous_value"], f["previous_qualifier"], f["unit"])
    return previous + (f" ({f['previous_as_of']})" if f["previous_as_of"] else "")


def show_table(
    out: Console, records: Sequence[Mapping[str, Any]], columns: dict[str, Column], empty: str
) -> None:
    """One table: a column per entry, each cell rendered from the record."""
    if not records:
        out.print(empty)
        return
    table = Table()
    for name in columns:
        # A narrow column folds a long word onto more lines instead of cutting it with "…":
        # URLs, metric ids and numbers are copied from here, so every character stays.
        table.add_column(name, overflow="fold")
    for record in records:
        table.add_row(*(render(record) for render in columns.values()))
    out.print(table)


def flag_table(out: Console, records: Sequence[Mapping[str, Any]]) -> None:
    show_table(
        out,
        records,
        {
            "id": lambda f: str(f["id"]),
            "kind": lambda f: f["kind"],
            "metric": lambda f: f["metric"],
            "as of": lambda f: f["as_of"],
            "value": lambda f: _figure(f["value"], f["qualifier"], f["unit"]),
            "previous": _previous,
            "change": _change,
            "state": lambda f: f["state"],
            "where": lambda f: f["url"] + (f"\n{f['revision']}" if f["revision"] else ""),
        },
        "no flags",
    )


def article_table(out: Console, records: Sequence[Mapping[str, Any]]) -> None:
    show_table(
        out,
        records,
        {
            "id": lambda r: str(r["id"]),
            "date": lambda r: r["published"] or r["first_seen"][:10],
            "source": lambda r: r["source"] or "",
            "lang": lambda r: r["language"],
            "title": lambda r: r["title"] or r["url"],
        },
        "no articles",
    )


def article_detail(out: Console, record: Mapping[str, Any], versions: bool) -> None:
    """An article's metadata (only the fields it has), then its text; with `versions`, the
    first version's text and a unified diff from each version to the next."""
    out.print(record["title"] or "(no title)", style="bold", markup=False)
    for key in DETAIL_FIELDS:
        value = record.get(key)
        if value is None or value == [] or value == "":
            continue
        shown = ", ".join(value) if isinstance(value, list) else value
        out.print(f"{key}: {shown}", markup=False)
    out.print(f"versions: {record['versions']}\n")
    history = record["history"]
    if not versions or not history:
        out.print(record["text"], markup=False)
        return
    first = history[0]
    out.print(f"=== version {first['number']} fetched {first['fetched_at']} ===", markup=False)
    out.print(first["text"], markup=False)
    for old, new in itertools.pairwise(history):
        out.print()
        out.print(f"--- version {old['number']} fetched {old['fetched_at']}", markup=False)
        out.print(f"+++ version {new['number']} fetched {new['fetched_at']}", markup=False)
        rows = diff_rows(old["text"], new["text"])
        if not rows:
            out.print("(the same text)")
        for row in rows:
            if row.op == "…":
                out.print(f"@@ {row.skipped} unchanged line(s) @@", style="cyan", markup=False)
            else:  # one text line per diff line, however wide: a diff is read line by line
                line = "".join(segment.text for segment in row.segments)
                out.print(
                    f"{row.op}{line}", style=DIFF_STYLES[row.op], markup=False, soft_wrap=True
                )


DETAIL_FIELDS = (
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
)
DIFF_STYLES = {" ": "", "-": "red", "+": "green"}


def search_results(out: Console, records: Sequence[Mapping[str, Any]]) -> None:
    if not records:
        out.print("no matches")
    for r in records:
        out.print(
            f"[bold]{r['id']}[/bold] {r['published'] or ''} {r['source'] or ''} "
            f"[{r['language']}] {r['title']}"
        )
        out.print(f"    {r['snippet']}", markup=False)


def cleaned(out: Console, record: dict[str, Any]) -> None:
    out.print(f"== {record['path']}", markup=False)
    for key in ("title", "date", "author", "sitename", "language"):
        out.print(f"{key}: {record[key]}", markup=False)
    out.print(f"\n{record['text']}\n", markup=False)


# -- figures ---------------------------------------------------------------------------------
def mention_table(out: Console, records: Sequence[Mapping[str, Any]]) -> None:
    show_table(
        out,
        records,
        {
            "subject": lambda r: r["subject"],
            "metric": lambda r: r["metric"],
            "figure": lambda r: _figure(r["value"], r["qualifier"], r["unit"]),
            "as written": lambda r: r["text"],
            "as of": lambda r: r["as_of"] or "",
        },
        "no figures",
    )


def history_table(out: Console, records: Sequence[Mapping[str, Any]]) -> None:
    def flags(r: Mapping[str, Any]) -> str:
        return ", ".join(
            f"{f['kind']}#{f['id']}" + ("" if f["state"] == "open" else f" ({f['state']})")
            for f in r["flags"]
        )

    show_table(
        out,
        records,
        {
            "as of": lambda r: r["as_of"],
            "figure": lambda r: _figure(r["value"], r["qualifier"], r["unit"]),
            "as written": lambda r: r["text"],
            "flags": flags,
            "source": lambda r: f"{r['title']}\n{r['url']}",
        },
        "no mentions",
    )


def current_table(out: Console, records: Sequence[Mapping[str, Any]]) -> None:
    show_table(
        out,
        records,
        {
            "metric": lambda r: r["metric"],
            "figure": lambda r: _figure(r["value"], r["qualifier"], r["unit"]),
            "as of": lambda r: r["as_of"],
            "as written": lambda r: r["text"],
            "source": lambda r: r["url"],
        },
        "no figures on record",
    )


def ingested(out: Console, store: Store, path: Path, result: Ingested) -> None:
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
        flag_table(out, flags)
    elif result.outcome in ("new", "revised"):
        out.print("no flags raised")
