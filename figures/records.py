"""JSON shapes of figures: a mention, a line of a metric's history, a standing value."""

from __future__ import annotations

from typing import TypedDict

from figures.ledger import to_mention
from figures.model import Mention
from store.models import FigureMention, Flag
from store.records import number


class MentionRecord(TypedDict):
    """A figure as a text states it: the value, how it is qualified, where it stands."""

    subject: str
    metric: str
    value: int | float | None
    qualifier: str  # exact | at_least | at_most | about
    low: int | float | None  # the interval the statement allows; None: unbounded
    high: int | float | None
    unit: str
    text: str  # the figure's words
    start: int  # character offsets in the article text
    end: int
    sentence: str
    as_of: str | None  # ISO date the figure speaks for


class FlagRef(TypedDict):
    id: int
    kind: str
    state: str


class HistoryRecord(MentionRecord):
    """A stored mention in a metric's history: which article, and the flags it raised."""

    id: int
    url: str
    title: str | None
    flags: list[FlagRef]


class CurrentRecord(TypedDict):
    """The value that stands for a series now, and where it was stated."""

    subject: str
    metric: str
    unit: str
    value: int | float | None
    qualifier: str
    text: str
    as_of: str
    url: str
    title: str | None


def mention_record(m: Mention) -> MentionRecord:
    """The JSON shape of a figure mention (as `figures extract --json` prints it)."""
    return {
        "subject": m.subject,
        "metric": m.metric,
        "value": number(m.value),
        "qualifier": m.qualifier,
        "low": number(m.low),
        "high": number(m.high),
        "unit": m.unit,
        "text": m.text,
        "start": m.start,
        "end": m.end,
        "sentence": m.sentence,
        "as_of": m.as_of.isoformat() if m.as_of else None,
    }


def history_record(row: FigureMention, flags: list[Flag]) -> HistoryRecord:
    return {
        **mention_record(to_mention(row)),
        "id": row.id,
        "url": row.article.url,
        "title": row.article.title,
        "flags": [{"id": f.id, "kind": f.kind, "state": f.state} for f in flags],
    }


def current_record(key: tuple[str, str, str], row: FigureMention) -> CurrentRecord:
    return {
        "subject": key[0],
        "metric": key[1],
        "unit": row.unit,
        "value": number(row.value),
        "qualifier": row.qualifier,
        "text": row.text,
        "as_of": row.as_of.isoformat(),
        "url": row.article.url,
        "title": row.article.title,
    }
