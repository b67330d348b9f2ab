"""Scores of the figure extractor on labelled articles (the corpus schema of LABELS.md).

Shared by benchmarks/figures_eval.py (any folder, printed) and the quality gate in
tests/figures/test_gate.py (the project's own labelled set, against floors), so the
numbers a change is judged by are computed one way. Pure: articles in, numbers out.

- value recall: labels whose value a mention states on an overlapping span, whatever
  metric or subject it is given;
- subject precision: of the mentions given to the watched organisation under a
  catalogue metric, the share that state one of its labelled values in that article;
- (metric, value) precision, recall, F1 over each article's distinct figures, and the
  same with qualifier and unit;
- magnitude errors: a mention on a label's span off by a factor of 10 or more;
- flags: the flag rules (figures.record) run on the extracted figures of the dated
  articles, compared as (kind, metric, value, article) with the rules run on the labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from figures.catalogue import Catalogue
from figures.extract import extract, period_metric
from figures.model import Mention
from figures.numbers import interval
from figures.record import Observation, evaluate

__all__ = [
    "GROUPS",
    "FlagKey",
    "Tally",
    "extract_article",
    "flag_sets",
    "labelled_mention",
    "score",
    "split_by_period",
]

GROUPS = ("en", "zh", "overall")
FlagKey = tuple[str, str, str, str]  # (kind, metric, value, article id)


@dataclass
class Tally:
    """Counts for one language group."""

    gold_values: int = 0
    found_values: int = 0
    watched: int = 0  # mentions given to the watched organisation (catalogue metrics)
    watched_right: int = 0  # ... that state one of its labelled values
    mv: list[int] = field(default_factory=lambda: [0, 0, 0])  # true pos, predicted, gold
    full: list[int] = field(default_factory=lambda: [0, 0, 0])

    def add(self, other: Tally) -> None:
        self.gold_values += other.gold_values
        self.found_values += other.found_values
        self.watched += other.watched
        self.watched_right += other.watched_right
        for mine, theirs in ((self.mv, other.mv), (self.full, other.full)):
            for i in range(3):
                mine[i] += theirs[i]


def _prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    p = tp / predicted if predicted else 1.0
    r = tp / gold if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)}


def _spans(text: str, phrase: str) -> list[tuple[int, int]]:
    spans, at = [], text.find(phrase)
    while at >= 0:
        spans.append((at, at + len(phrase)))
        at = text.find(phrase, at + 1)
    return spans


def group_of(article: dict[str, Any]) -> str:
    """en, or zh for zh-Hant and zh-Hans."""
    return "zh" if article["language"].startswith("zh") else "en"


def extract_article(article: dict[str, Any], catalogue: Catalogue, subject: str) -> list[Mention]:
    """The extractor's mentions for one labelled article."""
    published = date.fromisoformat(article["published"]) if article["published"] else None
    return extract(
        article["text"],
        language=group_of(article),
        published=published,
        catalogue=catalogue,
        subject=subject,
    )


def score_article(
    article: dict[str, Any], mentions: list[Mention], metrics: set[str], subject: str
) -> tuple[Tally, list[str]]:
    """One article's counts, and a line for each magnitude error."""
    tally, errors = Tally(), []
    text = article["text"]
    for gold in article["figures"]:
        tally.gold_values += 1
        value = Decimal(str(gold["value"]))
        spans = _spans(text, gold["text"])
        near = [m for m in mentions if any(m.start < e and s < m.end for s, e in spans)]
        if any(m.value == value for m in near):
            tally.found_values += 1
        for m in near:
            if value and m.value and max(m.value / value, value / m.value) >= 10:
                errors.append(f"{article['id']}: {gold['text']!r} gold {value}, got {m.value}")
    kept = [m for m in mentions if m.subject == subject and m.metric in metrics]
    gold_values = {Decimal(str(g["value"])) for g in article["figures"]}
    tally.watched += len(kept)
    tally.watched_right += sum(1 for m in kept if m.value in gold_values)
    for bucket, width in ((tally.mv, 2), (tally.full, 4)):
        gold_set = {
            (g["metric"], Decimal(str(g["value"])), g["qualifier"], g["unit"])[:width]
            for g in article["figures"]
        }
        pred_set = {(m.metric, m.value, m.qualifier, m.unit)[:width] for m in kept}
        bucket[0] += len(gold_set & pred_set)
        bucket[1] += len(pred_set)
        bucket[2] += len(gold_set)
    return tally, errors


