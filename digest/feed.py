"""The Atom feed of past digests, so a feed reader can subscribe to them (feedgen).

Rendered from the `digest` table's stored contents; the folder channel writes it
as feed.xml and `pressmon digests --atom` prints it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from digest.channels.folder import file_stem
from digest.content import DigestContent
from digest.render import html, subject_line

FEED_LIMIT = 50


@dataclass(frozen=True)
class PastDigest:
    id: int
    created: datetime  # naive UTC, as stored
    content: DigestContent


def _urn(*parts: object) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "pressmon:" + ":".join(map(str, parts))).urn


def atom(digests: Sequence[PastDigest], watched: str, link: str | None = None) -> bytes:
    """An Atom document with the newest FEED_LIMIT digests, newest first, each in full HTML."""
    newest = sorted(digests, key=lambda d: (d.created, d.id), reverse=True)[:FEED_LIMIT]
    feed = FeedGenerator()
    feed.id(_urn("digests", watched))
    feed.title(f"{watched} digests")
    feed.author({"name": "pressmon"})
    feed.generator("pressmon")
    feed.subtitle(f"What was published about {watched}, and which of its figures moved.")
    if link:
        feed.link(href=link.rstrip("/") + "/", rel="alternate")
        feed.link(href=link.rstrip("/") + "/feed.xml", rel="self")
    feed.updated(_utc(newest[0].created) if newest else datetime(1970, 1, 1, tzinfo=UTC))
    for past in newest:
        counts = past.content.counts()
        entry = feed.add_entry(order="append")
        entry.id(_urn("digest", watched, past.id, past.created.isoformat()))
        entry.title(subject_line(past.content, watched))
        entry.updated(_utc(past.created))
        entry.published(_utc(past.created))
        entry.summary(
            f"{counts['flags']} flag(s), {counts['articles']} new article(s), "
            f"{counts['revised']} revised article(s)"
        )
        entry.content(html(past.content, watched), type="html")
        if link:
            entry.link(href=f"{link.rstrip('/')}/{file_stem(past.id)}.html", rel="alternate")
    atom_bytes: bytes = feed.atom_str(pretty=True)
    return atom_bytes


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
