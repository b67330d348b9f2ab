"""Numbers in running text: find them, read their value, qualifier and unit.

First step of figure extraction (figures.extract calls `find_numbers` on each
sentence); also home of the rounding rules (`tolerance`, `interval`) that the
flag rules in figures.record share, so "over 1,100" and "1,100" mean the same
interval everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from figures.model import Qualifier, Unit
from figures.packs import pack
from figures.script import simplify

__all__ = [
    "Number",
    "find_numbers",
    "interval",
    "parse_chinese_numeral",
    "parse_english_words",
    "plain",
    "tolerance",
]


@dataclass(frozen=True)
class Number:
    """A number as written: value with scale applied, its span and what is glued to it."""

    value: Decimal
    start: int
    end: int
    qualifier: Qualifier
    unit: Unit | None  # HKD/USD/RMB/percent/sqm/sqft/ha when written with it; else None
    kind: str  # "digits", "words" (English), "hanzi" (Chinese numerals)
    measure: str = ""  # Chinese measure word after the number (間, 名, 座...), if any


# --- rounding ------------------------------------------------------------------------------


def _last_digit_place(value: Decimal) -> Decimal:
    """Place value of the last non-zero digit: 11,000 -> 1000; 1,700 -> 100; 84.5 -> 0.1."""
    if value == 0:
        return Decimal(0)
    exponent = abs(value).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(exponent)


def tolerance(value: Decimal, qualifier: Qualifier) -> Decimal:
    """How far the true number may sit from the stated one, by the rounding it shows.

    Half the place value of the last non-zero digit, capped at 2.5 % of the value
    (11,000 -> 275; 1,700 -> 42.5; 641 -> 0.5); "about" allows at least 5 %.
    """
    value = abs(value)
    rounding = min(_last_digit_place(value) / 2, value * Decimal("0.025"))
    if qualifier == "about":
        return max(rounding, value * Decimal("0.05"))
    return rounding


def interval(value: Decimal, qualifier: Qualifier) -> tuple[Decimal | None, Decimal | None]:
    """The range a statement allows; None is unbounded ("over 1,100" -> [1100, None])."""
    if qualifier == "at_least":
        return value, None
    if qualifier == "at_most":
        return value * Decimal("0.9"), value
    tol = tolerance(value, qualifier)
    return value - tol, value + tol


def plain(value: Decimal) -> Decimal:
    """68000000000, not 6.8E+10: whole numbers without exponent, decimals without trailing 0."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


# --- English -------------------------------------------------------------------------------

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = dict(pack("en").scale_words)
_SHORT_SCALES = dict(pack("en").short_scales)

_FIRST = "|".join(sorted(_UNITS, key=len, reverse=True))
_WORD = "|".join(sorted([*_UNITS, "hundred", "dozen", *_SCALES], key=len, reverse=True))
# "one" alone is too often a determiner ("one of the", "One graduate") to be a figure.
_WORDS_RE = re.compile(
    rf"\b(?:a\s+dozen|dozen|a\s+(?:hundred|thousand|million)"
    rf"|(?:{_FIRST})(?:(?:[\s-]+|\s+and\s+)(?:{_WORD}))*)\b(?!-)",
    re.IGNORECASE,
)

_CURRENCY_PREFIX = {"hk$": "HKD", "hkd": "HKD", "us$": "USD", "usd": "USD", "rmb": "RMB",
                    "$": "HKD", "¥": "RMB"}  # fmt: skip
_DIGITS_RE = re.compile(
    r"""(?<![A-Za-z0-9_.,/\\$-])(?<![A-Za-z]-)
    (?:(?P<cur>HK\$|US\$|HKD|USD|RMB|\$|¥)\s?)?
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d])
          |\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d]|[.,]\d)
          |\d+(?:\.\d+)?)
    (?![\d])
    (?:\s?(?P<scale>SCALES)(?![\w²]))?
    (?P<pct>\s?%|\s?per\s?cent\b|\s?percent\b)?
    (?P<plus>\+(?![\d])|-plus\b|-odd\b)?
    """.replace("SCALES", "|".join(sorted([*_SCALES, *_SHORT_SCALES], key=len, reverse=True))),
    re.VERBOSE | re.IGNORECASE,
)


def _phrases(words: list[str] | tuple[str, ...]) -> str:
    """An alternation of phrases, longest first, any run of spaces between words."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


def _qualifier_patterns(
    language: str, script: Callable[[str], str] = str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(qualifier, phrases) before and after a number, from the language pack."""
    lang = pack(language)
    return (
        [(q, _phrases([script(w) for w in ws])) for q, ws in lang.qualifiers_before.items()],
        [(q, _phrases([script(w) for w in ws])) for q, ws in lang.qualifiers_after.items()],
    )


_EN_BEFORE, _EN_AFTER = _qualifier_patterns("en")
_EN_BEFORE_RE = [
    (re.compile(rf"(?:^|(?<=[\s(]))(?:{words})\s*$", re.IGNORECASE), q) for q, words in _EN_BEFORE
]
_EN_AFTER_RE = [(re.compile(rf"^[\s-]+(?:{words})\b", re.IGNORECASE), q) for q, words in _EN_AFTER]
_EN_NOT_QUALIFIER = re.compile(rf"\b(?:{_phrases(pack('en').not_qualifiers)})\s*$", re.I)


