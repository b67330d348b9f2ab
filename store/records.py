"""JSON shapes of stored things: what `--json`, the API and digests all print.

One definition per shape, so the CLI, the web app and the digest never drift apart.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from store.models import Article, Flag


def number(value: Decimal | None) -> int | float | None:
    """A Decimal for JSON: an integer when it is whole."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def flag_record(flag: Flag) -> dict[str, Any]:
    """The JSON shape of a flag (as `pressmon flags --json` prints it)."""
    m, p = flag.mention, flag.previous
    return {
        "id": flag.id,
        "kind": flag.kind,
        "subject": m.subject,
        "metric": m.metric,
        "value": number(m.value),
        "qualifier": m.qualifier,
        "unit": m.unit,
        "text": m.text,
        "previous_value": number(p.value) if p else None,
        "previous_qualifier": p.qualifier if p else None,
        "previous_text": p.text if p else None,
        "delta": number(flag.delta),
        "percent": number(flag.percent),
        "url": m.article.url,
        "previous_url": p.article.url if p else None,
        "as_of": m.as_of.isoformat(),
        "previous_as_of": p.as_of.isoformat() if p else None,
        "sentence": m.sentence,
        "revision": flag.revision,
        "state": flag.state,
        "reviewed_by": flag.reviewed_by,
        "reviewed_at": flag.reviewed_at.isoformat(timespec="seconds") if flag.reviewed_at else None,
        "note": flag.note,
    }


def article_record(article: Article, with_text: bool = False) -> dict[str, Any]:
    """The JSON shape of an article (as `--json` prints it)."""
    record: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "language": article.language,
        "source": article.source.name if article.source else None,
        "first_seen": article.first_seen.isoformat(timespec="seconds"),
        "last_seen": article.last_seen.isoformat(timespec="seconds"),
        "versions": len(article.versions),
    }
    if with_text:
        record |= {
            "author": article.author,
            "sitename": article.sitename,
            "relevance": article.relevance,
            "aliases": article.aliases,
            "cluster": article.cluster_id,
            "text": article.versions[-1].text if article.versions else "",
            "history": [
                {
                    "number": v.number,
                    "fetched_at": v.fetched_at.isoformat(timespec="seconds"),
                    "content_hash": v.content_hash,
                    "text": v.text,
                }
                for v in article.versions
            ],
        }
    return record
