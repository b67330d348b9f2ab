"""The language packs load, and every cue a rule reads is there."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from figures.catalogue import DEFAULT_PATH, read_yaml
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


ROOT = DEFAULT_PATH.parents[1]
ODD_YAML = """
dates: [2024-07-19, 2024-07-19 08:30:00+08:00]
booleans: [yes, No, on, OFF, true]
numbers: [0o17, 017, 0x1F, 1_700, 1.7e3, .inf, -.NaN, 12:30]
strings: ['1,700', "HK$1.5bn", 逾1,700間, 香港科技園]
anchored: &org {name: HKSTP}
again: *org
folded: >
  more than
  1,700
empty:
"""


@pytest.mark.parametrize(
    "path",
    [DEFAULT_PATH, _DIR / "en.yaml", _DIR / "zh.yaml", ROOT / "config.yaml",
     ROOT / "samplesite" / "sample-config.yaml"],
    ids=lambda p: p.name,
)  # fmt: skip
def test_shipped_yaml_reads_as_pyyamls_safe_loader_reads_it(path) -> None:
    """`read_yaml` uses libyaml when it can: the catalogue, the packs and the configs
    must come out exactly as the pure-Python safe loader reads them."""
    text = path.read_text(encoding="utf-8")
    assert read_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_odd_scalars_read_as_pyyamls_safe_loader_reads_them() -> None:
    """YAML 1.1's implicit types (dates, yes/no, octal, sexagesimal), anchors and folded
    text resolve the same way in both parsers: the same constructor does the typing."""
    assert read_yaml(ODD_YAML) == yaml.load(ODD_YAML, Loader=yaml.SafeLoader)
