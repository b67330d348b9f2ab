"""Figure extraction: clean article text in, figure mentions out.

First step of the figures stage (after `store` hands over an article version's
clean text). Chinese text is normalised once (figures.script: Simplified script,
full-width clause marks, same offsets); figures.numbers finds numbers; this module
drops the ones that are not figures (years, dates, ordinals, addresses, durations,
goals, ranges, quoted wordings, counts of things no one counts about an
organisation), names the counted thing against the catalogue, asks figures.subjects
whom the number is about, and assembles `Mention`s for the record (figures.record).

Language knowledge is data: the metric catalogue (catalogue.yaml) says which words
name which metric; the language packs (lang/en.yaml, lang/zh.yaml, read through
figures.packs) hold qualifiers, copulas, partitives, flow, outreach, origin and
change cues, part nouns and the like. The functions here are small named rules
that read them; each has its positive and negative rows in tests/figures/cases.yaml.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache

from figures.catalogue import Catalogue, MetricDef, simplify
from figures.model import Mention, Unit
from figures.numbers import Number, find_numbers, interval
from figures.packs import pack
from figures.script import normalise_chinese
from figures.subjects import Discourse

__all__ = ["extract", "period_metric"]

_MONEY: set[str] = {"HKD", "USD", "RMB"}
_AREA: set[str] = {"sqm", "sqft", "ha"}

_STOPWORDS = frozenset(
    re.split(
        r"\s+",
        """and or of in at on to for from with by since than as the a an this that these those
        which who whom whose is are was were be been being has have had will would can could may
        might its their our his her my your per into across over under about around more less up
        down out after before ago later earlier each every also so such then when while between
        among including plus another other not no only just now there here it they we he she
        where why how what whether if because""",
    )
)
_TIME_UNITS = r"(?:second|minute|hour|day|week|month|year|decade|centur(?:y|ie)|yr|min|hr)s?"
_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
_REF_BEFORE = re.compile(
    r"(?:\b(?:each|every|per|no|nos|number|phase|stage|room|route|bus|minibus|building|block"
    r"|tower|level|floor|flat|unit|paragraph|paras?|chapter|section|item|junction|question"
    r"|gate|exit|platform|lot|annex|appendix|article|clause|cap|version|grade|line|series"
    r"|model|rule|table|figure|fig|pages?|pp?|vol|issue|batch|cohort|top|case|class of|aged"
    r"|hkt|gmt|utc)\.?|#)\s*$",
    re.IGNORECASE,
)
_DATE_BEFORE = re.compile(rf"\b{_MONTHS}\s*$")
_DATE_AFTER = re.compile(rf"^(?:st|nd|rd|th)?\s+{_MONTHS}(?![a-z])")
_DURATION_AFTER = re.compile(
    rf"^(?:\s+|-)(?:(?!(?:this|last|next|per|each|every|a|the|that)\s)[a-z]+\s+)?{_TIME_UNITS}\b",
    re.IGNORECASE,
)
_ADDRESS_AFTER = re.compile(
    r"^\s+(?:[A-Z][\w'.-]*\s+){1,4}(?:Road|Rd|Street|St|Avenue|Ave|Drive|Lane|Path|Square"
    r"|Terrace|Highway|Way|Boulevard)\b"
)
_PHONE = re.compile(
    r"(?:\+\s?852|\(852\))[\s-]?\d{4}[\s-]?\d{4}"
    r"|(?:Tel|Phone|Fax|Hotline|電話|电话|傳真|传真)[.:：]?\s*[\d\s+()-]{8,}",
    re.IGNORECASE,
)
_EN_AREA = re.compile(
    r"^(?:\s?|-)(?P<u>square[\s-]?met(?:re|er)s?|sq\.?\s?m(?![a-z])|sqm|m²|m2(?!\d)"
    r"|square[\s-]?(?:feet|foot)|sq\.?\s?ft\.?|sqft|ft²|hectares?|ha(?![a-z])"
    r"|acres?|kilomet(?:re|er)s?|km(?![a-z]))",
    re.IGNORECASE,
)
_ZH_NOUN_TAIL = set("者人商方")
_ZH_CLAUSE_END = "，。；：！？、（）「」“”『』\n"
_ZH_FILLERS = re.compile(r"(?:[有达为是共计总合现已经至：]|目前|数目|数量|总数|人数|增加至|增至)*$")
_ZH_FLOW_BEFORE = re.compile(r"(?:新增|增加|增添|增設|增设|多了)$")
# Arrivals over a period are a flow, not the stock: "320 companies moved in during the year".
_EN_ARRIVAL = re.compile(
    r"^\s+(?:(?:have|has|had|were|was)\s+)?(?:moved\s+in(?:to)?|moved\s+to|joined|arrived|admitted"
    r"|relocated|settled|set\s+up)\b",
    re.I,
)
_EN_PERIOD = re.compile(
    r"\b(?:(?:during|in|over|throughout)\s+the\s+(?:\w+\s+)?(?:year|quarter|month|period|half"
    r"|past|last)"
    r"|(?:this|last|that)\s+(?:year|quarter|month)|in\s+(?:Q[1-4]|H[12]|(?:19|20)\d\d))\b",
    re.I,
)
_ZH_ARRIVAL = re.compile(r"^[^，。；]{0,6}?(?:进驻|落户|迁入|加入|入驻)")
_ZH_PERIOD = re.compile(r"过去一年|年内|去年|今年|同期|上半年|下半年|本年度|年度内")
# A count stated as a goal is no figure yet: "will grow to 50 staff", 明年擴大到二十人.
_PROJECTION = "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in pack("en").projection_cues)
_EN_PLAN_BEFORE = re.compile(rf"\b(?:{_PROJECTION})\s+(?:[a-z]+\s+){{1,3}}$", re.I)
_ZH_PLAN_BEFORE = re.compile("|".join(re.escape(simplify(c)) for c in pack("zh").projection_cues))
_EN_FLOW = re.compile(
    r"\b(?:add|added|adding|adds|an additional|additional|another|a further)\s*$", re.I
)


@cache
def _cues(language: str, name: str) -> str:
    """A pack's cue list as a regex alternation (Chinese in Simplified, any run of spaces
    between English words), built once."""
    words = getattr(pack(language), name)
    if language == "zh":
        return "|".join(re.escape(simplify(w)) for w in words)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


@cache
def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A pattern built from a pack at run time, compiled once (re's own cache is small)."""
    return re.compile(pattern, flags)


@dataclass(frozen=True)
class _Found:
    """A figure before it becomes a Mention: what it counts and where its phrase ends."""

    metric: str
    unit: Unit
    start: int
    end: int
    np_end: int


