"""The quality gate: the extractor's scores on text nobody tuned it to may not fall.

tests/figures/gate/ holds labelled articles written for this gate (fact sheets, bulleted
key figures, a LegCo reply, a speech, a blog, a social post, a headline, prose; English,
Traditional and Simplified Chinese; numbers in words, abbreviated, space-separated;
other organisations' figures beside the watched one's; two articles about other parks).
Their scores (figures.scoring, the measures of benchmarks/figures_eval.py) must stay at
or above the floors in gate/baseline.json, in the style of trafilatura's eval_gate: a
change that makes the extractor right on one text and wrong on another fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from figures.catalogue import Catalogue, load_catalogue
from figures.extract import extract
from figures.scoring import GROUPS, flag_sets, score

GATE = Path(__file__).with_name("gate")
BASELINE = json.loads((GATE / "baseline.json").read_text(encoding="utf-8"))
ARTICLES: list[dict[str, Any]] = [
    json.loads(p.read_text(encoding="utf-8")) for p in sorted(GATE.glob("g*.json"))
]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def scores(catalogue: Catalogue) -> tuple[dict[str, dict[str, Any]], list[str]]:
    return score(ARTICLES, catalogue)


def test_the_gate_set_is_labelled_in_the_corpus_schema() -> None:
    languages = {a["language"] for a in ARTICLES}
    assert languages == {"en", "zh-Hant", "zh-Hans"}
    assert any(not a["relevant"] for a in ARTICLES)
    for article in ARTICLES:
        assert article["relevant"] or not article["figures"]
        for label in article["figures"]:
            assert label["text"] in article["text"], (article["id"], label["text"])
            assert label["subject"] == "HKSTP"


@pytest.mark.parametrize("group", GROUPS)
def test_scores_stay_above_their_floors(
    group: str, scores: tuple[dict[str, dict[str, Any]], list[str]]
) -> None:
    report, _ = scores
    row, floor = report[group], BASELINE["groups"][group]
    got = {
        "value_recall": row["value_recall"],
        "subject_precision": row["subject_precision"],
        "metric_value_f1": row["metric_value"]["f1"],
        "full_f1": row["with_qualifier_unit"]["f1"],
    }
    below = {k: (v, floor[k]) for k, v in got.items() if v < floor[k]}
    assert not below, f"{group}: (score, floor) fell below the baseline: {below}"


def test_no_magnitude_errors(scores: tuple[dict[str, dict[str, Any]], list[str]]) -> None:
    _, errors = scores
    assert errors == []


def test_flags_from_the_extracted_figures_match_the_flags_from_the_labels(
    catalogue: Catalogue,
) -> None:
    expected, raised = flag_sets(ARTICLES, catalogue)
    assert expected, "the gate set must exercise the flag rules"
    precision = len(expected & raised) / len(raised) if raised else 1.0
    recall = len(expected & raised) / len(expected)
    floor = BASELINE["flags"]
    assert precision >= floor["precision"], sorted(raised - expected)
    assert recall >= floor["recall"], sorted(expected - raised)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Tencent has 105,000 employees worldwide.", "en"),
        ("Singapore's one-north hosts 800 companies.", "en"),
        ("新加坡的科技園區有800間企業", "zh"),
        ("新加坡的科技园区有800间企业", "zh"),
    ],
)
def test_another_organisations_number_is_not_the_watched_ones(
    text: str, language: str, catalogue: Catalogue
) -> None:
    mentions = extract(text, language=language, published=None, catalogue=catalogue)
    assert [m for m in mentions if m.subject == "HKSTP"] == []


def test_the_seed_pair_flags_its_four_moved_figures_as_changed(catalogue: Catalogue) -> None:
    from datetime import date

    from figures.record import Observation, evaluate

    release = (
        "HKSTP turns 20. Its parks are home to over 1,100 startups and tech ventures from "
        "24 countries, with 17,000 people at work, 11,000 of them R&D professionals."
    )
    blog = (
        "Back at Science Park: HKSTP now has 1,700 companies and 20,000 employees, among them "
        "13,000 R&D specialists, from 26 nations."
    )
    observations = []
    pair = ((release, date(2022, 7, 11)), (blog, date(2023, 8, 30)))
    for article, (text, day) in enumerate(pair):
        for index, m in enumerate(extract(text, language="en", published=day, catalogue=catalogue)):
            if m.subject == "HKSTP":
                observations.append(Observation(f"{article}:{index}", m, article, m.start))
    flags, _ = evaluate(observations)
    changed = {f.observation.mention.metric for f in flags if f.kind == "changed"}
    assert {"companies", "workforce", "rnd_professionals", "countries"} <= changed
