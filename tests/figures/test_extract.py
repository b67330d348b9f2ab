"""Figure extraction, checked against the table in cases.yaml and a few unit rules.

The table is the contract: text in, every figure out (subject, metric, value,
qualifier, unit). The unit tests pin the rounding rules that the flag rules share
and the one-line errors a bad `figures:` section produces.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from figures.catalogue import Catalogue, load_catalogue
from figures.errors import CatalogueError
from figures.extract import extract
from figures.numbers import interval, tolerance

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).with_name("cases.yaml")).read_text(encoding="utf-8")
)


def _case_id(index: int, case: dict[str, Any]) -> str:
    """ASCII ids: English opening words, or for Chinese the figures expected."""
    if case["lang"] == "en":
        words = "-".join(re.findall(r"[A-Za-z0-9$&]+", case["text"])[:6])
    else:
        words = "+".join(f"{f['metric']}={f['value']}" for f in case["expect"]) or "no-figure"
        words = words.encode("ascii", "ignore").decode()
    return f"{index:03d}-{case['lang']}-{words}"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.mark.parametrize("case", CASES, ids=[_case_id(i, c) for i, c in enumerate(CASES, start=1)])
def test_case(case: dict[str, Any], catalogue: Catalogue) -> None:
    mentions = extract(
        case["text"], language=case["lang"], published=date(2024, 7, 19), catalogue=catalogue
    )
    got = sorted((m.subject, m.metric, m.value, m.qualifier, m.unit) for m in mentions)
    want = sorted(
        (
            f.get("subject", "HKSTP"),
            f["metric"],
            Decimal(str(f["value"])),
            f["qualifier"],
            f["unit"],
        )
        for f in case["expect"]
    )
    assert got == want
    for m in mentions:
        assert case["text"][m.start : m.end] == m.text
        assert m.text in m.sentence
        assert m.as_of == date(2024, 7, 19)
        assert (m.low, m.high) == interval(m.value, m.qualifier)


def test_table_size_and_coverage() -> None:
    """The table keeps its promised breadth as it is edited."""
    assert len(CASES) >= 200
    assert sum(1 for c in CASES if not c["expect"]) >= 40
    big = [c for c in CASES if any(Decimal(str(f["value"])) >= 1000 for f in c["expect"])]
    assert len(big) >= 50
    assert any(f.get("subject") for c in CASES for f in c["expect"])


def test_published_none_and_span_in_longer_text(catalogue: Catalogue) -> None:
    text = "Intro line.\n\nHKSTP said it has over 1,100 startups and tech ventures today."
    (mention,) = extract(text, language="en", published=None, catalogue=catalogue)
    assert mention.as_of is None
    assert mention.text == "over 1,100 startups and tech ventures"
    assert text[mention.start : mention.end] == mention.text
    assert mention.sentence.startswith("HKSTP said")


def test_other_subject_name_is_the_watched_one(catalogue: Catalogue) -> None:
    """The `subject` argument names the watched organisation; nothing here is HKSTP."""
    text = "Cyberport says it hosts 900 startups. Northbay Labs has 40 staff."
    found = extract(text, language="en", published=None, catalogue=catalogue, subject="Cyberport")
    assert [(m.subject, m.metric, m.value) for m in found] == [
        ("Cyberport", "startups", Decimal(900)),
        ("Northbay Labs", "workforce", Decimal(40)),
    ]


@pytest.mark.parametrize(
    ("value", "qualifier", "expected"),
    [
        ("11000", "exact", "275"),
        ("1700", "exact", "42.5"),
        ("641", "exact", "0.5"),
        ("12200", "about", "610"),
        ("84", "about", "4.2"),
        ("90", "exact", "2.25"),
        ("68000000000", "exact", "500000000"),
        ("93700000000", "exact", "50000000"),
    ],
)
def test_tolerance(value: str, qualifier: Any, expected: str) -> None:
    assert tolerance(Decimal(value), qualifier) == Decimal(expected)


def test_interval_per_qualifier() -> None:
    assert interval(Decimal(1100), "at_least") == (Decimal(1100), None)
    assert interval(Decimal(90), "at_most") == (Decimal(81), Decimal(90))
    assert interval(Decimal(11000), "exact") == (Decimal(10725), Decimal(11275))
    assert interval(Decimal(12200), "about") == (Decimal(11590), Decimal(12810))


def test_default_catalogue_ships_the_stable_keys(catalogue: Catalogue) -> None:
    keys = {m.key for m in catalogue.metrics}
    assert keys == {
        "companies", "startups", "workforce", "rnd_professionals", "countries",
        "floor_area", "land_area", "buildings", "unicorns", "incubation_graduates",
        "incubated_total", "funds_raised", "funds_raised_year", "investment_deals", "venture_fund",
        "occupancy", "partners", "awards",
    }  # fmt: skip
    assert all(m.help for m in catalogue.metrics)


def test_user_metric_wordings_replace_the_default_entry() -> None:
    catalogue = load_catalogue(
        {"metrics": [{"key": "unicorns", "wordings": {"en": ["decacorns"]}}]}
    )
    found = extract(
        "HKSTP has 3 decacorns and 12 unicorns.",
        language="en",
        published=None,
        catalogue=catalogue,
    )
    assert {(m.metric, m.value) for m in found} == {
        ("unicorns", Decimal(3)),
        ("other:unicorn", Decimal(12)),
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"metrics": [{"help": "no key"}]}, r"^figures\.metrics\[18\]\.key: Field required"),
        ({"metrics": [{"key": "Bad Key"}]}, r"^figures\.metrics\[18\]\.key: 'Bad Key'"),
        ({"metrics": [{"key": "x", "units": ["yen"]}]}, r"^figures\.metrics\[18\]\.units\[0\]"),
        ({"metrics": [{"key": "x", "refines": ["nope"]}]}, r"unknown metric 'nope'"),
        ({"metrics": [{"key": "x", "colour": "red"}]}, r"^figures\.metrics\[18\]\.colour"),
        ({"subjects": [{"name": "X", "kind": "moon", "wordings": {}}]}, r"\.kind"),
        ({"watched": {"fr": ["Parc"]}}, r"^figures\.watched\.fr"),
        (["not", "a", "mapping"], r"^figures: expected a mapping"),
    ],
)
def test_catalogue_errors_name_the_key(data: Any, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(data)


def test_an_organisation_known_only_from_its_watch_names() -> None:
    """The watched organisation's names may come from config.yaml's watch alone."""
    bare = load_catalogue({"watched": {}, "watched_sites": {}, "subjects": []})
    text = "Acme Parks now hosts 300 companies. 艾美園區有逾300間公司。"
    before = extract(text, language="en", published=None, catalogue=bare, subject="ACME")
    assert [m.subject for m in before] != ["ACME"]
    watching = bare.watching(["Acme Parks", "艾美園區", " "])
    assert watching.watched.en == ("Acme Parks",) and watching.watched.zh == ("艾美園區",)
    mentions = extract(
        "Acme Parks now hosts 300 companies.",
        language="en",
        published=None,
        catalogue=watching,
        subject="ACME",
    )
    assert [(m.subject, m.metric, m.value) for m in mentions] == [
        ("ACME", "companies", Decimal(300))
    ]
    zh = extract(
        "艾美園區有逾300間公司。", language="zh", published=None, catalogue=watching, subject="ACME"
    )
    assert [(m.subject, m.metric) for m in zh] == [("ACME", "companies")]
