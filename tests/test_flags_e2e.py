"""The sample newsroom's two editions raise the flags its articles plant, and no others."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from figures.ledger import observation
from figures.record import evaluate
from samplesite import pages
from samplesite.articles import articles
from store import queries as q
from tests.conftest import Cli, crawl_sample


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """Edition 1, then edition 2, crawled into one store."""
    return crawl_sample(tmp_path_factory.mktemp("flags"))


def _label_set(labels) -> set[tuple]:
    return {(f["metric"], Decimal(str(f["value"])), f["qualifier"], f["unit"]) for f in labels}


def test_stored_figures_are_the_labelled_ones(crawled: Cli) -> None:
    store = crawled.store()
    with store.session() as session:
        found: dict[str, set[tuple]] = {}
        for row in q.current_mentions(session, "HKSTP"):
            if not row.metric.startswith("other:"):
                found.setdefault(urlsplit(row.article.url).path, set()).add(
                    (row.metric, row.value, row.qualifier, row.unit)
                )
    store.close()
    expected = {
        p.path: _label_set(p.figures)
        for p in pages(2)
        if p.relevant and p.discovered_by and p.figures
    }
    assert {path: found.get(path, set()) for path in expected} == expected
    assert set(found) <= set(expected), "no figures where the labels have none"


def test_flags_equal_a_replay_of_the_whole_record(crawled: Cli) -> None:
    """Crawled in two editions and source by source, the flags are those of one fresh replay."""
    store = crawled.store()
    with store.session() as session:
        rows = q.current_mentions(session, "HKSTP")
        replayed, _ = evaluate([observation(r) for r in rows])
        stored = {(f.mention_id, f.kind, f.previous_id) for f in q.list_flags(session)}
    store.close()
    expected = {
        (int(f.observation.key), f.kind, int(f.previous.key) if f.previous else None)
        for f in replayed
    }
    assert stored == expected


def _flags(cli: Cli, kind: str) -> list[dict]:
    return cli.json("flags", "--kind", kind)


def test_every_kind_of_flag_is_raised(crawled: Cli) -> None:
    for kind in ("new", "changed", "conflict", "outdated"):
        assert _flags(crawled, kind), f"no {kind} flag"


def test_same_day_graduate_counts_conflict(crawled: Cli) -> None:
    conflicts = [f for f in _flags(crawled, "conflict") if f["metric"] == "incubation_graduates"]
    assert [(f["as_of"], {f["value"], f["previous_value"]}) for f in conflicts] == [
        ("2020-05-28", {108, 78})
    ]


def test_a_late_blog_repeating_old_figures_is_outdated(crawled: Cli) -> None:
    outdated = {
        (f["metric"], f["value"]) for f in _flags(crawled, "outdated") if f["as_of"] == "2024-11-18"
    }
    assert {("unicorns", 3), ("companies", 1000), ("rnd_professionals", 11000)} <= outdated


def test_the_revised_article_says_what_its_previous_version_said(crawled: Cli) -> None:
    revised = [f for f in crawled.json("flags") if f["revision"]]
    assert revised, "the edition-2 revision raised a flag"
    assert any("2,300" in f["revision"] and f["value"] == 2400 for f in revised)


def test_the_revised_pdf_paper_raises_its_changed_flag(crawled: Cli) -> None:
    """A Legislative Council paper read from PDF: its table's figures are stored and, once
    edition 2 corrects the occupancy rate, the correction is flagged against the record."""
    paper = next(p for p in pages(2) if p.pdf and p.revised)
    changed = [
        f
        for f in _flags(crawled, "changed")
        if f["metric"] == "occupancy" and urlsplit(f["url"]).path == paper.path
    ]
    assert [(f["value"], f["previous_value"]) for f in changed] == [(94, 90)]
    assert any("88%" in (f["revision"] or "") for f in changed)


def test_an_undated_page_is_dated_by_its_feed_and_raises_no_change(crawled: Cli) -> None:
    """The blog's guide gives no publication date; its feed entry was updated on 2024-03-01.
    Its figures speak for that day, not the crawl's, and fill history without raising a
    changed, conflict or outdated flag (a years-old guide is no news)."""
    guide = next(a for a in articles() if a.published is None and a.relevant and a.figures)
    store = crawled.store()
    with store.session() as session:
        rows = [
            r
            for r in q.current_mentions(session, "HKSTP")
            if urlsplit(r.article.url).path == guide.path
        ]
        kinds = {f.kind for f in q.flags_of_mentions(session, [r.id for r in rows])}
    store.close()
    assert rows, "the undated guide's figures are stored"
    assert {r.as_of for r in rows} == {guide.modified}
    assert not kinds & {"changed", "conflict", "outdated"}


def test_a_one_year_amount_is_not_compared_with_a_running_total(crawled: Cli) -> None:
    """HK$780 million raised in 2023's year is its own series; the HK$93.7 billion raised
    since FY2018 changes the HK$68 billion of four years, not the one-year amount."""
    flags = crawled.json("flags")
    money = {
        (f["kind"], f["metric"], f["value"], f["previous_value"])
        for f in flags
        if f["metric"].startswith("funds_raised")
    }
    assert ("new", "funds_raised_year", 780000000, None) in money
    changed = {(v, p) for k, m, v, p in money if k == "changed"}
    assert changed == {(93700000000, 68000000000)}


def test_mentions_outside_the_catalogue_are_stored_but_never_flagged(crawled: Cli) -> None:
    store = crawled.store()
    with store.session() as session:
        noise = [r for r in q.current_mentions(session) if r.metric.startswith("other:")]
        flagged = q.flags_of_mentions(session, [r.id for r in noise])
    store.close()
    assert noise, "the sample newsroom states figures outside the catalogue"
    assert flagged == []
