"""JSON shapes of stored things: what `--json`, the API and digests all print.

One definition per shape, so the CLI, the web app and the digest never drift apart.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NotRequired, TypedDict

from store.models import Article, Flag


class FlagRecord(TypedDict):
    """A flag with the mention it is about and the one it compares with (`previous_*`)."""

    id: int
    kind: str  # new | changed | conflict | outdated
    subject: str
    metric: str
    value: int | float | None
    qualifier: str
    unit: str
    text: str
    previous_value: int | float | None
    previous_qualifier: str | None
    previous_text: str | None
    delta: int | float | None
    percent: int | float | None
    url: str
    previous_url: str | None
    as_of: str  # ISO date
    previous_as_of: str | None
    sentence: str
    revision: str | None  # what the article's previous version said
    state: str  # open | accepted | dismissed
    reviewed_by: str | None
    reviewed_at: str | None  # ISO time, to the second
    note: str | None


class VersionRecord(TypedDict):
    """One version in an article's history."""

    number: int
    fetched_at: str
    content_hash: str
    text: str


class ArticleRecord(TypedDict):
    """An article as listed; the keys from `author` on come only `with_text`."""

    id: int
    url: str
    title: str | None
    published: str | None  # ISO date
    language: str
    source: str | None
    first_seen: str  # ISO time, to the second
    last_seen: str
    versions: int  # how many
    kind: str  # "article", or "headline": a news-search item whose text was never fetched
    author: NotRequired[str | None]
    sitename: NotRequired[str | None]
    relevance: NotRequired[float]
    aliases: NotRequired[list[str]]
    cluster: NotRequired[int | None]
    text: NotRequired[str]  # the current version's
    history: NotRequired[list[VersionRecord]]


def number(value: Decimal | None) -> int | float | None:
    """A Decimal for JSON: an integer when it is whole."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def flag_record(flag: Flag) -> FlagRecord:
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


def article_record(article: Article, with_text: bool = False) -> ArticleRecord:
    """The JSON shape of an article (as `--json` prints it)."""
    record: ArticleRecord = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "language": article.language,
        "source": article.source.name if article.source else None,
        "first_seen": article.first_seen.isoformat(timespec="seconds"),
        "last_seen": article.last_seen.isoformat(timespec="seconds"),
        "versions": len(article.versions),
        "kind": article.kind,
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
