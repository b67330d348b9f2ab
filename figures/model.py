"""The values the figures stage passes around: a mention and a flag.

Plain frozen dataclasses with no database or Scrapy in sight, so extraction
and the flag rules can be tested with literal values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Qualifier = Literal["exact", "at_least", "at_most", "about"]
Unit = Literal["count", "HKD", "USD", "RMB", "sqm", "sqft", "ha", "percent"]
FlagKind = Literal["new", "changed", "conflict", "outdated"]
FLAG_KINDS: tuple[FlagKind, ...] = ("changed", "conflict", "outdated", "new")
"""Every flag kind in the order people read them: what moved first, merely new last."""


@dataclass(frozen=True)
class Mention:
    """One figure an article states: "over 1,100 startups and tech ventures"."""

    subject: str  # the watched organisation's name, or what the sentence credits
    metric: str  # a catalogue key, or "other:<head noun>"
    value: Decimal  # scale applied: HK$68 billion -> 68000000000
    qualifier: Qualifier
    low: Decimal | None  # the interval the statement allows; None = unbounded
    high: Decimal | None
    unit: Unit
    text: str  # the phrase as written
    start: int  # character span of `text` in the clean text
    end: int
    sentence: str
    as_of: date | None  # the article's published date, else first seen
