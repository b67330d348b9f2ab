"""The figure extractor on text it was not developed on: the sample newsroom's labelled pages.

Each page of both editions is rendered by the sample site's own code, cleaned as a crawl
cleans it, and run through `figures.extract`; HKSTP's catalogue figures must be exactly
the labels in the page's front matter (`PageInfo.figures`). A false figure here is a
false flag in a user's digest, and a missed one is a change the digest never reports.

`python -m tests.figures.test_sample_newsroom` prints precision and recall per edition.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

import pytest

from crawler.clean import clean_document
from figures.catalogue import Catalogue, load_catalogue
from figures.extract import extract
from figures.model import Mention
from samplesite import pages
from samplesite.articles import EDITIONS, PageInfo
from samplesite.render import Resource, resolve

BASE = "http://127.0.0.1:8765"
SUBJECT = "HKSTP"
Figure = tuple[str, Decimal, str, str]

# Words no one counts as a figure about an organisation: time units, and the abstract
# or activity nouns a careless reader of "three numbers" or "two trade missions" keeps.
NOT_COUNTED = {
    "second", "minute", "hour", "day", "week", "month", "year", "decade", "century",
    "number", "figure", "language", "plan", "mission", "trip", "party", "thing", "way",
    "question", "time", "more", "last", "where",
    "秒", "分钟", "小时", "钟头", "天", "日", "星期", "礼拜", "周", "月", "年",
    "间", "家", "个", "名", "位", "项", "宗", "次",
}  # fmt: skip


@cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def _cases() -> list[tuple[int, PageInfo]]:
    return [(edition, page) for edition in EDITIONS for page in pages(edition)]


@cache
def _mentions(edition: int, path: str) -> tuple[Mention, ...]:
    """What a crawl of this page would extract: served HTML or PDF -> clean text -> figures."""
    page = next(p for p in pages(edition) if p.path == path)
    resource = resolve(edition, path, "", BASE)
    assert isinstance(resource, Resource), path
    clean = clean_document(resource.body, url=BASE + path, content_type=resource.content_type)
    return tuple(
        extract(
            clean.text,
            language=page.language,
            published=page.published,
            catalogue=_catalogue(),
            subject=SUBJECT,
        )
    )


def _found(edition: int, page: PageInfo) -> set[Figure]:
    metrics = {m.key for m in _catalogue().metrics}
    return {
        (m.metric, m.value, m.qualifier, m.unit)
        for m in _mentions(edition, page.path)
        if m.subject == SUBJECT and m.metric in metrics
    }


def _labelled(page: PageInfo) -> set[Figure]:
    return {
        (f["metric"], Decimal(str(f["value"])), f["qualifier"], f["unit"]) for f in page.figures
    }


def _id(case: tuple[int, PageInfo]) -> str:
    edition, page = case
    return f"ed{edition}-{page.path.strip('/').replace('/', '-')}"


@pytest.mark.parametrize("case", _cases(), ids=[_id(c) for c in _cases()])
def test_hkstp_figures_are_the_labelled_ones(case: tuple[int, PageInfo]) -> None:
    edition, page = case
    found, labelled = _found(edition, page), _labelled(page)
    assert {"missed": labelled - found, "false": found - labelled} == {
        "missed": set(),
        "false": set(),
    }


@pytest.mark.parametrize("case", _cases(), ids=[_id(c) for c in _cases()])
def test_other_keys_name_things_an_organisation_counts(case: tuple[int, PageInfo]) -> None:
    """An `other:` key becomes a metric of its own in the record, so it must name a counted
    thing (engineers, patents, 投資者), never a time unit, a measure word or an idea."""
    edition, page = case
    for m in _mentions(edition, page.path):
        if m.subject != SUBJECT or not m.metric.startswith("other:"):
            continue
        noun = m.metric.removeprefix("other:").removeprefix("new-")
        assert re.fullmatch(r"[a-z][a-z&'-]*|[\u4e00-\u9fff]+|[a-z_]+", noun), m.metric
        assert noun not in NOT_COUNTED, (m.metric, m.text, m.sentence)


def test_the_labels_cover_every_edition_and_the_revision() -> None:
    """The labels are the ground truth other tests compare with: they must be there."""
    one, two = pages(1), pages(2)
    assert sum(len(p.figures) for p in one) >= 90
    revised = next(p for p in two if p.revised)
    before = next(p for p in one if p.path == revised.path)
    assert _labelled(before) != _labelled(revised)
    assert all(not p.figures for p in two if not p.relevant)


def scores() -> dict[str, tuple[float, float, int, int]]:
    """Precision and recall of HKSTP's catalogue figures per edition: (P, R, tp+fp, gold)."""
    result = {}
    for edition in EDITIONS:
        tp = predicted = gold = 0
        for page in pages(edition):
            found, labelled = _found(edition, page), _labelled(page)
            tp, predicted, gold = (
                tp + len(found & labelled),
                predicted + len(found),
                gold + len(labelled),
            )
        result[f"edition {edition}"] = (tp / predicted, tp / gold, predicted, gold)
    return result


if __name__ == "__main__":
    for name, (precision, recall, predicted, gold) in scores().items():
        counts = f"{predicted} found, {gold} labelled"
        print(f"{name}: precision {precision:.3f} recall {recall:.3f} ({counts})")
