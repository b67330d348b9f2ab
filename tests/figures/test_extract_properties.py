"""Properties of extraction that hold for every row of the case table.

- Spans: each mention's text is the original text at its span, whatever the script.
- Script: a Chinese row read in Traditional or in Simplified characters (OpenCC's
  whole conversion, phrases included) states the same figures, each credited to the
  watched organisation or not alike.
- Position: a paragraph put before the text moves every span by its length and
  changes nothing else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from opencc import OpenCC

from figures.catalogue import Catalogue, load_catalogue
from figures.extract import extract
from figures.model import Mention
from tests.figures.test_extract import CASES

ZH_CASES = [c for c in CASES if c["lang"] == "zh"]
TO_SIMPLIFIED, TO_TRADITIONAL = OpenCC("t2s"), OpenCC("s2t")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _figures(mentions: list[Mention]) -> list[tuple[bool, str, Any, str, str]]:
    return sorted((m.subject == "HKSTP", m.metric, m.value, m.qualifier, m.unit) for m in mentions)


def _run(text: str, language: str, catalogue: Catalogue) -> list[Mention]:
    return extract(text, language=language, published=date(2024, 7, 19), catalogue=catalogue)


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}" for i in range(1, len(CASES) + 1)])
def test_every_span_is_the_text_it_names(case: dict[str, Any], catalogue: Catalogue) -> None:
    for m in _run(case["text"], case["lang"], catalogue):
        assert 0 <= m.start < m.end <= len(case["text"])
        assert case["text"][m.start : m.end] == m.text


@pytest.mark.parametrize("case", ZH_CASES, ids=[f"{i:03d}" for i in range(1, len(ZH_CASES) + 1)])
def test_either_chinese_script_states_the_same_figures(
    case: dict[str, Any], catalogue: Catalogue
) -> None:
    simplified = TO_SIMPLIFIED.convert(case["text"])
    traditional = TO_TRADITIONAL.convert(simplified)
    got = {
        script: _figures(_run(text, "zh", catalogue))
        for script, text in (
            ("as written", case["text"]),
            ("zh-Hans", simplified),
            ("zh-Hant", traditional),
        )
    }
    assert got["zh-Hans"] == got["as written"]
    assert got["zh-Hant"] == got["as written"]


@pytest.mark.parametrize("case", CASES[::7], ids=[f"{i:03d}" for i in range(1, len(CASES) + 1, 7)])
def test_a_paragraph_before_the_text_only_moves_the_spans(
    case: dict[str, Any], catalogue: Catalogue
) -> None:
    lead = "以下為新聞稿全文。\n\n" if case["lang"] == "zh" else "The full release follows.\n\n"
    alone = _run(case["text"], case["lang"], catalogue)
    after = _run(lead + case["text"], case["lang"], catalogue)
    assert [(m.subject, m.metric, m.value, m.start + len(lead)) for m in alone] == [
        (m.subject, m.metric, m.value, m.start) for m in after
    ]