def score(
    articles: Iterable[dict[str, Any]],
    catalogue: Catalogue,
    subject: str = "HKSTP",
    mentions: dict[str, list[Mention]] | None = None,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Scores per language group and overall, plus every magnitude error.

    `mentions` (article id -> mentions) reuses an extraction already made."""
    metrics = {m.key for m in catalogue.metrics}
    tallies: dict[str, Tally] = defaultdict(Tally)
    errors: list[str] = []
    for article in articles:
        found = (mentions or {}).get(article["id"])
        if found is None:
            found = extract_article(article, catalogue, subject)
        tally, errs = score_article(article, found, metrics, subject)
        tallies[group_of(article)].add(tally)
        tallies["overall"].add(tally)
        errors += errs
    report: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        t = tallies[group]
        report[group] = {
            "gold": t.gold_values,
            "value_recall": round(t.found_values / t.gold_values, 3) if t.gold_values else 1.0,
            "subject_precision": round(t.watched_right / t.watched, 3) if t.watched else 1.0,
            "metric_value": _prf(*t.mv),
            "with_qualifier_unit": _prf(*t.full),
        }
    return report, errors


def _flags(observations: list[Observation], window_days: int) -> set[FlagKey]:
    flags, _ = evaluate(observations, window_days=window_days)
    return {
        (
            f.kind,
            f.observation.mention.metric,
            format(f.observation.mention.value.normalize(), "f"),
            str(f.observation.article),
        )
        for f in flags
    }


def split_by_period(
    articles: Iterable[dict[str, Any]], catalogue: Catalogue
) -> tuple[list[dict[str, Any]], int]:
    """Articles labelled before the catalogue split a metric by period (the shared
    LABELS.md has one funds_raised), relabelled the way the catalogue now reads them: a
    label moves to the one-year metric when its clause or sentence says one year. Returns
    the articles and how many labels moved. The period rule is then not scored by them."""
    out, moved = [], 0
    for article in articles:
        labels = []
        for label in article["figures"]:
            start = article["text"].find(label["text"])
            metric = period_metric(
                article["text"],
                start,
                start + len(label["text"]),
                language=group_of(article),
                metric=label["metric"],
                catalogue=catalogue,
            )
            moved += metric != label["metric"]
            labels.append({**label, "metric": metric})
        out.append({**article, "figures": labels})
    return out, moved


def labelled_mention(article: dict[str, Any], label: dict[str, Any], subject: str) -> Mention:
    """A dated article's labelled figure as the mention the record compares."""
    value = Decimal(str(label["value"]))
    low, high = interval(value, label["qualifier"])
    start = article["text"].find(label["text"])
    return Mention(
        subject=subject,
        metric=label["metric"],
        value=value,
        qualifier=label["qualifier"],
        low=low,
        high=high,
        unit=label["unit"],
        text=label["text"],
        start=start,
        end=start + len(label["text"]),
        sentence="",
        as_of=date.fromisoformat(article["published"]),
    )


def flag_sets(
    articles: Iterable[dict[str, Any]],
    catalogue: Catalogue,
    subject: str = "HKSTP",
    window_days: int = 30,
) -> tuple[set[FlagKey], set[FlagKey]]:
    """(flags the rules give on the labels, flags they give on the extracted figures) of
    the dated articles; only the watched organisation's catalogue metrics raise flags."""
    metrics = {m.key for m in catalogue.metrics}
    gold: list[Observation] = []
    tool: list[Observation] = []
    for article in articles:
        if not article["published"]:
            continue
        for index, label in enumerate(article["figures"]):
            mention = labelled_mention(article, label, subject)
            gold.append(
                Observation(f"{article['id']}:{index}", mention, article["id"], mention.start)
            )
        for index, m in enumerate(extract_article(article, catalogue, subject)):
            if m.subject == subject and m.metric in metrics:
                tool.append(Observation(f"{article['id']}:{index}", m, article["id"], m.start))
    return _flags(gold, window_days), _flags(tool, window_days)
