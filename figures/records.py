"""JSON shapes of figures: a mention, a line of a metric's history, a standing value."""

from __future__ import annotations

from typing import Any

from figures.ledger import to_mention
from figures.model import Mention
from store.models import FigureMention, Flag
from store.records import number


def mention_record(m: Mention) -> dict[str, Any]:
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


def history_record(row: FigureMention, flags: list[Flag]) -> dict[str, Any]:
    return {
        **mention_record(to_mention(row)),
        "id": row.id,
        "url": row.article.url,
        "title": row.article.title,
        "flags": [{"id": f.id, "kind": f.kind, "state": f.state} for f in flags],
    }


def current_record(key: tuple[str, str, str], row: FigureMention) -> dict[str, Any]:
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