def _lemma(word: str) -> str:
    word = word.lower().strip("'’-")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _en_wording_re(word: str) -> str:
    parts = word.split()
    last = _lemma(parts[-1])
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        tail = re.escape(last[:-1]) + "(?:y|ies)"
    elif last.endswith(("s", "sh", "ch", "x")):
        tail = re.escape(last) + "(?:es)?"
    else:
        tail = re.escape(last) + "s?"
    body = r"[\s-]+".join([*(re.escape(p) for p in parts[:-1]), tail])
    return rf"(?<![\w-]){body}(?![\w-])"


class _Wordings:
    """A list of (pattern, metric key) for one language; finds the earliest, longest one."""

    def __init__(self, items: list[tuple[str, str]], language: str) -> None:
        self.zh = language == "zh"
        self.items: list[tuple[re.Pattern[str], str, str]] = []
        for word, key in items:
            # "完成…培育", "completed…programme": both words, in this order, in one clause
            parts = word.split("…")
            if self.zh and not word.isascii():
                body = "[^，。；：！？\n]{0,16}?".join(re.escape(simplify(p)) for p in parts)
                self.items.append((re.compile(body), key, simplify(parts[0])[:1]))
            else:
                body = "[^;:.!?\n]{0,80}?".join(_en_wording_re(p) for p in parts)
                first = parts[0].split()[0].lower() if parts[0].split() else ""
                needle = first[: max(2, len(first) - 3)]  # "compan" finds company, companies
                self.items.append((re.compile(body, re.IGNORECASE), key, needle))

    def all(self, text: str) -> list[tuple[int, int, str]]:
        lower = text.lower()  # a substring test first: most wordings are not in a clause
        hits = [
            (m.start(), m.end(), key)
            for p, key, needle in self.items
            if needle in lower
            for m in p.finditer(text)
        ]
        return sorted(hits, key=lambda h: (h[0], -(h[1] - h[0])))

    def first(self, text: str) -> tuple[int, int, str] | None:
        hits = self.all(text)
        if self.zh:  # 投資 is not 投資者: a wording must not run on into a longer noun
            hits = [h for h in hits if text[h[1] : h[1] + 1] not in _ZH_NOUN_TAIL]
        return hits[0] if hits else None

    def last_ending_at(self, text: str) -> tuple[int, int, str] | None:
        ends = [h for h in self.all(text) if h[1] == len(text)]
        return min(ends, key=lambda h: h[0]) if ends else None


class _Matcher:
    """The catalogue compiled for one language: which metric a number states."""

    def __init__(self, catalogue: Catalogue, language: str) -> None:
        self.catalogue = catalogue
        self.language = language

        def words(pick: str, units: set[str] | None) -> list[tuple[str, str]]:
            out = []
            for metric in catalogue.metrics:
                if units is None or set(metric.units) & units:
                    wordings = getattr(metric, pick).for_language(language)
                    out += [(w, metric.key) for w in wordings]
            return out

        self.counts = _Wordings(words("wordings", {"count"}), language)
        self.money = _Wordings(
            [
                *words("wordings", _MONEY),
                *((w, "") for w in catalogue.money_other.for_language(language)),
            ],
            language,
        )
        self.percent = _Wordings(words("wordings", {"percent"}), language)
        self.own = {
            m.key: _Wordings([(w, m.key) for w in m.wordings.for_language(language)], language)
            for m in catalogue.metrics
        }
        self.unless = {
            m.key: _Wordings([(w, m.key) for w in m.unless.for_language(language)], language)
            for m in catalogue.metrics
        }
        self.measures = {simplify(w): m.key for m in catalogue.metrics for w in m.measures}
        uncounted = catalogue.uncounted.for_language(language)
        self.uncounted = frozenset(w if language == "zh" else _lemma(w) for w in uncounted)
        self.context = {
            m.key: _Wordings([(w, m.key) for w in m.context.for_language(language)], language)
            for m in catalogue.metrics
            if m.refines
        }
        self.requires = {
            m.key: _Wordings([(w, m.key) for w in m.requires.for_language(language)], language)
            for m in catalogue.metrics
            if m.requires.for_language(language)
        }
        self.periods: dict[str, dict[str, str]] = {}  # base metric -> period -> metric
        for metric in catalogue.metrics:
            for base in metric.refines if metric.period else ():
                self.periods.setdefault(base, {})[metric.period] = metric.key  # type: ignore[index]

    def by_period(self, key: str, clause: str, before: str) -> str:
        """The metric of the period an amount covers (HK$780m in the year: funds_raised_year),
        where the catalogue splits `key` by period: as the amount's clause says, else as the
        sentence before it says ("In the past four years, ..., raising HK$68 billion")."""
        siblings = self.periods.get(key)
        if not siblings:
            return key
        period = _period_of(clause, self.language) or _period_of(before, self.language)
        return siblings.get(period or "", key)

    def refine(self, key: str, clause: str, noun: str) -> str:
        """Context in the clause turns a base metric into a narrower one (graduated...),
        or vetoes it ("people attended": an audience, kept as other:<noun>)."""
        if key in self.unless:
            # the metric's own wordings are no veto: "working population" is not "population"
            own = clause
            for start, end, _ in self.own[key].all(clause):
                own = own[:start] + " " * (end - start) + own[end:]
            if self.unless[key].first(own):
                return f"other:{noun}"
        changed = True
        while changed:
            changed = False
            for metric in self.catalogue.metrics:
                if key in metric.refines and self.context[metric.key].first(clause):
                    needs = self.requires.get(metric.key)
                    if needs and not needs.first(clause):
                        continue  # "to date" alone is no incubation count
                    key, changed = metric.key, True
                    break
        return key

    def default_for(self, unit: str) -> MetricDef | None:
        for metric in self.catalogue.metrics:
            if unit in metric.default_for:
                return metric
        return None


_ABBREVIATIONS = (
    "No",
    "Nos",
    "Mr",
    "Ms",
    "Mrs",
    "Dr",
    "St",
    "Co",
    "vs",
    "Prof",
    "Inc",
    "Ltd",
    "c",
    "ca",
    "approx",
)
_EN_SENTENCE_END = re.compile(
    r"(?=[.!?])"  # first, so the look-behinds below are tried at stops only (cheap)
    r"(?<!\b[A-Z])"
    + "".join(rf"(?<!\b{a})" for a in _ABBREVIATIONS)
    + r"[.!?]+[\"”’)]?(?=\s+[\"“(]?[A-Z0-9])|\n+"
)
_ZH_SENTENCE_END = re.compile(r"[。！？!?]+[」”』]?|\n+")


@lru_cache(maxsize=16)
def _matcher(catalogue: Catalogue, language: str) -> _Matcher:
    """Compiled once per catalogue and language: a crawl extracts thousands of articles."""
    return _Matcher(catalogue, language)


_LAST_MATCHERS: list[tuple[Catalogue, str, _Matcher]] = []


def _matcher_for(catalogue: Catalogue, language: str) -> _Matcher:
    """`_matcher`, with the catalogues last used found by identity first (no hashing)."""
    for known, lang, matcher in _LAST_MATCHERS:
        if known is catalogue and lang == language:
            return matcher
    matcher = _matcher(catalogue, language)
    _LAST_MATCHERS[:] = [(catalogue, language, matcher), *_LAST_MATCHERS[:3]]
    return matcher


