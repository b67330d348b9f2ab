"""The figures step's bookkeeping: keep a version's mentions, bring the flags up to date.

Runs right after the store writes an article version. The flags of a series
are always recomputed from the whole record (`figures.record.evaluate`), so
they never depend on the order articles were crawled in; reviewed flags are
kept as the reviewer left them, and a dismissal feeds back into the record.
Crawls run side by side as separate processes: every change to mentions and flags
happens under the store's figures lock (`store.writes.lock_figures`), so a replay
reads the record the previous one left and never adds a flag another one added.
Deferred mention writes (a crawl's pages) hold it shared, side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from figures.model import Mention
from figures.record import Observation, SeriesKey, compare_versions, evaluate, series_key
from store import queries as q
from store import writes as w
from store.kinds import ReviewDecision
from store.models import Article, ArticleVersion, FigureMention, Flag


def to_mention(row: FigureMention) -> Mention:
    """A stored row as the plain value the record works on."""
    return Mention(
        subject=row.subject,
        metric=row.metric,
        value=row.value,
        qualifier=row.qualifier,
        low=row.low,
        high=row.high,
        unit=row.unit,
        text=row.text,
        start=row.start,
        end=row.end,
        sentence=row.sentence,
        as_of=row.as_of,
    )


def observation(row: FigureMention) -> Observation:
    """A stored mention as the record replays it: keyed by its id, ordered within its article,
    undated when its article has no publication date (its as-of is only evidence).

    Same-date articles are ordered by URL key, not by id: ids follow the order the pages
    were stored in, which differs between one crawl and several side by side.
    """
    return Observation(
        key=row.id,
        mention=to_mention(row),
        article=row.article.url_key,
        position=row.start,
        url=row.article.url,
        dated=row.article.published is not None,
    )


def as_of(article: Article, evidence: date | None = None) -> date:
    """The date an article's figures speak for (see `as_of_date`)."""
    return as_of_date(article.published, article.first_seen, evidence)


def as_of_date(published: date | None, first_seen: datetime, evidence: date | None) -> date:
    """The date an article's figures speak for: its publication date; for an undated
    article the best evidence, the earlier of a feed's or sitemap's modification date
    (`evidence`) and the day it was first seen."""
    if published is not None:
        return published
    seen = first_seen.date()
    return min(evidence, seen) if evidence is not None else seen


@dataclass(frozen=True)
class NewVersionMentions:
    """The mentions of a new article's first version, dated `as_of`."""

    article_id: int
    version_id: int
    as_of: date
    mentions: Sequence[Mention]


