"""Relevance: which pages are about the watched organisation, judged with the shipped aliases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crawler.relevance import TEXT_HIT_CAP, TITLE_WEIGHT, AliasMatcher, ContextAlias, Watch

SAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "samplesite" / "sample-config.yaml"


@pytest.fixture(scope="module")
def watch() -> Watch:
    """The watch section users start from: HKSTP in English and Chinese."""
    data = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    return Watch.model_validate(data["watch"])


@pytest.fixture(scope="module")
def matcher(watch: Watch) -> AliasMatcher:
    return watch.matcher


# (text, the alias it must be found as) -- each named once in the body.
ONE_ALIAS = [
    (
        "Hong Kong Science and Technology Parks Corporation opened a lab.",
        "Hong Kong Science and Technology Parks Corporation",
    ),
    ("Tenants at HKSTP doubled.", "HKSTP"),
    ("A robotics team moved into the InnoCentre in Kowloon Tong.", "InnoCentre"),
    ("Hong Kong Science Park hosted the fair.", "Hong Kong Science Park"),
    ("香港科技園公司今日宣布新計劃。", "香港科技園公司"),
    ("香港科技园公司今日宣布新计划。", "香港科技园公司"),
    ("初創企業進駐香港科學園。", "香港科學園"),
    ("初创企业进驻香港科学园。", "香港科学园"),
    ("新大樓位於科學園第三期。", "科學園"),
    ("新大楼位于科学园第三期。", "科学园"),
]


@pytest.mark.parametrize(("text", "alias"), ONE_ALIAS)
def test_english_and_chinese_aliases_score_one_per_mention(
    matcher: AliasMatcher, text: str, alias: str
) -> None:
    verdict = matcher.judge(None, text)
    assert verdict.aliases == (alias,)
    assert verdict.score == 1


def test_title_weighs_more_than_text(matcher: AliasMatcher) -> None:
    in_title = matcher.judge("HKSTP opens a lab", "A new laboratory opened on Monday.")
    in_text = matcher.judge("A lab opens", "HKSTP opened a new laboratory on Monday.")
    assert in_title.score == TITLE_WEIGHT
    assert in_text.score == 1
    assert in_title.relevant and not in_text.relevant


def test_a_title_alias_counts_once_however_often_it_repeats(matcher: AliasMatcher) -> None:
    assert matcher.judge("HKSTP, HKSTP, HKSTP", "").score == TITLE_WEIGHT


def test_text_hits_are_capped(matcher: AliasMatcher) -> None:
    text = " ".join(["HKSTP said so."] * (TEXT_HIT_CAP + 5))
    assert matcher.judge(None, text).score == TEXT_HIT_CAP


CAMBRIDGE = (
    "Cambridge Science Park, founded by Trinity College in 1970, added a new building. "
    "Science Park tenants include drug developers and chip designers."
)


def test_science_park_alone_is_someone_elses(matcher: AliasMatcher) -> None:
    verdict = matcher.judge("Cambridge Science Park grows", CAMBRIDGE)
    assert verdict.score == 0
    assert verdict.aliases == ()
    assert not verdict.relevant


@pytest.mark.parametrize("context", ["Hong Kong", "Pak Shek Kok", "Sha Tin", "Tai Po", "香港"])
def test_science_park_with_its_context_is_ours(matcher: AliasMatcher, context: str) -> None:
    text = f"The Science Park in {context} added a building. Science Park tenants moved in."
    verdict = matcher.judge(None, text)
    assert verdict.aliases == ("Science Park",)
    assert verdict.score == 2
    assert verdict.relevant


def test_context_in_the_title_counts_for_the_text(matcher: AliasMatcher) -> None:
    verdict = matcher.judge("Hong Kong startups", "Science Park tenants raised funds.")
    assert verdict.aliases == ("Science Park",)


def test_longest_alias_wins(matcher: AliasMatcher) -> None:
    verdict = matcher.judge(None, "Hong Kong Science Park opened its doors.")
    assert verdict.aliases == ("Hong Kong Science Park",)
    assert verdict.score == 1


def test_longest_chinese_alias_wins(matcher: AliasMatcher) -> None:
    verdict = matcher.judge(None, "香港科技園公司表示，香港科學園已滿。")
    assert verdict.aliases == ("香港科技園公司", "香港科學園")
    assert verdict.score == 2


@pytest.mark.parametrize("text", ["hkstp said", "Hkstp said", "HKSTP said", "innocentre tenants"])
def test_latin_aliases_ignore_case(matcher: AliasMatcher, text: str) -> None:
    assert matcher.judge(None, text).score == 1


@pytest.mark.parametrize(
    "text", ["Hong Kong\nScience Park", "Hong  Kong Science\tPark", "hong kong science park"]
)
def test_aliases_match_across_any_whitespace(matcher: AliasMatcher, text: str) -> None:
    assert matcher.judge(None, text).aliases == ("Hong Kong Science Park",)


@pytest.mark.parametrize(
    "text", ["HKSTPX is a ticker.", "The XHKSTP fund.", "HKSTP2 team", "superinnocentre"]
)
def test_no_match_inside_another_word(matcher: AliasMatcher, text: str) -> None:
    assert matcher.judge(None, text).score == 0


@pytest.mark.parametrize("text", ["HKSTP's tenants", "HKSTP-run labs", "(HKSTP)", "HKSTP."])
def test_punctuation_ends_a_word(matcher: AliasMatcher, text: str) -> None:
    assert matcher.judge(None, text).score == 1


def test_latin_alias_inside_chinese_text(matcher: AliasMatcher) -> None:
    assert matcher.judge(None, "活動由HKSTP主辦。").aliases == ("HKSTP",)


@pytest.mark.parametrize(
    ("text", "relevant"),
    [
        ("HKSTP said so.", False),  # 1 < 2
        ("HKSTP said so. HKSTP agreed.", True),  # 2 == threshold: kept
        ("HKSTP said so. HKSTP agreed. HKSTP again.", True),
    ],
)
def test_threshold_is_inclusive(matcher: AliasMatcher, text: str, relevant: bool) -> None:
    assert matcher.threshold == 2.0
    assert matcher.judge(None, text).relevant is relevant


def test_threshold_comes_from_the_watch() -> None:
    strict = Watch(name="HKSTP", aliases=("HKSTP",), threshold=4)
    assert not strict.matcher.judge("HKSTP", "").relevant  # 3 < 4
    assert strict.matcher.judge("HKSTP", "HKSTP opened a lab.").relevant  # 3 + 1 == 4


def test_a_watch_with_context_aliases_only_as_configured() -> None:
    watch = Watch(
        name="Acme",
        aliases=("Acme Corporation",),
        context_aliases=(ContextAlias(alias="the Works", context=("Acme",)),),
        threshold=1,
    )
    assert not watch.matcher.judge(None, "Visitors toured the Works.").relevant
    assert watch.matcher.judge(None, "Acme staff led visitors around the Works.").aliases == (
        "the Works",
    )
