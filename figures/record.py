"""The record of a figure over time, and the flags a new mention earns against it.

Sits at the end of the figures stage: `extract` turns an article's text into
mentions, the store gives each an id and an article, and `evaluate` here
replays every mention of a (subject, metric) in as-of order to say which is
new, changed, conflicting or outdated. It is a pure function of the *set* of
mentions, so the crawl order never changes a flag, and a reviewer's dismissals
are an input rather than a mutation.

Rules, in one place:

- Values are compared in one unit per series. Areas are square metres:
  sq ft times 0.09290304 and hectares times 10,000 (both exact), so a figure
  quoted in either still joins the square-metre series. Money stays in its
  currency: HKD and USD are separate series; no exchange rates.
- Tolerance of a stated N: half the place value of its last non-zero digit,
  capped at 2.5 % of N; "about" widens it to at least 5 % of N. It is
  computed on the number as written, then converted with the value, because
  the rounding belongs to the stated digits.
- Interval: exact [N-r, N+r]; at_least [N, inf); at_most [0.9 N, N];
  about [N-tol, N+tol]. Recomputed from value and qualifier, so the record
  never depends on how a stored row filled its low/high columns.
- Two mentions agree when their values differ by no more than the larger of
  their tolerances.
- Narrowest (the standing value of a period): a finite interval is tighter
  than an unbounded one; among finite ones the smaller width wins; among
  unbounded ones ([N, inf), always nested) the higher N wins. This agrees with
  set inclusion wherever one interval contains the other. Ties go to the
  latest mention in evaluation order, the freshest statement of that value.
- Evaluation order: as-of date, then article key, then position in the
  article, then observation key. Keys are `int | str` so that this order is
  total and the same whichever order the input came in.
- One article states each figure once: within one article and series, a
  mention that agrees with another (a headline repeating the body, "over
  1,100" beside "1,100") is a repetition. The narrowest of them is the
  article's statement (ties: the first in the text); the others raise no flag
  and do not enter the record.
- Undated mentions (the article gave no publication date; the as-of is only
  evidence such as a feed's or sitemap's modification date, or first seen) are
  placed by that date and may fill history: they are new when nothing came
  before, and join a period they agree with. They never raise `changed`,
  `conflict` or `outdated` on their own; where they would, they stay out of
  the record, so the standing value and its history do not move.
- Noise: a series outside the catalogue (metric `other:...`) is replayed, so it
  has a state, but raises no flag; adding its wording to the catalogue gives it
  a catalogue key, and flags.
- Review: a dismissed new, changed or conflict mention keeps its flag but does
  not enter the record; a dismissed new mention lets the next one be new.
  Dismissing anything else changes nothing (it never entered the record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from figures.errors import RecordError
from figures.model import FlagKind, Mention, Qualifier, Unit
from figures.numbers import interval, tolerance

Key = int | str
SeriesKey = tuple[str, str, str]  # (subject, metric, unit family)

# Unit -> (series family, factor to the family's unit). Exact factors only.
_UNIT_FAMILY: dict[Unit, tuple[str, Decimal]] = {
    "count": ("count", Decimal(1)),
    "HKD": ("HKD", Decimal(1)),
    "USD": ("USD", Decimal(1)),
    "RMB": ("RMB", Decimal(1)),
    "percent": ("percent", Decimal(1)),
    "sqm": ("sqm", Decimal(1)),
    "sqft": ("sqm", Decimal("0.09290304")),
    "ha": ("sqm", Decimal(10000)),
}
_DISMISSABLE: frozenset[FlagKind] = frozenset({"new", "changed", "conflict"})


@dataclass(frozen=True)
class Observation:
    """A mention as the record sees it: the figure plus where it was stated."""

    key: Key  # stable id, e.g. the figure_mention row id
    mention: Mention
    article: Key  # article id: breaks same-date ties, and names the source
    position: int  # order within the article (mention.start will do)
    url: str | None = None
    dated: bool = True  # False: the as-of is date evidence, not a publication date

    @property
    def as_of(self) -> date:
        """The date the mention speaks for; evaluation refuses undated mentions."""
        if self.mention.as_of is None:
            raise RecordError(f"observation {self.key!r} has no as-of date")
        return self.mention.as_of


@dataclass(frozen=True)
class Flag:
    """What one observation means for its series, with what it was compared to.

    `previous` is the standing value it was measured against (None for new);
    `delta` and `percent` are observation minus previous, in the series unit,
    percent rounded half-up to one decimal (None when previous is zero).
    `restates` is, for an outdated flag, the superseded mention it repeats.
    """

    kind: FlagKind
    observation: Observation
    previous: Observation | None = None
    delta: Decimal | None = None
    percent: Decimal | None = None
    restates: Observation | None = None


@dataclass(frozen=True)
class SeriesState:
    """Where a series stands after every observation has been replayed.

    `current` is the narrowest mention of `period` (None only when everything
    was dismissed); `superseded` holds the mentions of earlier periods.
    """

    current: Observation | None
    period: tuple[Observation, ...]
    superseded: tuple[Observation, ...]


ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class VersionChange:
    """A difference between two versions of one article, within one series.

    `changed` means the value (in the series unit) or the qualifier moved;
    `old` is None for added, `new` is None for removed.
    """

    kind: ChangeKind
    series: SeriesKey
    old: Mention | None
    new: Mention | None


# --- units, tolerance, intervals -------------------------------------------


def _family(unit: Unit) -> tuple[str, Decimal]:
    try:
        return _UNIT_FAMILY[unit]
    except KeyError:
        raise RecordError(f"unknown figure unit {unit!r}") from None


def series_key(m: Mention) -> SeriesKey:
    """The series a mention belongs to: areas share one, currencies do not."""
    return (m.subject, m.metric, _family(m.unit)[0])


def normalised_value(m: Mention) -> Decimal:
    """The mention's value in its series unit (sq ft and ha become m²)."""
    return m.value * _family(m.unit)[1]


