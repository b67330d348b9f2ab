"""The figure commands end to end: extract, ingest, flags and their review, history, current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cli, database_url

RELEASE_2022 = (
    "HKSTP marks 20 years\n"
    "Hong Kong Science and Technology Parks Corporation (HKSTP) said its parks are home to "
    "over 1,100 startups and tech ventures and 17,000 people, including 11,000 R&D "
    "professionals. HKSTP thanked its partners.\n"
)
BLOG_2023 = (
    "A visit to Hong Kong Science Park\n"
    "HKSTP now hosts more than 1,700 tech companies and 20,000 employees, according to the "
    "corporation. Hong Kong Science Park keeps growing.\n"
)
CAMBRIDGE = (
    "Cambridge Science Park at fifty\n"
    "The Science Park in Cambridge is home to more than 100 companies and 7,000 people.\n"
)
MENTION_KEYS = {
    "subject",
    "metric",
    "value",
    "qualifier",
    "low",
    "high",
    "unit",
    "text",
    "start",
    "end",
    "sentence",
    "as_of",
}


@pytest.fixture
def figures_cli(tmp_path: Path) -> Cli:
    """The shipped config (no site needed) and an empty store."""
    return Cli(config=ROOT / "config.yaml", db_url=database_url(tmp_path, "f"), cwd=tmp_path)


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_figures_extract_prints_mentions_as_json(figures_cli: Cli, tmp_path: Path) -> None:
    path = _file(tmp_path, "release.txt", RELEASE_2022)
    mentions = figures_cli.json("figures", "extract", path, "--published", "2022-07-11")
    assert mentions and all(set(m) == MENTION_KEYS for m in mentions)
    companies = next(m for m in mentions if m["metric"] == "companies")
    assert companies == {
        **companies,
        "subject": "HKSTP",
        "value": 1100,
        "qualifier": "at_least",
        "low": 1100,
        "high": None,
        "unit": "count",
        "as_of": "2022-07-11",
    }
    assert RELEASE_2022[companies["start"] : companies["end"]] == companies["text"]
    assert {m["metric"] for m in mentions} >= {"companies", "workforce", "rnd_professionals"}


def test_figures_extract_reads_html_and_chinese(figures_cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "zh.html"
    page.write_text(
        "<html lang='zh-HK'><head><meta charset='utf-8'><title>科學園</title></head><body>"
        "<article><p>香港科技園公司表示，香港科學園現有逾1,100間初創企業，研發人員約1.1萬名。</p>"
        "<p>香港科技園公司的園區公司去年共集資680億港元。</p></article></body></html>",
        encoding="utf-8",
    )
    mentions = figures_cli.json("figures", "extract", str(page))
    values = {(m["metric"], m["value"], m["unit"]) for m in mentions}
    assert ("rnd_professionals", 11000, "count") in values
    assert ("funds_raised_year", 68_000_000_000, "HKD") in values  # 去年: one year


def test_ingest_stores_and_flags_a_changed_figure(figures_cli: Cli, tmp_path: Path) -> None:
    first = figures_cli(
        "ingest",
        _file(tmp_path, "a.txt", RELEASE_2022),
        "--published",
        "2022-07-11",
        "--url",
        "https://example.org/a",
    ).stdout
    assert "stored as a new article" in first and "figure(s) found" in first
    second = figures_cli(
        "ingest",
        _file(tmp_path, "b.txt", BLOG_2023),
        "--published",
        "2023-11-08",
        "--url",
        "https://example.org/b",
    ).stdout
    assert "stored as a new article" in second and "changed" in second
    again = figures_cli("ingest", str(tmp_path / "a.txt"), "--url", "https://example.org/a")
    assert "unchanged" in again.stdout
    other = figures_cli(
        "ingest", _file(tmp_path, "c.txt", CAMBRIDGE), "--url", "https://example.org/c"
    ).stdout
    assert "not relevant" in other
    assert len(figures_cli.json("articles")) == 2

    flags = figures_cli.json("flags", "--kind", "changed", "--since", "2023-01-01")
    assert {f["metric"] for f in flags} == {"companies", "workforce"}
    changed = next(f for f in flags if f["metric"] == "companies")
    assert (changed["value"], changed["previous_value"]) == (1700, 1100)
    assert (changed["delta"], changed["percent"]) == (600, 54.5)
    assert (changed["url"], changed["previous_url"]) == (
        "https://example.org/b",
        "https://example.org/a",
    )
    assert changed["previous_as_of"] == "2022-07-11" and changed["state"] == "open"
    assert "1,700 tech companies" in changed["sentence"]


def _current(cli: Cli, metric: str) -> int:
    return next(r["value"] for r in cli.json("figures", "current") if r["metric"] == metric)


def test_dismissing_a_change_restores_the_previous_value(figures_cli: Cli, tmp_path: Path) -> None:
    figures_cli("ingest", _file(tmp_path, "a.txt", RELEASE_2022), "--published", "2022-07-11")
    figures_cli("ingest", _file(tmp_path, "b.txt", BLOG_2023), "--published", "2023-11-08")
    assert _current(figures_cli, "companies") == 1700
    flag = next(
        f for f in figures_cli.json("flags", "--kind", "changed") if f["metric"] == "companies"
    )
    out = figures_cli(
        "flags", "dismiss", str(flag["id"]), "--note", "a blog's round number", "--by", "analyst"
    ).stdout
    assert "dismissed" in out
    assert _current(figures_cli, "companies") == 1100
    reviewed = next(f for f in figures_cli.json("flags") if f["id"] == flag["id"])
    assert (reviewed["state"], reviewed["reviewed_by"], reviewed["note"]) == (
        "dismissed",
        "analyst",
        "a blog's round number",
    )
    assert reviewed["reviewed_at"]
    assert flag["id"] not in [f["id"] for f in figures_cli.json("flags", "--open")]
    figures_cli("flags", "accept", str(flag["id"]), "--by", "analyst")
    assert _current(figures_cli, "companies") == 1700
    missing = figures_cli("flags", "accept", "9999", check=False)
    assert missing.returncode == 1 and "no flag with id 9999" in missing.stderr


def test_the_record_does_not_depend_on_ingest_order(figures_cli: Cli, tmp_path: Path) -> None:
    other = Cli(figures_cli.config, database_url(tmp_path, "other"), tmp_path)
    a = _file(tmp_path, "a.txt", RELEASE_2022)
    b = _file(tmp_path, "b.txt", BLOG_2023)
    figures_cli("ingest", a, "--published", "2022-07-11", "--url", "https://example.org/a")
    figures_cli("ingest", b, "--published", "2023-11-08", "--url", "https://example.org/b")
    other("ingest", b, "--published", "2023-11-08", "--url", "https://example.org/b")
    other("ingest", a, "--published", "2022-07-11", "--url", "https://example.org/a")

    def flags(cli: Cli) -> set[tuple]:
        return {
            (f["kind"], f["metric"], f["value"], f["previous_value"], f["url"])
            for f in cli.json("flags")
        }

    assert flags(figures_cli) == flags(other)
    assert figures_cli.json("figures", "current") == other.json("figures", "current")


def test_history_lists_every_statement_with_its_flags(figures_cli: Cli, tmp_path: Path) -> None:
    figures_cli("ingest", _file(tmp_path, "a.txt", RELEASE_2022), "--published", "2022-07-11")
    figures_cli("ingest", _file(tmp_path, "b.txt", BLOG_2023), "--published", "2023-11-08")
    history = figures_cli.json("figures", "history", "companies")
    assert [(h["as_of"], h["value"]) for h in history] == [
        ("2022-07-11", 1100),
        ("2023-11-08", 1700),
    ]
    assert [[f["kind"] for f in h["flags"]] for h in history] == [["new"], ["changed"]]
    text = figures_cli("figures", "history", "companies").stdout
    assert "over 1,100 startups and tech ventures" in text
    assert json.loads(figures_cli("figures", "history", "no_such_metric", "--json").stdout) == []


def test_bad_figure_inputs_are_one_line(figures_cli: Cli, tmp_path: Path) -> None:
    missing = figures_cli("ingest", str(tmp_path / "nope.txt"), check=False)
    assert missing.returncode == 1 and "nope.txt" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    bad_date = figures_cli(
        "figures",
        "extract",
        _file(tmp_path, "a.txt", RELEASE_2022),
        "--published",
        "July 2022",
        check=False,
    )
    assert bad_date.returncode == 1 and "--published 'July 2022'" in bad_date.stderr
