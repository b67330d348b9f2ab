"""A metric's history as chart geometry, drawn as inline SVG by the metric page.

Sits between the store's series of a metric (store.queries.metric_series: one point
per as-of date, however many statements that day) and the template: it only computes
coordinates, ticks and labels; the template writes the SVG, so Jinja escapes every
label. Nothing is fetched from a CDN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from figures.display import day, figure
from store.queries import SeriesPoint

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 80, 20, 20, 40
BOUND_TICK = 12  # pixels of the arrow showing "at least" / "at most"

# A chart labels each of its dates: babel took 30 ms for a history of 815 of them, and a
# store's past dates and amounts do not change, so their labels are kept between requests.
_day = lru_cache(maxsize=16_384)(day)
_figure = lru_cache(maxsize=16_384)(figure)


@dataclass(frozen=True)
class Point:
    x: float
    y: float  # the largest value stated that day
    low_y: float  # the smallest (== y when the day's statements agree)
    label: str
    qualifier: str
    state: str  # "flagged" when an open flag stands on it, else "ok"
    href: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    unit: str
    width: int
    height: int
    points: tuple[Point, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    tick: int = BOUND_TICK

    @property
    def path(self) -> str:
        """The polyline through the points, in date order."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _nice_step(span: float, count: int = 5) -> float:
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _short(value: float) -> str:
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e4, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:,.10g}"


def _date_ticks(first: date, last: date) -> list[date]:
    if (last - first).days > 3 * 365:
        step = max(1, math.ceil((last.year - first.year) / 6))
        return [date(y, 1, 1) for y in range(first.year + 1, last.year + 1, step)]
    if (last - first).days > 60:
        ticks, d = [], date(first.year, first.month, 1)
        while d <= last:
            if d >= first:
                ticks.append(d)
            d = date(d.year + (d.month // 12), d.month % 12 + 1, 1)
        return ticks[:: max(1, math.ceil(len(ticks) / 6))]
    return [first, last] if first != last else [first]


def _label(point: SeriesPoint) -> str:
    when = _day(point.as_of)
    if point.statements == 1:
        return f"{when}: {point.text} — {point.title or point.url}"
    values = _figure(point.high, None, point.unit)
    if point.low != point.high:
        values = f"{_figure(point.low, None, point.unit)} to {values}"
    return f"{when}: {point.statements} statements, {values}"


def series_chart(series: Sequence[SeriesPoint], unit: str) -> Chart | None:
    """Geometry for the points of one unit, or None without any; each point links to the
    (first) article stating it."""
    rows = [p for p in series if p.unit == unit]
    if not rows:
        return None
    first, last = min(p.as_of for p in rows), max(p.as_of for p in rows)
    if first == last:
        first, last = first - timedelta(days=30), last + timedelta(days=30)
    low, high = min(0.0, min(p.low for p in rows)), max(p.high for p in rows)
    if high == low:
        high = low + 1
    step = _nice_step(high - low)
    top_value = math.ceil(high * 1.05 / step) * step
    low = math.floor(low / step) * step
    span_x, span_y = (last - first).days, top_value - low
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP

    def x(d: date) -> float:
        return x0 + (d - first).days / span_x * (x1 - x0)

    def y(v: float) -> float:
        return y0 - (v - low) / span_y * (y0 - y1)

    points = tuple(
        Point(
            x=x(p.as_of),
            y=y(p.high),
            low_y=y(p.low),
            label=_label(p),
            qualifier=p.qualifier,
            state="flagged" if p.open_flag else "ok",
            href=f"/articles/{p.article_id}",
        )
        for p in sorted(rows, key=lambda p: (p.as_of, p.high))
    )
    y_ticks = []
    tick = low
    while tick <= top_value + step / 2:
        y_ticks.append(Tick(y(tick), _short(tick)))
        tick += step
    x_ticks = [
        Tick(
            x(d),
            d.isoformat()
            if span_x <= 60
            else (str(d.year) if d.month == 1 else d.strftime("%Y-%m")),
        )
        for d in _date_ticks(first, last)
    ]
    return Chart(unit, WIDTH, HEIGHT, points, tuple(x_ticks), tuple(y_ticks))