def parse_english_words(words: str) -> Decimal | None:
    """Value of spelled-out English: "twenty-two" -> 22, "a dozen" -> 12, "ten thousand"."""
    total, current = 0, 0
    tokens = re.split(r"[\s-]+", words.lower())
    for token in tokens:
        if token in ("a", "and"):
            current = current or (1 if token == "a" else 0)
        elif token in ("dozen", "dozens"):
            current = (current or 1) * 12
        elif token in _UNITS:
            current += _UNITS[token]
        elif token == "hundred":
            current = (current or 1) * 100
        elif token in _SCALES:
            total += (current or 1) * _SCALES[token]
            current = 0
        else:
            return None
    value = total + current
    return Decimal(value) if value else None


def _qualifier_en(text: str, start: int, end: int) -> tuple[Qualifier, int, int]:
    before = text[max(0, start - 30) : start]
    if _EN_NOT_QUALIFIER.search(before):
        return "exact", start, end  # "adds up to 330,000": the total
    for pattern, qualifier in _EN_BEFORE_RE:
        match = pattern.search(before)
        if match:
            return qualifier, start - (len(before) - match.start()), end  # type: ignore[return-value]
    if start > 0 and text[start - 1] == "~":
        return "about", start - 1, end
    after = text[end : end + 12]
    for pattern, qualifier in _EN_AFTER_RE:
        match = pattern.match(after)
        if match:
            return qualifier, start, end + match.end()  # type: ignore[return-value]
    return "exact", start, end


def _find_english(text: str) -> list[Number]:
    found: list[Number] = []
    for m in _DIGITS_RE.finditer(text):
        try:
            value = Decimal(re.sub(r"[,\s\u00a0\u2009\u202f]", "", m["num"]))
        except InvalidOperation:
            continue
        currency = _CURRENCY_PREFIX.get((m["cur"] or "").lower())
        scale = (m["scale"] or "").lower()
        end = m.end()
        counted_k = scale == "k" and re.match(r"\s+[A-Za-z]|\+", text[m.end("scale") :][:2])
        if scale in _SHORT_SCALES and not currency and not counted_k:
            # "400 m" is metres; "5k" alone is rarely a figure, "1.9k companies" is one
            end = m.start("scale") if m["scale"] else end
            if m["pct"] or m["plus"]:
                continue
            scale = ""
        if scale:
            value *= _SCALES.get(scale) or _SHORT_SCALES[scale]
        unit: Unit | None = "percent" if m["pct"] else currency  # type: ignore[assignment]
        qualifier, start, end = _qualifier_en(text, m.start(), end)
        if m["plus"]:
            qualifier = "about" if m["plus"].lower() == "-odd" else "at_least"
        found.append(Number(plain(value), start, end, qualifier, unit, "digits"))
    for m in _WORDS_RE.finditer(text):
        phrase = m.group(0)
        if phrase.lower() == "one":
            continue
        parsed = parse_english_words(phrase)
        if parsed is None:
            continue
        value = parsed
        end = m.end()
        unit = None
        pct = re.match(r"\s?(?:per\s?cent|percent)\b", text[end:], re.IGNORECASE)
        if pct:
            unit, end = "percent", end + pct.end()
        plus = re.match(r"-plus\b", text[end:])
        qualifier, start, end = _qualifier_en(text, m.start(), end + (plus.end() if plus else 0))
        if plus:
            qualifier = "at_least"
        found.append(Number(value, start, end, qualifier, unit, "words"))
    return found


# --- Chinese -------------------------------------------------------------------------------

_HANZI = "零〇一二兩两三四五六七八九十百千萬万億亿"
_ZH_SCALE = {
    form: value for word, value in pack("zh").scale_words.items() for form in {word, simplify(word)}
}
_ZH_CURRENCY = {"元人民幣": "RMB", "元人民币": "RMB", "港元": "HKD", "港幣": "HKD",
                "港币": "HKD", "元": "HKD", "美元": "USD", "人民幣": "RMB",
                "人民币": "RMB"}  # fmt: skip
_ZH_AREA = {"平方米": "sqm", "平方公尺": "sqm", "平方呎": "sqft", "平方英尺": "sqft",
            "公頃": "ha", "公顷": "ha"}  # fmt: skip
# Measure words that count things; a Chinese number without one (or a unit) is no figure.
_ZH_UPWARDS = frozenset(simplify(w) for w in pack("zh").at_least_before_scale)
_ZH_SCALES = "|".join(sorted(_ZH_SCALE, key=len, reverse=True))
MEASURE_WORDS = "".join(sorted({f for w in pack("zh").classifiers for f in (w, simplify(w))}))


def _cn2an() -> Callable[..., Any]:
    """cn2an's reader, imported on the first Chinese numeral: it costs 0.15 s to import,
    which every process that only compares stored figures (the crawl's) would pay."""
    import cn2an

    return cn2an.cn2an  # type: ignore[no-any-return]


