"""A metric's history as chart geometry, drawn as inline SVG by the metric page.

Sits between the figure record (history records from figures.records) and the
template: it only computes coordinates, ticks and labels; the template writes
the SVG, so Jinja escapes every label. Nothing is fetched from a CDN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from figures.display import day

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 80, 20, 20, 40
BOUND_TICK = 12  # pixels of the arrow showing "at least" / "at most"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
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


def build_chart(records: list[dict[str, Any]], unit: str, href: Any = lambda r: "") -> Chart | None:
    """Geometry for the records of one unit (history_record dicts), or None without values."""
    rows = [r for r in records if r["unit"] == unit and r["value"] is not None and r["as_of"]]
    if not rows:
        return None
    days = [date.fromisoformat(r["as_of"]) for r in rows]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - timedelta(days=30), last + timedelta(days=30)
    values = [float(r["value"]) for r in rows]
    low, high = min(0.0, min(values)), max(values)
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
            x=x(d),
            y=y(v),
            label=f"{day(r['as_of'])}: {r['text']} — {r['title'] or r['url']}",
            qualifier=r["qualifier"],
            state="flagged" if any(f["state"] == "open" for f in r["flags"]) else "ok",
            href=href(r),
        )
        for d, v, r in sorted(zip(days, values, rows, strict=True), key=lambda t: (t[0], t[1]))
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
