"""Figures, changes, dates and metric names as people read them, in English or Chinese.

The last step before a figure meets a reader: the web app (web/templating.py),
the digests (digest/render.py) and the CLI's tables (pressmon/report.py) all
format through here, so "+HK$92.9 billion", "over 1,800" and "Jul 19, 2024"
read the same everywhere. Numbers and dates come from babel's CLDR data
(grouping, scale words such as billion or 億, month names); stored values are
never changed, only shown.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from urllib.parse import urlsplit

from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_decimal

from figures.catalogue import Catalogue, load_catalogue

__all__ = [
    "change",
    "day",
    "figure",
    "metric_label",
    "moment",
    "period",
    "signed",
    "site",
]

Number = int | float | Decimal
LOCALES = {"en": "en", "zh": "zh_Hant"}
# Below this, a number is written out in full ("330,000"); from it on, with a scale word.
# Chinese counts in 萬 (10^4) and 億 (10^8), English in thousands of thousands.
SCALE_FROM = {"en": 1_000_000, "zh": 10_000}
SCALE_STEP = {"en": 3, "zh": 4}
SIGNIFICANT = 3  # digits a scaled number keeps: 92.9 billion, 1.25 million, 930 million
MONEY = {"HKD": "HK$", "USD": "US$", "RMB": "RMB "}
AREAS = {
    "en": {"sqm": " m²", "sqft": " sq ft", "ha": " ha"},
    "zh": {"sqm": "平方米", "sqft": "平方呎", "ha": "公頃"},
}
QUALIFIERS = {
    "en": {"at_least": "over ", "at_most": "up to ", "about": "about ", "exact": ""},
    "zh": {"at_least": "逾", "at_most": "最多", "about": "約", "exact": ""},
}
MINUS = "\u2212"


def _language(language: str) -> str:
    return "zh" if language == "zh" else "en"


def _scaled(value: Number, language: str) -> str:
    """A non-negative number: in full below the scale threshold, else "92.9 billion" / "929億"."""
    locale = LOCALES[language]
    if value < SCALE_FROM[language]:
        return format_decimal(value, format="#,##0.##", locale=locale)
    step = SCALE_STEP[language]
    mantissa = float(value) / 10 ** (step * (int(math.log10(value)) // step))
    digits = SIGNIFICANT - len(str(int(mantissa)))
    return format_compact_decimal(
        value, format_type="long", locale=locale, fraction_digits=max(0, digits)
    )


def _amount(value: Number, unit: str | None, language: str) -> str:
    """A non-negative amount with its unit: "HK$92.9 billion", "92%", "330,000 m²"."""
    if unit == "percent":
        return format_decimal(value, format="#,##0.##", locale=LOCALES[language]) + "%"
    shown = _scaled(value, language)
    if unit in MONEY:
        return MONEY[unit] + shown
    return shown + AREAS[language].get(unit or "count", "")


def figure(
    value: Number | None,
    qualifier: str | None = None,
    unit: str | None = None,
    language: str = "en",
) -> str:
    """A stated figure: "over 1,800", "about HK$93.7 billion", "逾1,800"; "" for none."""
    if value is None:
        return ""
    language = _language(language)
    words = QUALIFIERS[language].get(qualifier or "exact", "")
    if value < 0:
        return f"{words}{MINUS}{_amount(-value, unit, language)}"
    return words + _amount(value, unit, language)


def signed(value: Number, unit: str | None = None, language: str = "en") -> str:
    """A difference with its sign: "+HK$92.9 billion", "−100", "+3 percentage points"."""
    language = _language(language)
    sign = "+" if value > 0 else MINUS if value < 0 else "±"
    size: Number = -value if value < 0 else value
    if unit == "percent":  # a change of a rate is in points, not per cent of it
        number = format_decimal(size, format="#,##0.##", locale=LOCALES[language])
        if language == "zh":
            return f"{sign}{number}個百分點"
        return f"{sign}{number} percentage point{'' if size == 1 else 's'}"
    return sign + _amount(size, unit, language)


def change(
    delta: Number | None, percent: Number | None, unit: str | None = None, language: str = "en"
) -> str:
    """A flag's change: "+HK$92.9 billion (+12.3%)", "+3,000"; "" when there is none."""
    if delta is None:
        return ""
    shown = signed(delta, unit, language)
    if percent is None:
        return shown
    rate = format_decimal(
        percent, format=f"+#,##0.#;{MINUS}#,##0.#", locale=LOCALES[_language(language)]
    )
    return f"{shown} ({rate}%)"


def _parsed(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        return None


def day(value: str | date | None, language: str = "en") -> str:
    """A date for people: "Jul 19, 2024", "2024年7月19日"; text that is no date stays as it is."""
    parsed = _parsed(value)
    if parsed is None:
        return "" if value is None else str(value)
    shown: str = format_date(parsed, format="medium", locale=LOCALES[_language(language)])
    return shown


def moment(value: str | datetime | None, language: str = "en") -> str:
    """A stored UTC time to the minute: "Nov 8, 2025, 09:30 UTC"."""
    parsed = _parsed(value)
    if not isinstance(parsed, datetime):
        return day(value, language)
    return f"{day(parsed, language)}, {parsed:%H:%M} UTC"


def period(start: str | datetime | None, end: str | datetime | None, language: str = "en") -> str:
    """A digest's period: "Nov 1, 2025, 00:00 UTC – Nov 8, 2025, 00:00 UTC"."""
    first = moment(start, language) if start else "the beginning"
    return f"{first} – {moment(end, language) if end else 'now'}"


def site(url: str | None) -> str:
    """The site a URL is on, for people: "hkstp.org" for https://www.hkstp.org/news/…."""
    host = urlsplit(url or "").hostname or ""
    return host.removeprefix("www.") or (url or "")


@cache
def _shipped() -> Catalogue:
    return load_catalogue()


def metric_label(key: str, catalogue: Catalogue | None = None, language: str = "en") -> str:
    """A metric's label from the catalogue; a key outside it ("other:money") in words."""
    labels = (catalogue or _shipped()).labels(_language(language))
    if key in labels:
        return labels[key]
    kind, _, noun = key.partition(":")
    words = (f"{kind} ({noun})" if noun else kind).replace("_", " ").replace("-", " ")
    return words[:1].upper() + words[1:]