def _sentences(text: str, zh: bool) -> list[tuple[int, int]]:
    """(start, end) of each sentence; a line break always ends one."""
    pattern = _ZH_SENTENCE_END if zh else _EN_SENTENCE_END
    spans, start = [], 0
    for m in pattern.finditer(text):
        if m.end() > start:
            spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _clause_start(text: str, sentence_start: int, position: int, zh: bool) -> int:
    chunk = text[sentence_start:position]
    pattern = r"[，；：;:,]" if zh else r"[,;:](?=\s)|\s[—–]\s|\("
    ends = [m.end() for m in re.finditer(pattern, chunk)]
    return sentence_start + (ends[-1] if ends else 0)


_EN_RELATIVE = re.compile(r",\s+(?:whose|which|who|where)\b[^,;:.]*,")
_EN_LIST_COMMA = re.compile(r",(?=\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?(?:,|\s+(?:and|or)\s))")


def _clause(text: str, start: int, end: int, s_start: int, s_end: int, zh: bool) -> str:
    """The number's clause, with a short fronted adverbial ("Since inception, ...",
    自計劃推出以來，...) that scopes it."""
    c_start, c_end = _clause_span(text, start, end, s_start, s_end, zh)
    return text[c_start:c_end]


def _clause_span(
    text: str, start: int, end: int, s_start: int, s_end: int, zh: bool
) -> tuple[int, int]:
    """Where `_clause` starts and ends."""
    c_start = _clause_start(text, s_start, start, zh)
    fronted = text[s_start:c_start]
    if fronted and _clause_start(text, s_start, c_start - 1, zh) == s_start:
        short = len(fronted) <= 12 if zh else len(fronted.split()) <= 4
        short = short and not re.search(r"\d", fronted)  # a clause with its own figure
        c_start = s_start if short else c_start
    rest = text[end:s_end]
    if not zh:  # "641 startups, whose founders come from 23 economies, on completing...":
        rest = _EN_RELATIVE.sub(lambda r: " " * len(r.group(0)), rest)  # skip the aside
        rest = _EN_LIST_COMMA.sub(" ", rest)  # "the Ideation, Incubation and ... programmes"
    m = re.search(r"[，；：;:,。]" if zh else r"[,;:](?=\s)|\s[—–]\s|\)", rest)
    return c_start, end + (m.start() if m else len(rest))


_PERIOD_SLOTS = {
    "en": {
        "<year>": r"(?:19|20)\d\d",
        "<n>": r"(?:[2-9]|\d\d+|two|three|four|five|six|seven"
        r"|eight|nine|ten|eleven|twelve|several|few)",
    },
    "zh": {"<year>": r"(?:19|20)\d\d", "<n>": r"(?:[2-9]|\d\d+|[两二三四五六七八九十数几])"},
}