_ZH_NUMBER_RE = re.compile(
    rf"""(?<![\d.,A-Za-z_第數数幾几每])
    (?:(?P<cur>港幣|港币|人民幣|人民币|HK\$|US\$)\s?)?
    (?P<pct>百分之)?
    (?:(?P<mixed>\d+(?:\.\d+)?[萬万億亿](?:\d+[千百])+)
      |(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)|(?P<han>[{_HANZI}]+))
    (?![\d])
    (?P<scale>{_ZH_SCALES})?
    (?P<more>[多餘余])?
    (?P<tail>%|％|成|元人民幣|元人民币|港元|港幣|港币|美元|人民幣|人民币|元|平方米|平方公尺|平方呎|平方英尺|公頃|公顷
            |[{MEASURE_WORDS}])?
    """,
    re.VERBOSE,
)
_ZH_BEFORE, _ZH_AFTER = _qualifier_patterns("zh", simplify)
_ZH_BEFORE_RE = [(re.compile(rf"(?:{words})[有达为是共]?$"), q) for q, words in _ZH_BEFORE]
_ZH_AFTER_RE = [(re.compile(rf"^[^，。；]{{0,8}}?(?:{words})"), q) for q, words in _ZH_AFTER]


def parse_chinese_numeral(numeral: str) -> Decimal | None:
    """Value of Chinese numerals: 三 -> 3, 一萬三千 -> 13000, 千 (as in 逾千) -> 1000."""
    if numeral in _ZH_SCALE:
        return Decimal(_ZH_SCALE[numeral])
    if numeral[0] in "十百千萬万億亿" and numeral[0] != "十":
        numeral = "一" + numeral
    numeral = numeral.replace("兩", "二").replace("两", "二").replace("〇", "零")
    try:
        value = _cn2an()(numeral, "strict")
    except (ValueError, KeyError):
        return None
    return Decimal(int(value))


def _find_chinese(text: str) -> list[Number]:
    found: list[Number] = []
    for m in _ZH_NUMBER_RE.finditer(text):
        tail = m["tail"] or ""
        scale = m["scale"] or ""
        value: Decimal | None
        if m["mixed"]:  # 1萬3千: digits with Chinese scales between them
            mixed = _cn2an()(m["mixed"].replace("萬", "万").replace("億", "亿"), "smart")
            value, kind = Decimal(str(mixed)), "digits"
        elif m["han"]:
            numeral = m["han"]
            if not tail and not scale and not m["pct"]:
                continue  # 十四五, 一直, 第一: Chinese numerals count only with a measure word
            value = parse_chinese_numeral(numeral)
            kind = "hanzi"
        else:
            try:
                value = Decimal(m["num"].replace(",", ""))
            except InvalidOperation:
                continue
            kind = "digits"
        if value is None or value == 0 or (kind == "hanzi" and value == 1 and not scale):
            continue  # 一間, 一名: the article "a", not a count
        if scale:
            value *= _ZH_SCALE[scale]
        unit: Unit | None = None
        measure = ""
        if tail in ("%", "％") or m["pct"]:  # 90%, 百分之九十
            unit = "percent"
        elif tail == "成":
            unit, value = "percent", value * 10
        elif tail in _ZH_CURRENCY:
            unit = _ZH_CURRENCY[tail]  # type: ignore[assignment]
        elif tail in _ZH_AREA:
            unit = _ZH_AREA[tail]  # type: ignore[assignment]
        elif tail:
            measure = tail
        if m["cur"]:
            unit = _ZH_CURRENCY.get(m["cur"], "HKD" if "HK" in m["cur"] else "USD")  # type: ignore[assignment]
        qualifier: Qualifier = "exact"
        start, end = m.start(), m.end()
        before = text[max(0, start - 6) : start]
        for pattern, q in _ZH_BEFORE_RE:
            qm = pattern.search(before)
            if qm:
                qualifier, start = q, start - (len(before) - qm.start())  # type: ignore[assignment]
                break
        lead = text[start - 1 : start] if start else ""
        if m["han"] and m["han"][0] in "千萬万百億亿" and lead in _ZH_UPWARDS:
            qualifier, start = "at_least", start - 1  # 上千間: upwards of a thousand
        if m["more"]:
            qualifier = "at_least"
        after = text[end : end + 16]
        for pattern, q in _ZH_AFTER_RE:
            if qualifier == "exact" and pattern.match(after):
                qualifier = q  # type: ignore[assignment]
        found.append(Number(plain(value), start, end, qualifier, unit, kind, measure))
    return found


def find_numbers(text: str, language: str) -> list[Number]:
    """Every number in `text` with its qualifier and glued unit, in order of position.

    Chinese text is read with both readers (Chinese articles quote English names
    and figures); English text with the English reader only.
    """
    numbers = _find_english(text)
    if language == "zh":
        taken = _find_chinese(text)
        # In Chinese text the Chinese reading wins where both read the same digits.
        spans = [(n.start, n.end) for n in taken]
        numbers = taken + [
            n
            for n in numbers
            if n.kind == "words" or not any(s < n.end and n.start < e for s, e in spans)
        ]
    return sorted(numbers, key=lambda n: n.start)
