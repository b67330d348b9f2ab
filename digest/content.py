"""What one digest holds: the period and its flags, new articles and revised articles.

The hinge of the digest stage: `collect` fills it from the store, the renderers
and channels read it, and its JSON form is what the `digest` table keeps, so a
stored digest can be rendered and delivered again (a retried delivery) exactly
as it was first made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Period:
    """(start, end] in naive UTC; no start means "since the beginning"."""

    start: datetime | None
    end: datetime


@dataclass(frozen=True)
class DigestContent:
    """Records in the `--json` shapes (store.records, figures.records), plus digest fields.

    flags: flag_record, changed, conflict, outdated, then new.
    articles: article_record + `site`, `lead`, `aliases`, `cluster` and
        `also_published_by` (the other new copies of the same release, same shape).
    revised: article_record + `site`, `from_version`, `to_version`, `figures`
        (changed / added / removed figure statements, old and new as
        mention_record) and `flags` (the flag records a revision note explains).
    """

    period: Period
    flags: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    revised: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        return not (self.flags or self.articles or self.revised)

    def counts(self) -> dict[str, int]:
        """What every form of the digest counts: an article is an entry of `articles` (one
        release), its syndicated copies are counted apart, never as more articles."""
        return {
            "flags": len(self.flags),
            "articles": len(self.articles),
            "copies": sum(len(a["also_published_by"]) for a in self.articles),
            "revised": len(self.revised),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "period": {
                "start": _stamp(self.period.start),
                "end": _stamp(self.period.end),
            },
            "flags": self.flags,
            "articles": self.articles,
            "revised": self.revised,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DigestContent:
        start = data["period"]["start"]
        return cls(
            period=Period(
                start=datetime.fromisoformat(start) if start else None,
                end=datetime.fromisoformat(data["period"]["end"]),
            ),
            flags=list(data["flags"]),
            articles=list(data["articles"]),
            revised=list(data["revised"]),
        )


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
