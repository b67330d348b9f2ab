"""Collect: the store's queries for one digest period, turned into a DigestContent.

First step of the digest stage (collect -> render -> deliver -> record). It
only reads; `record.py` marks what went out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from digest.content import DigestContent, Period
from figures.ledger import to_mention
from figures.record import compare_versions
from figures.records import mention_record
from store import queries as q
from store.models import Article, Flag
from store.records import article_record, flag_record

LEAD_CHARS = 400


def flags_for_digest(session: Session, period: Period, *, unsent_only: bool = True) -> list[Flag]:
    """Flags raised in the period on current figures, not dismissed, not in an earlier digest."""
    return q.flags_raised_in(session, period.start, period.end, unsent_only=unsent_only)


# -- the digest ----------------------------------------------------------------------------------
def collect(
    session: Session,
    period: Period,
    *,
    unsent_only: bool = True,
    published_since: date | None = None,
) -> DigestContent:
    """Everything the period brought: flags first, new articles by cluster, revised articles.

    With `published_since` (`pressmon digest --since DATE`) the date is the news's, not the
    crawl's: articles published on or after it (undated ones: first seen), each listed once,
    under "revised" if it has more than one version; flags on figures stated as of that
    date or later. What was crawled after `period.end` stays out either way.
    """
    if published_since is not None:
        return _published_since(session, period, published_since)
    flags = flags_for_digest(session, period, unsent_only=unsent_only)
    new = q.articles_first_seen_in(session, period.start, period.end)
    new_ids = {a.id for a in new}
    revised = [
        a for a in q.articles_revised_in(session, period.start, period.end) if a.id not in new_ids
    ]
    return DigestContent(
        period=period,
        flags=[dict(flag_record(f)) for f in flags],
        articles=_grouped(session, new),
        revised=[_revision(session, a, period, flags) for a in revised],
    )


def _published_since(session: Session, period: Period, since: date) -> DigestContent:
    flags = [
        f
        for f in q.list_flags(session, since=since)
        if f.state != "dismissed" and f.mention.current and f.created <= period.end
    ]
    articles = [
        a for a in q.list_articles(session, since=since, limit=None) if a.first_seen <= period.end
    ]
    revised = [a for a in articles if _versions_until(a, period.end) > 1]
    new = [a for a in articles if a not in revised]
    return DigestContent(
        period=period,
        flags=[dict(flag_record(f)) for f in flags],
        articles=_grouped(session, new),
        revised=[_revision(session, a, period, flags) for a in revised],
    )


def _versions_until(article: Article, end: datetime) -> int:
    return sum(1 for v in article.versions if v.fetched_at <= end)


def _grouped(session: Session, articles: list[Article]) -> list[dict[str, Any]]:
    """One entry per release: the source of truth first, the other new copies under it."""
    truths = q.cluster_truths(session, sorted({a.cluster_id for a in articles if a.cluster_id}))
    groups: dict[int | str, list[Article]] = {}
    for article in articles:
        key: int | str = article.cluster_id or f"a{article.id}"
        groups.setdefault(key, []).append(article)
    entries = []
    for key, members in groups.items():
        truth = truths.get(key) if isinstance(key, int) else None
        head = next((a for a in members if a.id == truth), members[0])
        copies = [a for a in members if a is not head]
        entries.append(
            {**_article(head), "also_published_by": [_article(c, lead=False) for c in copies]}
        )
    return entries


def _article(article: Article, lead: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = dict(article_record(article))
    record["site"] = site_of(article)
    record["cluster"] = article.cluster_id
    record["aliases"] = list(article.aliases or [])
    if lead:
        record["lead"] = lead_paragraph(article)
    return record


def site_of(article: Article) -> str:
    """Who published it, for people: the source name, the page's site name, else the host."""
    if article.source is not None:
        return article.source.name
    return article.sitename or urlsplit(article.url).hostname or article.url


def lead_paragraph(article: Article) -> str:
    """The first paragraph of the current text that is not the title, cut at LEAD_CHARS."""
    text = article.versions[-1].text if article.versions else ""
    title = (article.title or "").strip()
    for paragraph in (p.strip() for p in text.splitlines()):
        if paragraph and paragraph != title:
            if len(paragraph) <= LEAD_CHARS:
                return paragraph
            return paragraph[:LEAD_CHARS].rsplit(" ", 1)[0] + " …"
    return ""


def _revision(
    session: Session, article: Article, period: Period, flags: list[Flag]
) -> dict[str, Any]:
    """What a revision in the period changed in the article's figures."""
    current = article.versions[-1]
    start = period.start
    earlier = [v for v in article.versions[:-1] if start is not None and v.fetched_at <= start]
    previous = earlier[-1] if earlier else article.versions[-2]
    changes = compare_versions(
        [to_mention(m) for m in q.mentions_of_version(session, previous.id)],
        [to_mention(m) for m in q.mentions_of_version(session, current.id)],
    )
    record: dict[str, Any] = dict(article_record(article))
    record["site"] = site_of(article)
    record["from_version"] = previous.number
    record["to_version"] = current.number
    record["figures"] = [
        {
            "change": c.kind,
            "subject": c.series[0],
            "metric": c.series[1],
            "old": mention_record(c.old) if c.old else None,
            "new": mention_record(c.new) if c.new else None,
        }
        for c in changes
    ]
    record["flags"] = [
        dict(flag_record(f)) for f in flags if f.mention.article_id == article.id and f.revision
    ]
    return record


__all__ = [
    "collect",
    "flags_for_digest",
    "lead_paragraph",
    "site_of",
]