class Ledger:
    """Stores mentions and keeps the watched organisation's flags in step with them."""

    def __init__(self, watched: str, window_days: int = 30, *, deferred: bool = False) -> None:
        self.watched = watched
        self.window_days = window_days
        # A crawl defers: replaying a series per page would cost O(pages²); `flush` replays
        # each touched series once.
        self.deferred = deferred
        self._pending: set[SeriesKey] = set()
        self._notes: dict[int, str] = {}

    def record_version(
        self,
        session: Session,
        article: Article,
        version: ArticleVersion,
        mentions: Sequence[Mention],
        now: datetime,
        evidence: date | None = None,
    ) -> list[Flag]:
        """Store `version`'s mentions (the article's earlier ones stop counting); new flags.

        `evidence` dates an undated article (see `as_of`)."""
        # Deferred, this writes one article's mentions and replays nothing: beside others.
        w.lock_figures(session, shared=self.deferred)
        when = as_of(article, evidence)
        earlier = q.current_mentions_of_article(session, article.id)
        w.retire_mentions(session, article.id)
        rows = w.add_mentions(
            session, [_new_row(m, version.id, article.id, when) for m in mentions]
        )
        if earlier:
            _carry_flags(session, earlier, rows)
        notes = _revision_notes(earlier, rows) if earlier else {}
        touched = {series_key(to_mention(r)) for r in [*earlier, *rows]}
        if self.deferred:
            self._pending |= touched
            self._notes |= notes
            return []
        return self.refresh(session, touched, now, notes)

    def record_new(
        self, session: Session, versions: Sequence[NewVersionMentions], now: datetime
    ) -> list[list[Flag]]:
        """`record_version` for the first versions of new articles, in order; each one's new
        flags. A new article has no earlier mentions to retire or carry flags from, so a
        deferring ledger stores them all in one statement, beside other writers'."""
        w.lock_figures(session, shared=self.deferred)
        if not self.deferred:
            found = []
            for v in versions:
                w.add_mention_rows(
                    session, [_new_row(m, v.version_id, v.article_id, v.as_of) for m in v.mentions]
                )
                found.append(self.refresh(session, {series_key(m) for m in v.mentions}, now))
            return found
        w.add_mention_rows(
            session,
            [
                _new_row(m, v.version_id, v.article_id, v.as_of)
                for v in versions
                for m in v.mentions
            ],
        )
        self._pending |= {series_key(m) for v in versions for m in v.mentions}
        return [[] for _ in versions]

    def flush(self, session: Session, now: datetime) -> list[Flag]:
        """Replay the series deferred record_version calls touched; the flags now raised."""
        touched, notes = self._pending, self._notes
        self._pending, self._notes = set(), {}
        return self.refresh(session, touched, now, notes)

    def refresh(
        self,
        session: Session,
        series: Iterable[SeriesKey],
        now: datetime,
        notes: dict[int, str] | None = None,
    ) -> list[Flag]:
        """Recompute the flags of these series; returns the flags that did not exist before."""
        keys = sorted(series)  # a fixed order: flag ids must not depend on hashing
        if not keys:
            return []
        w.lock_figures(session)  # before the first read: the record as the last replay left it
        created: list[Flag] = []
        for key in keys:
            subject, metric, _family = key
            if subject != self.watched:
                continue  # other subjects keep their mentions but are not watched
            rows = [
                r
                for r in q.current_mentions(session, subject, metric)
                if series_key(to_mention(r)) == key
            ]
            existing = {
                (f.mention_id, f.kind): f
                for f in q.flags_of_mentions(session, [r.id for r in rows])
            }
            dismissed = {f.mention_id for f in existing.values() if f.state == "dismissed"}
            flags, _state = evaluate(
                [observation(r) for r in rows], window_days=self.window_days, dismissed=dismissed
            )
            wanted = set()
            new: list[tuple[int, str, w.FlagFields]] = []
            for flag in flags:
                mention_id = int(flag.observation.key)
                wanted.add((mention_id, flag.kind))
                row = existing.get((mention_id, flag.kind))
                if row is not None and row.state != "open":
                    continue  # a reviewed flag stays as the reviewer left it
                fields: w.FlagFields = {
                    "previous_id": int(flag.previous.key) if flag.previous else None,
                    "delta": flag.delta,
                    "percent": flag.percent,
                    "revision": (notes or {}).get(mention_id, row.revision if row else None),
                }
                if row is None:
                    new.append((mention_id, flag.kind, fields))
                else:
                    w.update_flag(session, row, fields)
            created += w.add_flags(session, new, now)
            w.delete_flags(  # the record no longer supports them
                session,
                [r for pair, r in existing.items() if pair not in wanted and r.state == "open"],
            )
        return created

    def review(
        self,
        session: Session,
        flag: Flag,
        state: ReviewDecision,
        by: str,
        note: str | None,
        now: datetime,
    ) -> None:
        """Accept or dismiss a flag; a dismissal takes its mention out of the record."""
        w.lock_figures(session)
        w.review_flag(session, flag, state, by, note, now)
        self.refresh(session, [series_key(to_mention(flag.mention))], now)

    def standing(
        self, session: Session, subject: str | None = None
    ) -> list[tuple[SeriesKey, FigureMention]]:
        """The current value of every series (of one subject, or all), by series key."""
        rows = q.current_mentions(session, subject)
        reviewed = q.flags_of_mentions(session, [r.id for r in rows])
        dismissed = {f.mention_id for f in reviewed if f.state == "dismissed"}
        by_id = {r.id: r for r in rows}
        _flags, states = evaluate(
            [observation(r) for r in rows], window_days=self.window_days, dismissed=dismissed
        )
        return [
            (key, by_id[int(state.current.key)])
            for key, state in sorted(states.items())
            if state.current is not None
        ]


def _statement(row: FigureMention) -> tuple:
    return row.subject, row.metric, row.value, row.qualifier, row.unit


def _carry_flags(
    session: Session, earlier: Sequence[FigureMention], rows: Sequence[FigureMention]
) -> None:
    """A revision that restates a figure keeps that figure's flags (and their reviews);
    the open flags of figures the revision dropped go, reviewed ones stay as history."""
    restated = {_statement(r): r for r in rows}
    dropped = []
    for flag in q.flags_of_mentions(session, [r.id for r in earlier]):
        successor = restated.get(_statement(flag.mention))
        if successor is not None:
            w.move_flag(session, flag, successor.id)
        elif flag.state == "open":
            dropped.append(flag)
    w.delete_flags(session, dropped)


def _new_row(m: Mention, version_id: int, article_id: int, as_of: date) -> w.NewMention:
    """A mention as the store keeps it: in this version, dated as of the article."""
    return {
        "version_id": version_id,
        "article_id": article_id,
        "subject": m.subject,
        "metric": m.metric,
        "value": m.value,
        "qualifier": m.qualifier,
        "low": m.low,
        "high": m.high,
        "unit": m.unit,
        "text": m.text,
        "start": m.start,
        "end": m.end,
        "sentence": m.sentence,
        "as_of": as_of,
        "current": True,
    }


def _revision_notes(
    earlier: Sequence[FigureMention], rows: Sequence[FigureMention]
) -> dict[int, str]:
    """For each new mention a revision changed or added: what the previous version said."""
    by_text = {(r.text, r.start): r.id for r in rows}
    notes = {}
    for change in compare_versions([to_mention(r) for r in earlier], [to_mention(r) for r in rows]):
        if change.new is None:
            continue
        mention_id = by_text[(change.new.text, change.new.start)]
        if change.kind == "changed" and change.old is not None:
            notes[mention_id] = f"revised: the previous version said “{change.old.text}”"
        elif change.kind == "added":
            notes[mention_id] = "added in a revision of the article"
    return notes
