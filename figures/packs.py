"""Language packs: what each language's wording of a figure looks like, as data.

The packs sit beside the metric catalogue (figures/lang/<language>.yaml) and hold
language knowledge, never an organisation's names: the rules in figures.extract
and figures.subjects are small functions that read them. A new wording of a known
construction is a line in a pack, not a new regular expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

from figures.catalogue import read_yaml

__all__ = ["Pack", "pack"]

_DIR = Path(__file__).with_name("lang")


@dataclass(frozen=True)
class Pack:
    """One language's cues (see the comments in its YAML file)."""

    language: str
    possession_verbs: tuple[str, ...] = ()
    verb_fillers: tuple[str, ...] = ()
    not_names: tuple[str, ...] = ()
    owner_tags: tuple[str, ...] = ()
    owner_openers: tuple[str, ...] = ()
    speech_verbs: tuple[str, ...] = ()
    flow_cues: tuple[str, ...] = ()
    outreach_verbs: tuple[str, ...] = ()
    generic_nouns: tuple[str, ...] = ()
    range_marks: tuple[str, ...] = ()
    person_measures: tuple[str, ...] = ()
    partitive_pronouns: tuple[str, ...] = ()
    copulas: tuple[str, ...] = ()
    not_qualifiers: tuple[str, ...] = ()
    ratio_words: tuple[str, ...] = ()
    anaphor_nouns: tuple[str, ...] = ()
    change_from: tuple[str, ...] = ()
    part_openers: tuple[str, ...] = ()
    part_nouns: tuple[str, ...] = ()
    origin_cues: tuple[str, ...] = ()
    all_origins: tuple[str, ...] = ()
    projection_cues: tuple[str, ...] = ()
    past_cues: tuple[str, ...] = ()
    present_cues: tuple[str, ...] = ()
    at_least_before_scale: tuple[str, ...] = ()
    founding_words: tuple[str, ...] = ()
    classifiers: tuple[str, ...] = ()
    scale_words: Mapping[str, int] = field(default_factory=dict)
    short_scales: Mapping[str, int] = field(default_factory=dict)
    coordinators: tuple[str, ...] = ()
    locatives: tuple[str, ...] = ()
    change_to: tuple[str, ...] = ()
    qualifiers_before: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    qualifiers_after: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    period_cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _frozen(value: object) -> object:
    """YAML lists as tuples; mappings of lists as mappings of tuples; numbers as they are."""
    if isinstance(value, dict):
        return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    return tuple(value) if isinstance(value, list) else value


@cache
def pack(language: str) -> Pack:
    """The pack for "en" or "zh" (any other language reads as English)."""
    name = "zh" if language.startswith("zh") else "en"
    data = read_yaml((_DIR / f"{name}.yaml").read_text(encoding="utf-8")) or {}
    fields = {k: _frozen(v) for k, v in data.items()}
    return Pack(language=name, **cast(dict[str, Any], fields))
