"""Score the figure extractor (figures.extract) on a labelled corpus.

Usage:  python benchmarks/figures_eval.py PATH [--json]

PATH is a folder of article JSON files in the shape of the shared HKSTP corpus
(id, published, language, text, figures[subject, metric, value, qualifier, unit,
text]). Prints, per language (en; zh = zh-Hant + zh-Hans) and overall:

- value recall: gold figures whose value the extractor finds on an overlapping span,
  whatever metric or subject it gives;
- subject precision: of the mentions given to the watched organisation under a catalogue
  metric, the share that state one of its labelled figures (the value of a label in that
  article); a number about another organisation, or no figure at all, counts against it;
- (metric, value) precision, recall and F1;
- the same with qualifier and unit also required;
- magnitude errors: a predicted value on a gold figure's span that is off from the
  gold value by a factor of 10 or more (there must be none; exit status 1 if any);
- cost: milliseconds of extraction per 1,000 characters of text (each article's fastest
  of three runs, as other processes share the machine).

With --flags it also replays the extracted figures of the dated articles through the
flag rules (figures.record.evaluate) and lists every changed, conflict and outdated
flag; see `flag_report`.

Only watched-subject predictions with a catalogue metric count as predictions, since
the labels cover only those. The extractor keeps one mention per distinct figure in
an article, so precision and recall compare the distinct (metric, value[, qualifier,
unit]) sets of each article; a figure stated twice is one figure here.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures.catalogue import load_catalogue
from figures.extract import extract
from figures.scoring import extract_article, labelled_mention, score, split_by_period

SUBJECT = "HKSTP"


def load_articles(folder: Path) -> list[dict]:
    """The labelled articles in a folder; other JSON files (a gate's baseline) are skipped.

    Labels of a metric the catalogue now splits by period (funds_raised: one year or a
    running total) take the metric their sentence names; see figures.scoring.split_by_period.
    """
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    labelled = [a for a in loaded if isinstance(a, dict) and "text" in a and "figures" in a]
    return split_by_period(labelled, load_catalogue())[0]


def relabelled(folder: Path) -> int:
    """How many labels in the folder `load_articles` moves to a period metric."""
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    labelled = [a for a in loaded if isinstance(a, dict) and "text" in a and "figures" in a]
    return split_by_period(labelled, load_catalogue())[1]


def evaluate(folder: Path) -> tuple[dict[str, dict], list[str]]:
    """Scores per language group and overall (and the cost), plus every magnitude error."""
    catalogue = load_catalogue()
    articles = load_articles(folder)
    for language, warm in (("en", "HKSTP has 1 company."), ("zh", "科技園有1間公司。")):
        # compile the catalogue and load jieba's dictionary once, outside the timing
        extract(warm, language=language, published=None, catalogue=catalogue)
    mentions, seconds = {}, 0.0
    for article in articles:
        timings = []
        for _ in range(3):  # the fastest of three: other processes share the machine
            started = time.perf_counter()
            mentions[article["id"]] = extract_article(article, catalogue, SUBJECT)
            timings.append(time.perf_counter() - started)
        seconds += min(timings)
    report, errors = score(articles, catalogue, SUBJECT, mentions)
    characters = sum(len(a["text"]) for a in articles)
    report["cost"] = {"ms_per_1000_chars": round(seconds * 1e6 / max(characters, 1), 3)}
    return report, errors


# --- flags ---------------------------------------------------------------------------


FlagKey = tuple[str, str, str, str]  # (kind, metric, value, article id)


def gold_flags(folder: Path) -> set[FlagKey]:
    """The flags the record rules give on the LABELLED figures of the dated articles."""
    from figures.record import Observation, evaluate

    observations = []
    for article in _dated(folder):
        for index, label in enumerate(article["figures"]):
            mention = labelled_mention(article, label, SUBJECT)
            observations.append(
                Observation(
                    key=f"{article['id']}:{index}",
                    mention=mention,
                    article=article["id"],
                    position=mention.start,
                )
            )
    flags, _ = evaluate(observations)
    return {
        (
            f.kind,
            f.observation.mention.metric,
            plain_number(f.observation.mention.value),
            str(f.observation.article),
        )
        for f in flags
    }


def tool_flags(folder: Path, config_path: Path) -> set[FlagKey]:
    """The flags pressmon raises when `pressmon ingest` takes the dated articles in date order."""
    from pressmon.config import load_config
    from pressmon.ingest import ingest_file
    from store import Store
    from store import queries as q

    config = load_config(config_path)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/eval.db")
        for article in sorted(_dated(folder), key=lambda a: (a["published"], a["id"])):
            path = Path(tmp) / f"{article['id']}.txt"
            path.write_text(article["text"], encoding="utf-8")
            ingest_file(
                store,
                config,
                path,
                url=f"https://corpus.invalid/{article['id']}",
                published=date.fromisoformat(article["published"]),
                title=article["title"],
            )
        with store.session() as session:
            raised = {
                (
                    f.kind,
                    f.mention.metric,
                    plain_number(f.mention.value),
                    f.mention.article.url.rsplit("/", 1)[-1],
                )
                for f in q.list_flags(session)
                if not f.mention.metric.startswith("other:")
            }
        store.close()
    return raised


def _dated(folder: Path) -> list[dict]:
    articles = load_articles(folder)
    return [a for a in articles if a["published"]]


def plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def flag_report(folder: Path, config_path: Path) -> tuple[list[str], int]:
    """Lines comparing the tool's flags with the rules' flags on the labels; the mismatches."""
    expected, raised = gold_flags(folder), tool_flags(folder, config_path)
    lines = []
    for kind in ("new", "changed", "conflict", "outdated"):
        want = {f for f in expected if f[0] == kind}
        got = {f for f in raised if f[0] == kind}
        lines.append(
            f"{kind:9} expected {len(want):3}  raised {len(got):3}  "
            f"matched {len(want & got):3}  missing {len(want - got):3}  "
            f"extra {len(got - want):3}"
        )
        lines += [f"    missing {' '.join(f[1:])}" for f in sorted(want - got)]
        lines += [f"    extra   {' '.join(f[1:])}" for f in sorted(got - want)]
    return lines, len(expected ^ raised)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="folder of labelled article JSON files")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument(
        "--flags",
        action="store_true",
        help="also compare the flags `pressmon ingest` raises in date order "
        "with the flags the record rules give on the labels",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "config.yaml",
        help="pressmon config for --flags (default: the project's config.yaml)",
    )
    args = parser.parse_args(argv)
    report, errors = evaluate(args.path)
    if args.json:
        print(json.dumps({"scores": report, "magnitude_errors": errors}, indent=2))
    else:
        print(
            f"{'group':8} {'gold':>5} {'val.rec':>8} {'subj.P':>7}   {'(metric,value) P/R/F1':>22}"
            f"   {'+qualifier,unit P/R/F1':>22}"
        )
        for group in ("en", "zh", "overall"):
            row = report[group]
            mv, full = row["metric_value"], row["with_qualifier_unit"]
            print(
                f"{group:8} {row['gold']:>5} {row['value_recall']:>8.3f} "
                f"{row['subject_precision']:>7.3f}   "
                f"{mv['precision']:.3f}/{mv['recall']:.3f}/{mv['f1']:.3f}".ljust(56)
                + f"{full['precision']:.3f}/{full['recall']:.3f}/{full['f1']:.3f}"
            )
        print(f"labels moved to a period metric by their wording: {relabelled(args.path)}")
        print(f"magnitude errors: {len(errors)}")
        print(f"extraction cost: {report['cost']['ms_per_1000_chars']:.3f} ms per 1,000 characters")
        for line in errors:
            print("  " + line)
    mismatched = 0
    if args.flags:
        lines, mismatched = flag_report(args.path, args.config)
        print("flags, tool (ingest in date order) vs rules on the labels:")
        for line in lines:
            print("  " + line)
    return 1 if errors or mismatched else 0


if __name__ == "__main__":
    raise SystemExit(main())
