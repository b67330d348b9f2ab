"""The language packs load, and every cue a rule reads is there."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from figures.packs import _DIR, Pack, pack

RULE_CUES = {
    "en": ["possession_verbs", "owner_openers", "copulas", "qualifiers_before", "not_qualifiers",
           "outreach_verbs", "generic_nouns", "partitive_pronouns", "locatives", "part_nouns",
           "origin_cues", "projection_cues", "scale_words", "coordinators", "change_from"],
    "zh": ["owner_tags", "possession_verbs", "speech_verbs", "flow_cues", "outreach_verbs",
           "generic_nouns", "range_marks", "person_measures", "qualifiers_before", "change_to",
           "part_openers", "locatives", "part_nouns", "origin_cues", "projection_cues",
           "scale_words", "classifiers", "coordinators"],
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_cue_a_rule_reads_is_in_the_pack(language: str) -> None:
    loaded = pack(language)
    assert loaded.language == language
    for name in RULE_CUES[language]:
        assert getattr(loaded, name), f"{language} pack: {name} is empty"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_pack_names_only_known_cues(language: str) -> None:
    data = yaml.safe_load((_DIR / f"{language}.yaml").read_text(encoding="utf-8"))
    known = {f.name for f in dataclasses.fields(Pack)}
    assert set(data) <= known, sorted(set(data) - known)
    assert all(v is not None for v in data.values())
    for words in data.values():
        items = words.keys() if isinstance(words, dict) else words
        assert all(isinstance(w, str) and w.strip() for w in items), words


def test_other_languages_read_as_english() -> None:
    assert pack("fr") == pack("en")
