"""Figures, changes, dates and metric labels as people read them (figures.display), the
catalogue's labels in both languages, and the CLI's tables showing labels, not metric ids."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rich.console import Console

from figures import display
from figures.catalogue import load_catalogue
from figures.errors import CatalogueError
from pressmon import report

FIGURES = [  # value, qualifier, unit, language -> shown
    (92_920_000_000, "exact", "HKD", "en", "HK$92.9 billion"),
    (Decimal("93700000000"), "at_least", "HKD", "en", "over HK$93.7 billion"),
    (1_250_000, "about", "USD", "en", "about US$1.25 million"),
    (3000, "exact", "count", "en", "3,000"),
    (1800, "at_least", "count", "en", "over 1,800"),
    (330_000, "exact", "sqm", "en", "330,000 m²"),
    (92.5, "exact", "percent", "en", "92.5%"),
    (92_920_000_000, "exact", "HKD", "zh", "HK$929億"),
    (35_000, "at_least", "count", "zh", "逾3.5萬"),
    (1800, "about", "count", "zh", "約1,800"),
]


@pytest.mark.parametrize(("value", "qualifier", "unit", "language", "shown"), FIGURES)
def test_figures_have_grouped_digits_and_scale_words(
    value: int, qualifier: str, unit: str, language: str, shown: str
) -> None:
    assert display.figure(value, qualifier, unit, language) == shown


CHANGES = [  # delta, percent, unit -> shown
    (92_920_000_000, 11912.8, "HKD", "+HK$92.9 billion (+11,912.8%)"),
    (3000, None, "count", "+3,000"),
    (-68, -100, "HKD", "−HK$68 (−100%)"),
    (-2000, -14.285, "count", "−2,000 (−14.3%)"),
    (2, 2.2, "percent", "+2 percentage points (+2.2%)"),
    (None, None, "count", ""),
]


@pytest.mark.parametrize(("delta", "percent", "unit", "shown"), CHANGES)
def test_changes_carry_their_sign_and_unit(
    delta: int | None, percent: float | None, unit: str, shown: str
) -> None:
    assert display.change(delta, percent, unit) == shown


def test_dates_periods_and_sites_read_as_words() -> None:
    assert display.day("2024-07-19") == "Jul 19, 2024"
    assert display.day("2024-07-19", "zh") == "2024年7月19日"
    assert display.moment("2025-11-08T09:30:00") == "Nov 8, 2025, 09:30 UTC"
    assert display.period(None, "2025-11-08T00:00:00") == "the beginning – Nov 8, 2025, 00:00 UTC"
    assert display.day("not a date") == "not a date"
    assert display.site("https://www.hkstp.org/en/news/1") == "hkstp.org"


def test_every_metric_has_a_label_in_english_and_chinese() -> None:
    catalogue = load_catalogue()
    for metric in catalogue.metrics:
        assert metric.label is not None, metric.key
        assert metric.label.en.strip() and metric.label.zh.strip(), metric.key
        assert metric.label.en != metric.key
        assert any(not ch.isascii() for ch in metric.label.zh), metric.key
    assert display.metric_label("incubation_graduates") == "Incubation graduates in the year"
    assert display.metric_label("occupancy", language="zh") == "出租率"
    assert display.metric_label("other:money") == "Other (money)"


def test_a_label_given_in_one_language_only_is_refused_naming_it() -> None:
    blank = {"metrics": [{"key": "visitors", "label": {"en": "Visitors", "zh": " "}}]}
    with pytest.raises(CatalogueError, match=r"label\.zh: 'visitors' needs a label"):
        load_catalogue(blank)
    mine = {"metrics": [{"key": "visitors", "label": {"en": "Visitors", "zh": "訪客"}}]}
    assert display.metric_label("visitors", load_catalogue(mine), "zh") == "訪客"


def test_a_users_metric_reads_as_its_key_in_words_or_keeps_the_shipped_label() -> None:
    """A user adding a metric in config.yaml need not write labels; one replacing a shipped
    metric's wordings keeps that metric's label."""
    catalogue = load_catalogue(
        {"metrics": [{"key": "visitors"}, {"key": "unicorns", "wordings": {"en": ["decacorns"]}}]}
    )
    assert display.metric_label("visitors", catalogue) == "Visitors"
    assert display.metric_label("unicorns", catalogue, "zh") == "獨角獸企業"


def test_cli_tables_show_labels_not_metric_ids() -> None:
    out = Console(width=200, record=True)
    flag = {
        "id": 7,
        "kind": "changed",
        "metric": "incubation_graduates",
        "as_of": "2024-07-19",
        "value": 320,
        "qualifier": "exact",
        "unit": "count",
        "previous_value": 300,
        "previous_qualifier": "exact",
        "previous_as_of": "2023-07-19",
        "delta": 20,
        "percent": 6.7,
        "state": "open",
        "url": "https://www.hkstp.org/news/graduates",
        "revision": None,
    }
    report.flag_table(out, [flag])
    shown = out.export_text()
    assert "Incubation graduates in the year" in shown
    assert "incubation_graduates" not in shown
