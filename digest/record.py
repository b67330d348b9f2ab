"""Record: make a digest, keep it, deliver it to every channel and note each outcome.

Last step of the digest stage (collect -> render -> deliver -> record) and the
one entry point the CLI and the scheduler call. A digest is written, with its
flags marked and one `delivery` row per channel, before anything is sent; so a
crash or a failed channel leaves a pending or failed row that the next run
retries first, and nothing already sent goes out again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from http.client import HTTPException
from typing import Any

from sqlalchemy.orm import Session

from digest.channels import Channel, Outgoing, configured
from digest.collect import collect
from digest.content import DigestContent, Period
from digest.errors import ChannelError
from digest.feed import PastDigest, atom
from digest.render import render
from digest.settings import DigestSettings
from store import Store
from store import queries as q
from store import writes as w
from store.models import Digest

SENDING_FAULTS = (OSError, HTTPException, ValueError, ChannelError)


@dataclass(frozen=True)
class Attempt:
    """One delivery, as the run left it: sent, failed, or (dry run) what would happen."""

    digest_id: int | None
    channel: str
    target: str
    status: str  # sent | failed | pending | would send | would retry | not configured
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class SendReport:
    """What `send_digest` did: earlier deliveries retried, then the new digest, if any."""

    retried: list[Attempt]
    content: DigestContent
    digest_id: int | None  # None: nothing recorded (empty period or dry run)
    delivered: list[Attempt]
    dry_run: bool

    @property
    def failed(self) -> list[Attempt]:
        return [a for a in (*self.retried, *self.delivered) if a.status == "failed"]


# -- reading -------------------------------------------------------------------------------------
def next_period(session: Session, now: datetime, since: datetime | None = None) -> Period:
    """From the end of the last digest (or `since`, or the beginning) up to now."""
    if since is not None:
        return Period(since, now)
    last = q.latest_digest(session)
    return Period(last.period_end if last else None, now)


def preview(store: Store, now: datetime, since: datetime | None = None) -> DigestContent:
    """The digest the next `--send` would make; records nothing."""
    with store.session() as session:
        period = next_period(session, now, since)
        return collect(session, period, unsent_only=since is None, published_since=_day(since))


def _day(since: datetime | None) -> date | None:
    """`--since` counts publication dates (collect), so only its day matters."""
    return since.date() if since is not None else None


def past_digests(session: Session, limit: int | None = None) -> list[Digest]:
    """Recorded digests, newest first, with their deliveries."""
    return q.list_digests(session, limit)


def digest_record(row: Digest) -> dict[str, Any]:
    """The JSON shape `pressmon digests --json` prints."""
    content = DigestContent.from_json(row.content)
    return {
        "id": row.id,
        "period_start": row.period_start.isoformat(timespec="seconds")
        if row.period_start
        else None,
        "period_end": row.period_end.isoformat(timespec="seconds"),
        "created": row.created.isoformat(timespec="seconds"),
        "counts": content.counts(),
        "deliveries": [
            {
                "channel": d.channel,
                "target": d.target,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "sent_at": d.sent_at.isoformat(timespec="seconds") if d.sent_at else None,
            }
            for d in row.deliveries
        ],
    }


def feed(session: Session, watched: str, link: str | None = None) -> bytes:
    """The Atom feed of recorded digests."""
    return atom(
        [
            PastDigest(d.id, d.created, DigestContent.from_json(d.content))
            for d in past_digests(session)
        ],
        watched,
        link,
    )


# -- sending -------------------------------------------------------------------------------------
def send_digest(
    store: Store,
    settings: DigestSettings,
    watched: str,
    *,
    now: datetime,
    env: Mapping[str, str],
    since: datetime | None = None,
    dry_run: bool = False,
) -> SendReport:
    """Retry unsent deliveries, then record and deliver the digest of the next period.

    An empty period records and sends nothing unless `settings.send_empty`.
    With `dry_run` nothing is written or sent; the report says what would be.
    """
    channels = configured(settings, env)
    retried = _retry(store, channels, watched, settings.link, now, dry_run)
    with store.session() as session:
        period = next_period(session, now, since)
        content = collect(session, period, unsent_only=since is None, published_since=_day(since))
    if content.empty and not settings.send_empty:
        return SendReport(retried, content, None, [], dry_run)
    if dry_run:
        would = [Attempt(None, c.name, c.target, "would send", 0) for c in channels]
        return SendReport(retried, content, None, would, dry_run)
    with store.session() as session:
        digest_id = w.add_digest(session, period.start, period.end, now, content.to_json())
        w.mark_flags_sent(session, [f["id"] for f in content.flags], digest_id)
        row_ids = w.add_deliveries(session, digest_id, [(c.name, c.target) for c in channels])
        pending = list(zip(row_ids, channels, strict=True))
    rendered = render(content, watched)
    with store.session() as session:
        feed_xml = feed(session, watched, settings.link)
    out = Outgoing(digest_id, now, rendered, feed_xml)
    delivered = [_attempt(store, row_id, channel, out, now) for row_id, channel in pending]
    return SendReport(retried, content, digest_id, delivered, dry_run)


def _retry(
    store: Store,
    channels: list[Channel],
    watched: str,
    link: str | None,
    now: datetime,
    dry_run: bool,
) -> list[Attempt]:
    """Deliveries of earlier digests that are not sent yet, oldest first, tried again."""
    by_key = {(c.name, c.target): c for c in channels}
    with store.session() as session:
        waiting = q.unsent_deliveries(session)
        jobs = [
            (d.id, d.digest_id, d.digest.created, d.digest.content, d.channel, d.target, d.attempts)
            for d in waiting
        ]
        feed_xml = feed(session, watched, link) if jobs and not dry_run else b""
    attempts = []
    for row_id, digest_id, created, content, name, target, tries in jobs:
        channel = by_key.get((name, target))
        if channel is None:
            attempts.append(Attempt(digest_id, name, target, "not configured", tries))
        elif dry_run:
            attempts.append(Attempt(digest_id, name, target, "would retry", tries))
        else:
            rendered = render(DigestContent.from_json(content), watched)
            out = Outgoing(digest_id, created, rendered, feed_xml)
            attempts.append(_attempt(store, row_id, channel, out, now))
    return attempts


def _attempt(store: Store, row_id: int, channel: Channel, out: Outgoing, now: datetime) -> Attempt:
    """Send once through one channel and write down how it went."""
    error = None
    try:
        channel.send(out)
    except SENDING_FAULTS as exc:
        error = (str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__
    with store.session() as session:
        row = w.note_attempt(session, row_id, error, now)
        return Attempt(out.digest_id, row.channel, row.target, row.status, row.attempts, error)