def _series_interval(m: Mention) -> tuple[Decimal, Decimal | None]:
    factor = _family(m.unit)[1]
    low, high = interval(m.value, m.qualifier)
    assert low is not None  # every qualifier has a floor
    return low * factor, None if high is None else high * factor


def _series_tolerance(m: Mention) -> Decimal:
    return tolerance(m.value, m.qualifier) * _family(m.unit)[1]


def _meets(a: Mention, b: Mention) -> bool:
    a_low, a_high = _series_interval(a)
    b_low, b_high = _series_interval(b)
    return (b_high is None or a_low <= b_high) and (a_high is None or b_low <= a_high)


def _agree(a: Mention, b: Mention) -> bool:
    gap = abs(normalised_value(a) - normalised_value(b))
    return gap <= max(_series_tolerance(a), _series_tolerance(b))


def _tightness(m: Mention) -> tuple[int, Decimal]:
    """Sort key, smaller = tighter: finite widths first, then higher lower bounds."""
    low, high = _series_interval(m)
    if high is None:
        return (1, -low)
    return (0, high - low)


# --- evaluation --------------------------------------------------------------


def _key_order(k: Key) -> tuple[int, int | str]:
    return (0, k) if isinstance(k, int) else (1, k)


def _order(o: Observation) -> tuple[date, tuple[int, int | str], int, tuple[int, int | str]]:
    return (o.as_of, _key_order(o.article), o.position, _key_order(o.key))