@cache
def _period_patterns(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each period class of the pack as one pattern, longest wordings first."""
    zh = language == "zh"
    out = []
    for period, cues in pack(language).period_cues.items():
        alternatives = []
        for cue in sorted(cues, key=len, reverse=True):
            body = re.escape(simplify(cue) if zh else cue).replace(r"\ ", r"\s+")
            for slot, pattern in _PERIOD_SLOTS[language].items():
                body = body.replace(re.escape(slot), pattern)
            alternatives.append(body)
        joined = "|".join(alternatives)
        out.append(
            (period, re.compile(joined if zh else rf"(?<![\w-])(?:{joined})(?![\w-])", re.I))
        )
    return tuple(out)


def _period_of(scope: str, language: str) -> str | None:
    """The period class a sentence gives its amount: a cue inside a longer cue of another
    class belongs to that one ("so far this year", 今年至今: one year); otherwise a
    cumulative cue wins over a one-year one (HK$93.7bn since FY2018, to May this year)."""
    hits = [
        (period, m.start(), m.end())
        for period, pattern in _period_patterns(language)
        for m in pattern.finditer(scope)
    ]
    kept = {
        period
        for period, start, end in hits
        if not any(
            o != period and s <= start and end <= e and e - s > end - start for o, s, e in hits
        )
    }
    if "cumulative" in kept:
        return "cumulative"
    return "one_year" if "one_year" in kept else None


def period_metric(
    text: str, start: int, end: int, *, language: str, metric: str, catalogue: Catalogue
) -> str:
    """The metric of a figure stated at text[start:end] once the catalogue's period split
    is applied: `metric`, or its one-year (or cumulative) sibling when its clause or the
    sentence before it says so. For labels written before a split."""
    zh = language.lower().startswith("zh")
    simple = normalise_chinese(text) if zh else text
    s_start, s_end = next(
        ((a, b) for a, b in _sentences(simple, zh) if a <= start < b), (0, len(simple))
    )
    c_start, c_end = _clause_span(simple, start, end, s_start, s_end, zh)
    matcher = _matcher_for(catalogue, "zh" if zh else "en")
    return matcher.by_period(metric, simple[c_start:c_end], simple[s_start:c_start])


def _is_distractor(text: str, n: Number, zh: bool, s_start: int = 0) -> bool:
    """Years, dates, times, ordinals, references and phone numbers are not figures.

    Only the number's own sentence counts: "...at the next table. Over 20,000 people"
    is no table number."""
    if n.kind == "hanzi" or (zh and n.measure) or (zh and n.unit):
        return False
    before = text[max(0, n.start - 30, s_start) : n.start]
    after = text[n.end : n.end + 40]
    if _REF_BEFORE.search(before) or _DATE_BEFORE.search(before) or _DATE_AFTER.match(after):
        return True
    if re.match(r"^(?:[:/+]\d|/|-\d|\.\d|\)\.?\s)", after) and not n.unit:
        return True
    if re.search(r"(?:\d[:/.+-]|/)$", before) and n.kind == "digits":
        return True  # 19-20, 455/19, 9+2
    if before.endswith("(") and after.startswith(")"):
        return True  # (3), CB(1)
    if re.search(r"(?:^|\n)\s*$", before) and re.match(r"^[.)]\s", after):
        return True  # numbered paragraph "2. With..."
    if n.kind == "digits" and re.match(r"^[A-Za-z]", after) and not _EN_AREA.match(after):
        return True  # 20th, 1970s, 5E, 3D
    return bool(not n.unit and _DURATION_AFTER.match(after)) or bool(_ADDRESS_AFTER.match(after))


def _year_like(text: str, n: Number) -> bool:
    digits = text[n.start : n.end]
    return bool(re.fullmatch(r"(?:1[89]|20|21)\d\d", digits.strip())) and n.qualifier == "exact"


_INVARIANT_PLURALS = frozenset(
    {"people", "staff", "personnel", "crew", "alumni", "children", "men", "women", "faculty"}
)


def _is_plural(word: str) -> bool:
    word = word.lower().strip("'’-")
    return word in _INVARIANT_PLURALS or (word != _lemma(word) and word.endswith("s"))


def _head_noun(window: str, plural: bool = False) -> tuple[str, int] | None:
    """Last word of the first run of content words, and where it ends in the window:
    "R&D project centers" -> "center".

    With `plural`, the counted noun of a number above one: English writes it in the
    plural, so the run ends at its first plural word and a run with none names no counted
    thing ("20 last month", "two parties plan": the verb is not the noun)."""
    words: list[re.Match[str]] = []
    for m in re.finditer(r"[A-Za-z][A-Za-z&'’-]*|\S", window):
        word = m.group(0)
        if not re.match(r"[A-Za-z]", word) or word.lower() in _STOPWORDS or len(words) == 3:
            break
        words.append(m)
        if plural and _is_plural(word):
            return _lemma(word), m.end()
    if plural:
        return None
    return (_lemma(words[-1].group(0)), words[-1].end()) if words else None


def _modifiers_only(prefix: str) -> bool:
    """Words between a number and its noun are modifiers ("26 different nations"),
    not a clause ("6 laboratories for its tenants")."""
    words = prefix.lower().split()
    return len(words) <= 3 and all(
        w in ("and", "or", "are", "were", "&") or w not in _STOPWORDS for w in words
    )


def _en_window(text: str, end: int, s_end: int) -> str:
    window = text[end:s_end]
    cut = re.search(r"[.;:!?()\[\]—–\d]|,\s|\n", window)
    window = window[: cut.start()] if cut else window
    return " ".join(window.split(" ")[:8]) if window else ""


def _find_en(text: str, n: Number, m: _Matcher, s: tuple[int, int], clause: str) -> _Found | None:
    """English: an area unit, a money metric, or the counted noun after the number
    ("over 1,100 startups"), before it ("a workforce of 16,000") or named earlier
    ("the number of companies rose to 1,350")."""
    after = text[n.end : s[1]]
    area = _EN_AREA.match(after) if not n.unit else None
    start, end = n.start, n.end
    if area:
        unit_word = area.group("u").lower()
        end += area.end()
        if unit_word.startswith(("acre", "kilomet", "km")):
            if unit_word.startswith("acre"):
                return _Found("other:acre", "count", start, end, end)
            return None
        unit: Unit = (
            "ha"
            if unit_word.startswith("h")
            else "sqft"
            if ("f" in unit_word and "m" not in unit_word[:2])
            else "sqm"
        )
        metric = m.default_for(unit)
        key = m.refine(metric.key, clause, "area") if metric else "other:area"
        if _one_building(text[s[0] : start], False):
            key = f"other:part-{key}"  # "the new tower offers 18,000 m²": one building's
        elif _EN_FLOW.search(text[s[0] : start]):
            key = f"other:new-{key}"
        return _Found(key, unit, start, end, end)
    strong = re.match(r"-strong\s+", after)
    if strong and not n.unit:  # "a 1,800-strong tenant base": the noun after is counted
        hit = m.counts.first(_en_window(text, end + strong.end(), s[1]))
        if hit and hit[0] == 0:
            np_end = end + strong.end() + hit[1]
            return _Found(m.refine(hit[2], clause, "strong"), "count", start, np_end, np_end)
        return None
    if re.match(r"-[A-Za-z]", after) and not n.unit:
        return None  # "a 26-storey tower", "a 20-year lease": the number measures the first word
    if _EN_CHANGE_FROM.search(text[s[0] : start]) and _EN_CHANGE_TO.match(after):
        return None  # "grew from 1,700 to 1,850": 1,700 is the old value
    small = not n.unit and n.value <= 10
    if small and (_EN_RATIO.match(after) or _EN_RATIO_BEFORE.search(text[s[0] : start])):
        return None  # "one in three park companies": a ratio
    window = _en_window(text, end, s[1])
    if n.unit in _MONEY:
        key = _money_metric(text, n, m, s, clause)
        return _Found(key, n.unit, start, end, end)
    partitive = re.match(r"^\s*of\s+(?:the|its|our|their|these|those|them|all)\b", window)
    whole = _PARTITIVE_WHOLE.match(text[end : s[1]])
    if whole and n.unit != "percent":
        # "twelve of the city's 18 unicorns": the part counts the whole's noun; the whole
        # (18) is read on its own, with its own owner
        hit = m.counts.first(whole["noun"])
        if hit and _modifiers_only(whole["noun"][: hit[0]]):
            np_end = end + whole.start("noun") + hit[1]
            named = re.match(r"\s+(?:are|were)\s+(?:now\s+)?", text[np_end : s[1]])
            part = m.counts.first(text[np_end + named.end() : s[1]]) if named else None
            if part and part[0] == 0:  # "1,000 of its 1,900 companies are start-ups"
                return _Found(m.refine(part[2], clause, "part"), "count", start, np_end, np_end)
            return _Found(m.refine(hit[2], clause, "part"), "count", start, np_end, np_end)
    fronted = _FRONTED_WHOLE.search(text[s[0] : start])
    if fronted and n.unit != "percent":  # "Of the city's 21 unicorns, 14 are based at HKSTP"
        hit = m.counts.first(fronted["noun"])
        if hit and _modifiers_only(fronted["noun"][: hit[0]]):
            named = re.match(r"\s+(?:are|were)\s+(?:now\s+)?", after)
            part = m.counts.first(after[named.end() :]) if named else None
            if part and part[0] == 0:  # "..., around 1,400 are start-ups": the part is named
                np_end = end + named.end() + part[1]  # type: ignore[union-attr]
                return _Found(m.refine(part[2], clause, "part"), "count", start, np_end, np_end)
            return _Found(m.refine(hit[2], clause, "part"), "count", start, end, end)
    pronoun = _PARTITIVE_PRONOUN.match(window)
    if pronoun and n.unit != "percent":
        # "15,000 people, 11,000 of them in research and development": a part of the group
        # named before it, named after the pronoun or by the clause's context
        hit = m.counts.first(window[pronoun.end() :])
        if hit and _modifiers_only(window[pronoun.end() : pronoun.end() + hit[0]]):
            np_end = end + pronoun.end() + hit[1]
            return _Found(m.refine(hit[2], clause, "people"), "count", start, np_end, np_end)
        group = m.counts.all(text[s[0] : start])
        if group:
            key = m.refine(group[-1][2], text[start : s[1]], "people")
            placed = _EN_PLACED.match(window[pronoun.end() :])
            if key != group[-1][2] or placed:  # only a part the clause names or places
                np_end = end + len(re.match(r"\s*of\s+\w+", window).group(0))  # type: ignore[union-attr]
                return _Found(key, "count", start, np_end, np_end)
        return None
    if partitive and n.unit != "percent":
        return None  # "six of the graduates": a part of a group
    if n.unit == "percent":
        hit = m.percent.first(clause)
        head = _head_noun(window)
        other = f"other:{head[0] if head else 'percent'}"
        return _Found(hit[2] if hit else other, "percent", start, end, end)
    hit = m.counts.first(window)
    if hit and _modifiers_only(window[: hit[0]]):
        hit = _widened(window, hit, m, "en")  # "1,100 start-ups and tech firms": companies
        key, np_end = hit[2], end + hit[1]
        local = _rx(rf"\b(?:{'|'.join(pack('en').all_origins)})\b", re.I).search(window[: hit[0]])
        origin = _EN_ORIGIN_BEFORE.search(window[: hit[0]]) or _EN_ORIGIN_AFTER.match(
            window[hit[1] :]
        )
        if origin and not local and not _EN_OUTREACH.search(text[s[0] : start]):
            return _Found(f"other:subset-{key}", "count", start, np_end, np_end)
        if (
            re.match(r"\s*(?:new|additional|more|extra)\b", window, re.I)
            or _EN_FLOW.search(text[s[0] : start])
            or (_EN_ARRIVAL.match(text[np_end : s[1]]) and _EN_PERIOD.search(clause))
        ):
            return _Found(f"other:new-{key}", "count", start, np_end, np_end)
        noun = _lemma(window[hit[0] : hit[1]].split()[-1])
        if _EN_OUTREACH.search(text[s[0] : start]):
            return _Found(f"other:contacted-{key}", "count", start, np_end, np_end)
        return _Found(m.refine(key, clause, noun), "count", start, np_end, np_end)
    before = text[s[0] : start]
    moved = _EN_FROM_TO.search(before)
    moved_hit = m.counts.first(moved["mid"]) if moved and moved["mid"] else None
    if moved_hit and moved_hit[0] == 0:  # "rose from 1,700 companies in 2022 to 1,850"
        return _Found(m.refine(moved_hit[2], clause, "moved"), "count", start, end, end)
    if moved:  # "the tenant count went from 1,500 to 1,720": the noun before "from"
        c_start = _clause_start(text, s[0], start, False)
        topic = m.counts.all(text[c_start : s[0] + moved.start()])
        if topic:
            return _Found(m.refine(topic[-1][2], clause, "moved"), "count", start, end, end)
    copula = _EN_COPULA.search(before)
    if copula and copula.group(0).strip() == ":" and re.search(r"\d", before.split("\n")[-1]):
        copula = None  # "1,700 companies: 1,100 at ...": a breakdown, not a fact-sheet label
    # "the tenant count is 1,450": the noun counted, before a word for "its count"
    linked = (
        re.sub(r"\s+(?:count|number|total|tally)$", "", before[: copula.start()].rstrip(" ,"))
        if copula
        else ""
    )
    of_hit = m.counts.last_ending_at(linked) if copula else None
    if of_hit:  # "a working population of around 25,000", "its workforce is 12,200"
        return _Found(m.refine(of_hit[2], clause, "people"), "count", s[0] + of_hit[0], end, end)
    if copula and copula.group(0).strip() == ":":
        label = before[: copula.start()].split("\n")[-1]
        label_hit = m.counts.first(label)  # "Start-ups completing the programme this year: 230"
        if label_hit and not re.search(r"\d", label):
            key = m.refine(label_hit[2], label, "label")
            at = s[0] + copula.start() - len(label) + label_hit[0]
            return _Found(key, "count", at, end, end)
    c_start = _clause_start(text, s[0], start, False)
    number_of = list(re.finditer(r"\b(?:number|total|count)\s+of\s+", text[c_start:start], re.I))
    if number_of:  # "the number of companies rose to 1,200"
        counted = text[c_start + number_of[-1].end() : start]
        hit = m.counts.first(counted)
        if hit and not re.search(r"\d", counted[: hit[0]]) and _modifiers_only(counted[: hit[0]]):
            noun = _lemma(counted[hit[0] : hit[1]].split()[-1])
            return _Found(m.refine(hit[2], clause, noun), "count", start, end, end)
    head = _head_noun(window, plural=n.value != 1)
    if head is None or n.value == 0 or head[0] in m.uncounted:
        return None
    if head[0] in {_lemma(g) for g in pack("en").generic_nouns}:
        topic = m.counts.all(text[_clause_start(text, s[0], start, False) : start])
        if topic:  # "a partner network of more than 320 organisations": partners
            key = m.refine(topic[-1][2], clause, head[0])
            return _Found(key, "count", start, end + head[1], end + head[1])
    return _Found(f"other:{head[0]}", "count", start, end + head[1], end + head[1])


_OUTREACH = "|".join(
    r"(?:[^,;.]|\.(?=\d)){0,40}?\b".join(re.escape(p).replace(r"\ ", r"\s+") for p in v.split("…"))
    for v in pack("en").outreach_verbs
)
_EN_OUTREACH = re.compile(
    rf"\b(?:{_OUTREACH})\s+(?:(?:about|around|some|over|more\s+than|nearly|almost)\s+)?$",
    re.IGNORECASE,
)
_RATIO = "|".join(re.escape(w).replace(" ", r"\s+") for w in pack("en").ratio_words)
_EN_RATIO = re.compile(
    rf"^\s+(?:{_RATIO})\s+(?:\d|(?:one|two|three|four|five|six|seven|eight|nine|ten)\b)", re.I
)
_EN_RATIO_BEFORE = re.compile(
    rf"(?:\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten))\s+(?:{_RATIO})\s+$", re.I
)
_EN_CHANGE_FROM = re.compile(
    rf"\b(?:{'|'.join(pack('en').change_from)})\s+(?:(?:about|around|some|over|nearly)\s+)?$",
    re.IGNORECASE,
)
_EN_CHANGE_TO = re.compile(
    rf"^(?:\s+[\w-]+){{0,4}}\s+(?:{'|'.join(pack('en').change_to)})\s+(?:[a-z]+\s+)?"
    r"(?:HK\$|US\$|\$)?\d",
    re.IGNORECASE,
)
_EN_FROM_TO = re.compile(
    r"\bfrom\s+(?:about\s+|around\s+|some\s+)?[\d,.]+(?:\s+(?P<mid>[^.;:]{0,40}?))?\s+to\s+$",
    re.I,
)
_EN_PLACED = re.compile(
    r"^(?:(?:are|is|were|was)\s+)?(?:"
    + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in pack("en").locatives)
    + r"|at|in)\s+(?:the\s+)?(?-i:[A-Z])",
    re.IGNORECASE,
)
_ORIGINS = [w for w in pack("en").origin_cues if not w.startswith("from ")]
_EN_ORIGIN_BEFORE = re.compile(rf"\b(?:{'|'.join(re.escape(w) for w in _ORIGINS)})\b")
_EN_ORIGIN_AFTER = re.compile(
    r"^\s+(?:"
    + "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in pack("en").origin_cues if w.startswith("from ")
    )
    + r")\b"
)
_FRONTED_WHOLE = re.compile(
    r"^\W*of\s+(?:the|its|their|our)?\s*(?:[\w’'-]+\s+){0,3}?(?:[\d,]+|[a-z-]+)\s+"
    r"(?P<noun>[\w&-]+(?:\s+[\w&-]+)?)\s*,\s*$",
    re.IGNORECASE,
)
_PARTITIVE_WHOLE = re.compile(
    r"^\s+of\s+(?:the|its|their|our|(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*['’]s"
    r"|the\s+[a-z]+['’]s)\s+(?:[\d,]+|[a-z-]+)\s+(?P<noun>[\w&-]+(?:\s+[\w&-]+)?)"
)
_PARTITIVE_PRONOUN = re.compile(
    r"^\s*of\s+(?:"
    + "|".join(pack("en").partitive_pronouns)
    + r")\s+(?:(?:are|were|work|working|employed|based)\s+)*"
)
_EN_COPULA = re.compile(
    r"(?:\s+(?:"
    + "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in pack("en").copulas)
    + r")|[^\S\n]*:)\s*$",  # or a fact sheet's label: "Park companies: 760"
    re.IGNORECASE,
)


def _money_metric(text: str, n: Number, m: _Matcher, s: tuple[int, int], clause: str) -> str:
    """The money metric named nearest the amount: before it in its clause, just after it,
    then anywhere before it in the sentence ("raising HK$68 billion")."""
    c_start = _clause_start(text, s[0], n.start, m.language == "zh")
    hits = [h for h in m.money.all(text[c_start : n.start])]
    if hits:
        return max(hits, key=lambda h: h[1])[2] or "other:money"
    after = text[n.end : n.end + 40]
    after = re.split(r"[，。；：;:]|,\s", after)[0]
    after_hit = m.money.first(after)
    if after_hit:
        gap = after[: after_hit[0]]
        # zh: the fund's name follows the amount, after 的 and a short modifier at most
        # (5,000萬港元的企業創業投資基金); en: three words at most ("HK$200 million venture fund")
        near = re.fullmatch(r"的?[^的]{0,2}", gap) if m.language == "zh" else len(gap.split()) <= 3
        if near:
            return after_hit[2] or "other:money"
    hits = m.money.all(text[s[0] : n.start])
    if hits:
        return max(hits, key=lambda h: h[1])[2] or "other:money"
    return "other:money"


def _find_zh(simple: str, n: Number, m: _Matcher, s: tuple[int, int], clause: str) -> _Found | None:
    """Chinese: the measure word and noun after the number, else the noun before it
    (研發人員逾1.1萬名), else what the measure word alone counts (1.2萬人)."""
    start, end = n.start, n.end
    if n.unit in _MONEY:
        return _Found(_money_metric(simple, n, m, s, clause), n.unit, start, end, end)
    if n.unit in _AREA:
        metric = m.default_for(n.unit)
        key = m.refine(metric.key, clause, "area") if metric else "other:area"
        if _one_building(simple[s[0] : start], True):
            key = f"other:part-{key}"  # 新落成的大楼提供约2.3万平方米: one building's
        elif _ZH_FLOW_BEFORE.search(simple[s[0] : start]):
            key = f"other:new-{key}"
        return _Found(key, n.unit, start, end, end)
    if n.unit == "percent":
        hit = m.percent.first(clause)
        return _Found(hit[2] if hit else "other:percent", "percent", start, end, end)
    lang = pack("zh")
    if _ZH_CHANGE_FROM.search(simple[s[0] : start]) and _ZH_CHANGE_TO.match(simple[end : s[1]]):
        return None  # 由12家增至14家: 12 is the old value
    rest = simple[end : min(s[1], end + 16)]
    cut = next((i for i, c in enumerate(rest) if c in _ZH_CLAUSE_END), len(rest))
    noun_phrase = rest[:cut]
    if n.measure in lang.person_measures and re.match(r"(?:或?以[上下]|左右)?的", noun_phrase):
        return None  # 500人的企业, 500人以上的企业: firms described by their size
    hit = m.counts.first(noun_phrase)
    if not n.measure and not (hit and hit[0] == 0):
        hit = None  # 逾430初创: a counted noun may follow with no measure word, right after
    c_before = simple[_clause_start(simple, s[0], start, True) : start]
    no_change = _ZH_CHANGE_WORDS.sub("", c_before)  # 增加至 states the new total, no flow
    flow = noun_phrase.startswith("新") or any(cue in no_change for cue in lang.flow_cues)
    if hit and hit[0] <= 8:  # 56个本地及国际发明奖项: modifiers before the counted noun
        hit = _widened(noun_phrase, hit, m, "zh")  # 初创企业及科技公司: companies
        modifiers = noun_phrase[: hit[0]]
        if (
            any(simplify(c) in modifiers for c in lang.origin_cues)
            and not any(simplify(w) in modifiers for w in lang.all_origins)
            and not _zh_kind(hit[2], hit[2], False, c_before).startswith("other:")
        ):  # 超过200家来自海外的企业: a subset by origin (本地及海外: all of them)
            return _Found(f"other:subset-{hit[2]}", "count", start, end + hit[1], end + hit[1])
        np_end = end + hit[1]
        flow = flow or bool(_ZH_ARRIVAL.match(simple[np_end : s[1]]) and _ZH_PERIOD.search(clause))
        key = m.refine(hit[2], clause, noun_phrase[hit[0] : hit[1]])
        return _Found(_zh_kind(key, hit[2], flow, c_before), "count", start, np_end, np_end)
    opener = simple[_clause_start(simple, s[0], start, True) : start]
    if any(opener.startswith(simplify(o)) for o in lang.part_openers) and any(
        noun_phrase.startswith(simplify(v)) for v in lang.locatives
    ):  # 本港有4,700间初创企业，当中逾1,000间位于科学园: the group's noun, placed
        group = m.counts.all(simple[s[0] : _clause_start(simple, s[0], start, True)])
        if group:  # the last noun counted there, in full: 初创企业, not its tail 企业
            noun = max(group, key=lambda h: (h[1], -h[0]))
            return _Found(m.refine(noun[2], clause, ""), "count", start, end, end)
    generic = [noun_phrase.find(g) + len(g) for g in lang.generic_nouns if g in noun_phrase[:9]]
    if generic:
        # 与逾200个机构建立合作伙伴关系 / 合作伙伴网络涵盖逾300家机构: the clause's topic,
        # after the generic noun or before the number, is what is counted
        after = m.counts.all(noun_phrase[min(generic) :])
        named = _unnamed(c_before, m), _unnamed(simple[s[0] : start], m)
        topic = after[:1] or m.counts.all(named[0]) or m.counts.all(named[1])
        if topic:
            key = m.refine(topic[-1][2], clause, "")
            return _Found(_zh_kind(key, key, flow, c_before), "count", start, end, end)
    before = simple[s[0] : start]
    changed = _ZH_CHANGE.search(before)
    if changed:  # 独角兽企业由去年的12家增至今年的14家: the noun before 由 is counted
        before = before[: changed.start()]
    before = before[: len(before) - len(_ZH_FILLERS.search(before).group(0))]  # type: ignore[union-attr]
    before_hit = m.counts.last_ending_at(before)
    scaled = n.qualifier != "exact" or bool(re.search(r"[万亿千]", simple[start:end]))
    if before_hit and (n.measure or scaled):  # 研發人員逾1.1萬名: the noun comes first
        key = m.refine(before_hit[2], clause, before[before_hit[0] :])
        key = _zh_kind(key, before_hit[2], flow, c_before)
        return _Found(key, "count", s[0] + before_hit[0], end, end)
    if not n.measure:
        return None
    if n.measure in m.measures:  # 1.2萬人: the measure word says what is counted
        key = m.refine(m.measures[n.measure], clause, n.measure)
        return _Found(_zh_kind(key, key, flow, c_before), "count", start, end, end)
    head = _zh_head(noun_phrase) or n.measure
    if head == n.measure or any(head.startswith(w) for w in m.uncounted):
        return None  # 逾590間 names nothing; 两个小时, 三個月 are durations
    return _Found(
        f"other:{head}", "count", start, end + len(head) if head != n.measure else end, end
    )


def _unnamed(text: str, m: _Matcher) -> str:
    """`text` with the watched organisation's names blanked: 公司 in 科技园公司 is a name,
    not a topic a count could be about."""
    for name in m.catalogue.watched.for_language("zh"):
        text = text.replace(name, " " * len(name))
    return text


def _zh_change_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    lang = pack("zh")
    froms = "|".join(re.escape(simplify(w)) for w in lang.change_from)
    tos = "|".join(re.escape(simplify(w)) for w in lang.change_to)
    return (
        re.compile(rf"(?:{froms})[^，。；：]{{0,12}}?(?:{tos})[^，。；：]{{0,6}}$"),
        re.compile(rf"(?:{froms})[^，。；：]{{0,8}}$"),
        re.compile(rf"^[^，。；：]{{0,3}}?(?:{tos})"),
    )


_ZH_CHANGE, _ZH_CHANGE_FROM, _ZH_CHANGE_TO = _zh_change_patterns()
_ZH_CHANGE_WORDS = re.compile("|".join(re.escape(simplify(w)) for w in pack("zh").change_to))


def _zh_head(phrase: str) -> str:
    """The counted noun at the start of a Chinese noun phrase, by jieba's segmentation and
    tags: the run of nominal words before the first verb, particle or mark (住宿单位 in
    住宿单位供租户使用, 党员 in 党员到访). At most six characters."""
    from figures.subjects import _jieba

    head = ""
    for token in _jieba().posseg.cut(phrase[:10], HMM=False):
        if not token.flag.startswith(("n", "vn", "j", "b", "ng")) or token.word in "的和及与":
            break
        head += token.word
    return head[:6]


def _zh_kind(key: str, base: str, flow: bool, before: str) -> str:
    """The metric key, unless the clause makes the count a flow (新加入…的企业有320家) or
    a tally of contacts (已接触超过150家企业): those are kept under other:."""
    if flow:
        return f"other:new-{base}"
    if _rx(rf"(?:{_cues('zh', 'outreach_verbs')})[了过]?$").search(before):
        return f"other:contacted-{base}"
    return key


def extract(
    text: str,
    *,
    language: str,
    published: date | None,
    catalogue: Catalogue,
    subject: str = "HKSTP",
) -> list[Mention]:
    """The figure mentions in an article's clean text, in order, one per distinct figure.

    `language` is "en" or "zh" (anything else reads as English); `published` becomes
    each mention's `as_of`; `subject` is the watched organisation's name.
    """
    zh = language.lower().startswith("zh")
    lang = "zh" if zh else "en"
    simple = normalise_chinese(text) if zh else text
    matcher = _matcher_for(catalogue, lang)
    discourse = Discourse(text, catalogue, lang, subject)
    masked = [(p.start(), p.end()) for p in _PHONE.finditer(text)]
    numbers = find_numbers(simple, lang)
    mentions: list[Mention] = []
    seen: set[tuple[str, str, Decimal, str, str]] = set()
    index = 0
    for s_start, s_end in _sentences(text, zh):
        discourse.start_sentence(s_start)
        while index < len(numbers) and numbers[index].start < s_end:
            n = numbers[index]
            index += 1
            if n.start < s_start or any(a <= n.start < b for a, b in masked):
                continue
            if _is_distractor(simple, n, zh, s_start) or (zh and _in_range(simple, n)):
                continue
            c_span = _clause_span(simple, n.start, n.end, s_start, s_end, zh)
            clause = simple[c_span[0] : c_span[1]]
            found = (
                _find_zh(simple, n, matcher, (s_start, s_end), clause)
                if zh and n.kind != "words" and not _en_like(simple, n)
                else _find_en(simple, n, matcher, (s_start, s_end), clause)
            )
            if found is None or (found.unit == "count" and _planned(simple, n, s_start, zh)):
                continue
            if not found.metric.startswith("other:") and _past(
                simple, n, (s_start, s_end), found.np_end, published, zh
            ):
                found = dataclasses.replace(found, metric=f"other:past-{found.metric}")
            if found.metric in matcher.periods:  # HK$780m in one year: not the running total
                period = matcher.by_period(found.metric, clause, simple[s_start : c_span[0]])
                found = dataclasses.replace(found, metric=period)
            if _quoted_wording(simple, n, s_start, s_end):
                continue
            noun_follows = re.match(r"\s*[A-Za-z\u4e00-\u9fff]", simple[n.end : found.end])
            if _year_like(simple, n) and (found.metric.startswith("other:") or not noun_follows):
                continue  # 2019 is a year unless a counted noun follows it
            c_start = _clause_start(simple, s_start, found.start, zh)
            who = discourse.subject_for(n.start, c_start, found.np_end)
            key = (who, found.metric, n.value, n.qualifier, found.unit)
            if key in seen:
                continue
            seen.add(key)
            low, high = interval(n.value, n.qualifier)
            mentions.append(
                Mention(
                    subject=who,
                    metric=found.metric,
                    value=n.value,
                    qualifier=n.qualifier,
                    low=low,
                    high=high,
                    unit=found.unit,
                    text=text[found.start : found.end],
                    start=found.start,
                    end=found.end,
                    sentence=text[s_start:s_end].strip(),
                    as_of=published,
                )
            )
        discourse.finish(s_end)
    return mentions


_QUOTE_OPEN, _QUOTE_CLOSE = '"“「『', '"”」』'
_WORDING_NOUN = re.compile(
    r"^\s*(?:(?:line|claim|slogan|tagline|headline|boast|label|phrase|soundbite|mantra)s?\b"
    r"|的?(?:说法|口号|标语|宣传语))",
    re.IGNORECASE,
)


def _quoted_wording(text: str, n: Number, s_start: int, s_end: int) -> bool:
    """A number inside quotation marks that the text names as a wording ("the 'three
    unicorns' line", 「三隻獨角獸」的說法) is mentioned, not stated."""
    before, after = text[s_start : n.start], text[n.end : s_end]
    opened = max(before.rfind(q) for q in _QUOTE_OPEN)
    if opened < 0 or any(q in before[opened + 1 :] for q in _QUOTE_CLOSE if q != '"'):
        return False
    closes = [i for i in (after.find(q) for q in _QUOTE_CLOSE) if i >= 0]
    return bool(closes) and bool(_WORDING_NOUN.match(after[min(closes) + 1 :]))


def _past_patterns(language: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    lang = pack(language)
    zh = language == "zh"
    gap = "[^，。；]{0,12}?" if zh else r"[^,;.]{0,40}?\b"
    cues = "|".join(
        gap.join(re.escape(simplify(p) if zh else p).replace(r"\ ", r"\s+") for p in w.split("…"))
        for w in lang.past_cues
    )
    founding = "|".join(re.escape(simplify(w) if zh else w) for w in lang.founding_words)
    if zh:
        return re.compile(cues), re.compile(rf"(?:{founding})")
    return re.compile(rf"\b(?:{cues})\b", re.I), re.compile(rf"\b(?:{founding})\b", re.I)


_PAST = {language: _past_patterns(language) for language in ("en", "zh")}
_YEAR = re.compile(r"(?<![\d/-])((?:19|20)\d\d)(?![\d/-])")


def _past(
    text: str, n: Number, s: tuple[int, int], np_end: int, published: date | None, zh: bool
) -> bool:
    """The count is stated for an earlier time: a past cue in its clause or in a clause
    fronting the sentence (a decade ago, when it opened, 成立之初), or a year two or more
    before the article's heading the sentence or right after the counted phrase ("In 2015,
    HKSTP had 600 companies", "had 600 in 2015"). A founding year ("established in 2001")
    dates the organisation, not the count."""
    cues, founding = _PAST["zh" if zh else "en"]
    c_start = _clause_start(text, s[0], n.start, zh)
    own = text[c_start : n.start]
    nows = _cues("zh" if zh else "en", "present_cues")
    if _rx(rf"(?<![a-z])(?:{nows})(?![a-z])", re.I).search(own):
        return False  # "..., and today it has 1,900": the clause says now
    if (_ZH_CHANGE if zh else _EN_FROM_TO).search(text[s[0] : n.start]):
        return False  # "went from 2,050 a year ago to 2,310": the past is the old value
    first = _clause_start(text, s[0], c_start - 1, zh) == s[0] if c_start > s[0] else True
    scope = text[s[0] if first else c_start : n.start]
    if cues.search(scope) or cues.search(text[n.end : np_end + 12]):
        return True
    if published is None:
        return False
    head = text[s[0] : n.start]
    fronted = re.match(
        r"^\W*(?:(?:in|by|back in|as of|at the end of)\s+)?" + _YEAR.pattern, head, re.I
    )
    after = re.match(r"^\s*(?:in|by)\s+" + _YEAR.pattern, text[np_end : np_end + 12], re.I)
    zh_year = (
        re.match(r"^\W*" + _YEAR.pattern + r"年(?:底|初|中)?(?:时|的时候|，)", head) if zh else None
    )
    for match in (fronted, after, zh_year):
        if match and int(match.group(1)) <= published.year - 2:
            return match is after or not founding.search(head[: match.end() + 12])
    return False


def _planned(text: str, n: Number, s_start: int, zh: bool) -> bool:
    """A count the clause states as a goal ("plans to hire 50 engineers"), not as a fact."""
    before = text[_clause_start(text, s_start, n.start, zh) : n.start]
    return bool((_ZH_PLAN_BEFORE if zh else _EN_PLAN_BEFORE).search(before))


def _widened(
    phrase: str, hit: tuple[int, int, str], m: _Matcher, language: str
) -> tuple[int, int, str]:
    """A narrower counted noun coordinated with a wider one counts the wider group: startups
    "and tech firms", 初创企业及科技公司. The wider metric is the one the narrower refines
    into nothing: a catalogue metric whose wordings follow the coordinator."""
    words = _cues(language, "coordinators")
    gap = r"\s*" if language == "zh" else r"\s+"
    joined = _rx(rf"{gap}(?:{words}){gap}(?:other{gap})?", re.I).match(phrase[hit[1] :])
    if joined is None:
        return hit
    other = m.counts.first(phrase[hit[1] + joined.end() :])
    if other is None or other[0] > (4 if language == "zh" else 12) or other[2] == hit[2]:
        return hit
    if hit[2] not in m.catalogue.metric(other[2]).includes:
        return hit
    return (hit[0], hit[1] + joined.end() + other[1], other[2])


_AREA_WORD = re.compile(r"平方米|平方公尺|平方呎|公顷|square|sq\.?\s?(?:m|ft)|hectare", re.I)


def _one_building(before: str, zh: bool) -> bool:
    """The clause before an area names one building or facility (not "its 23 buildings"):
    the area is that building's, a part of the floor area."""
    area = list(_AREA_WORD.finditer(before))
    before = before[area[-1].end() :] if area else before  # another area's clause is done
    if zh:
        words = _cues("zh", "part_nouns")
        # Chinese marks no plural: only a noun marked as one building counts (该大楼,
        # 一幢大楼, 新落成的大楼), not 新大楼 (often the new buildings of a project)
        return any(
            re.search(
                r"(?:该|这|此|一[座幢栋])[^，。；]{0,2}$|(?:落成|建成|启用)的$", before[: m.start()]
            )
            for m in _rx(words).finditer(before)
        )
    words = _cues("en", "part_nouns")
    return any(
        not re.search(
            r"(?:\d|\b(?:two|three|four|five|six|seven|eight|nine|ten))\W*$",
            before[: m.start()],
            re.I,
        )
        for m in _rx(rf"\b(?:{words})\b(?![\w-])", re.I).finditer(before)
    )


def _in_range(text: str, n: Number) -> bool:
    """Either end of a range (250至499人, 10-20家) is a band, not a figure."""
    marks = _cues("zh", "range_marks").replace("|", "")
    return bool(
        _rx(rf"\d[{marks}]$").search(text[max(0, n.start - 2) : n.start])
        or _rx(rf"[{marks}]\d").match(text[n.end : n.end + 2])
    )


def _en_like(text: str, n: Number) -> bool:
    """In Chinese text, a number written the English way ("HK$68 billion", "30 companies")."""
    return (
        n.kind == "digits"
        and not n.measure
        and n.unit is None
        and bool(re.match(r"\s?[A-Za-z]", text[n.end : n.end + 2]))
    )
