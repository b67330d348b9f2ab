"""Relevance: is a cleaned page about the watched organisation?

Sits between cleaning and dedupe. A page scores points for each alias it
names (more in the title); ambiguous aliases such as "Science Park" count only
where the text also gives the context that makes them ours, so Cambridge
Science Park never scores for HKSTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

TITLE_WEIGHT = 3.0
TEXT_HIT_CAP = 10


class ContextAlias(BaseModel):
    """An alias that names the organisation only beside one of its context words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alias: str = Field(..., min_length=1, description="The ambiguous wording, e.g. 'Science Park'.")
    context: tuple[str, ...] = Field(
        ..., min_length=1, description="Words that must also appear, e.g. 'Hong Kong'."
    )


class Watch(BaseModel):
    """The watched organisation: its name, its own sites and how texts name it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(..., min_length=1, description="Short name used as the figures' subject.")
    own_sites: tuple[str, ...] = Field(
        (),
        description="URL prefixes of the organisation's own site: syndication's source of truth.",
    )
    aliases: tuple[str, ...] = Field(
        ..., min_length=1, description="Names that always mean the organisation (any language)."
    )
    context_aliases: tuple[ContextAlias, ...] = Field(
        (), description="Names that mean it only with a context word in the same text."
    )
    threshold: float = Field(
        2.0, ge=0, description="Score a page needs to be kept: 3 per alias in the title, 1 per hit."
    )

    @cached_property
    def matcher(self) -> AliasMatcher:
        return AliasMatcher(self)


@dataclass(frozen=True)
class Relevance:
    """The verdict on one page."""

    score: float
    aliases: tuple[str, ...]  # the aliases found, as configured
    relevant: bool


def _pattern(alias: str) -> str:
    escaped = re.escape(alias).replace(r"\ ", r"\s+")
    if alias.isascii():  # whole Latin words; a Han neighbour counts as a boundary (活動由HKSTP主辦)
        return rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
    return escaped


def _alternation(aliases: list[str]) -> re.Pattern[str] | None:
    if not aliases:
        return None
    # Longest first, so "Hong Kong Science Park" wins over "Science Park".
    ordered = sorted(set(aliases), key=len, reverse=True)
    return re.compile("|".join(f"({_pattern(a)})" for a in ordered), re.IGNORECASE)


class AliasMatcher:
    """Finds the organisation's aliases in a text, longest match first."""

    def __init__(self, watch: Watch) -> None:
        self.threshold = watch.threshold
        everything = list(watch.aliases) + [c.alias for c in watch.context_aliases]
        self._ordered = sorted(set(everything), key=len, reverse=True)
        self._regex = _alternation(everything)
        self._contexts = {c.alias: _alternation(list(c.context)) for c in watch.context_aliases}

    def _hits(self, text: str, context_in: str) -> list[str]:
        """Aliases found in `text`; a context alias counts only if `context_in` has its context."""
        if not text or self._regex is None:
            return []
        found = []
        for match in self._regex.finditer(text):
            alias = self._ordered[match.lastindex - 1]  # type: ignore[operator]
            context = self._contexts.get(alias)
            if context is None or context.search(context_in):
                found.append(alias)
        return found

    def judge(self, title: str | None, text: str) -> Relevance:
        """Score a page from the aliases in its title (weighted) and its text (capped)."""
        whole = f"{title or ''}\n{text}"
        title_hits = self._hits(title or "", whole)
        text_hits = self._hits(text, whole)
        score = TITLE_WEIGHT * len(set(title_hits)) + min(len(text_hits), TEXT_HIT_CAP)
        aliases = tuple(dict.fromkeys(title_hits + text_hits))
        return Relevance(score=score, aliases=aliases, relevant=score >= self.threshold)