def _compared(
    kind: FlagKind, o: Observation, previous: Observation, restates: Observation | None = None
) -> Flag:
    old = normalised_value(previous.mention)
    delta = normalised_value(o.mention) - old
    percent = None
    if old != 0:
        percent = (delta / old * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Flag(kind, o, previous, delta, percent, restates)


class _Series:
    """The mutable replay of one series; only `evaluate` sees it."""

    def __init__(self) -> None:
        self.period: list[Observation] = []
        self.superseded: list[Observation] = []
        self.standing: Observation | None = None  # the period's narrowest mention
        self.tightness: tuple[int, Decimal] | None = None

    def _join(self, o: Observation) -> None:
        """Add to the current period, keeping its narrowest mention (ties: the latest)."""
        self.period.append(o)
        tightness = _tightness(o.mention)
        if self.tightness is None or tightness <= self.tightness:
            self.standing, self.tightness = o, tightness

    def add(self, o: Observation, window_days: int, dismissed: Collection[Key]) -> Flag | None:
        """Place one observation (in evaluation order) and return its flag, if any."""
        standing = self.standing
        if standing is None:
            if o.key not in dismissed:
                self._join(o)
            return Flag("new", o)
        latest = self.period[-1].as_of  # the period is in evaluation order
        if (o.as_of - latest).days <= window_days:
            if _meets(o.mention, standing.mention):
                self._join(o)
                return None
            if not o.dated:
                return None  # an undated statement never conflicts on its own
            if o.key not in dismissed:
                self._join(o)
            return _compared("conflict", o, standing)
        if any(_agree(o.mention, p.mention) for p in self.period):
            self._join(o)
            return None
        if not o.dated:
            return None  # nor is it outdated or a change: it stays out of the record
        repeated = [s for s in self.superseded if _agree(o.mention, s.mention)]
        if repeated:
            return _compared("outdated", o, standing, restates=repeated[-1])
        if o.key not in dismissed:
            self.superseded.extend(self.period)
            self.period, self.standing, self.tightness = [], None, None
            self._join(o)
        return _compared("changed", o, standing)

    def state(self) -> SeriesState:
        return SeriesState(self.standing, tuple(self.period), tuple(self.superseded))


def evaluate(
    observations: Iterable[Observation],
    *,
    window_days: int = 30,
    dismissed: Collection[Key] = (),
) -> tuple[list[Flag], dict[SeriesKey, SeriesState]]:
    """Replay every observation per series and return the flags and each series' state.

    Flags come in evaluation order (as-of, article, position, key). A mention
    within `window_days` of the current period's latest mention is compared
    by interval (joins or conflicts); a later one by value agreement (joins,
    outdated or changed). `dismissed` holds observation keys whose flag a
    reviewer dismissed; see the module docstring for what that does.
    """
    if window_days < 0:
        raise RecordError(f"window_days must not be negative, got {window_days}")
    items = list(observations)
    seen: set[Key] = set()
    for o in items:
        if o.key in seen:
            raise RecordError(f"observation key {o.key!r} appears more than once")
        seen.add(o.key)
    dismissed_keys = frozenset(dismissed)
    series: dict[SeriesKey, _Series] = defaultdict(_Series)
    flags: list[Flag] = []
    for o in sorted(_statements(items), key=_order):
        flag = series[series_key(o.mention)].add(o, window_days, dismissed_keys)
        if flag is not None and not o.mention.metric.startswith("other:"):
            flags.append(flag)
    return flags, {k: s.state() for k, s in sorted(series.items())}


def _statements(items: Iterable[Observation]) -> list[Observation]:
    """Each article's statements: of the mentions of one series in one article that
    agree, only the narrowest (ties: the first in the text) is kept."""
    by_article: dict[tuple[SeriesKey, tuple[int, int | str], date], list[Observation]] = (
        defaultdict(list)
    )
    for o in items:
        by_article[(series_key(o.mention), _key_order(o.article), o.as_of)].append(o)
    kept: list[Observation] = []
    for group in by_article.values():
        statements: list[Observation] = []
        for o in sorted(group, key=lambda o: (o.position, _key_order(o.key))):
            same = next((s for s in statements if _agree(o.mention, s.mention)), None)
            if same is None:
                statements.append(o)
            elif _tightness(o.mention) < _tightness(same.mention):
                statements[statements.index(same)] = o
        kept += statements
    return kept


# --- revisions of one article --------------------------------------------------


def _statement(m: Mention) -> tuple[Decimal, Qualifier]:
    return normalised_value(m), m.qualifier


def compare_versions(old: Sequence[Mention], new: Sequence[Mention]) -> list[VersionChange]:
    """What changed between two versions of one article, per series.

    Within a series, statements equal in value (series unit) and qualifier
    are matched first and are not reported; the rest are paired in text
    order as `changed`, and what is left over is `removed` or `added`.
    The list is ordered by series key, then changed, removed, added.
    """
    before: dict[SeriesKey, list[Mention]] = defaultdict(list)
    after: dict[SeriesKey, list[Mention]] = defaultdict(list)
    for m in old:
        before[series_key(m)].append(m)
    for m in new:
        after[series_key(m)].append(m)
    changes: list[VersionChange] = []
    for key in sorted(before.keys() | after.keys()):
        gone = sorted(before.get(key, []), key=lambda m: m.start)
        came = sorted(after.get(key, []), key=lambda m: m.start)
        for m in list(gone):
            same = next((n for n in came if _statement(n) == _statement(m)), None)
            if same is not None:
                gone.remove(m)
                came.remove(same)
        changes += [VersionChange("changed", key, a, b) for a, b in zip(gone, came, strict=False)]
        changes += [VersionChange("removed", key, a, None) for a in gone[len(came) :]]
        changes += [VersionChange("added", key, None, b) for b in came[len(gone) :]]
    return changes
