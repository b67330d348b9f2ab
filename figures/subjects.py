"""Whom a figure belongs to: the watched organisation, or what the sentence credits.

Part of figure extraction: figures.extract finds the numbers, and a `Discourse`
walks the article in order, reading the names in it (the watched organisation,
other parks, branches, programmes, companies, "the park", "the company") and
answering, for each number, which subject it is stated about.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from figures.catalogue import Catalogue, Wordings, simplify
from figures.packs import pack
from figures.script import normalise_chinese

__all__ = ["Discourse", "Entity", "find_entities"]

_CLAUSE_START = "，。；：、」”\n,;:(（"
_CLAUSE_OPENING = re.compile(
    r"(?:^|[，。；：、」”\n,;:.!?(（]\s*)(?:(?:the|The|Its|its|目前|現時|现时|其中|當中|当中)\s*)?$"
)
_DESCRIBED = re.compile(r"(?<![\w-])(?:a|an)\s+$")
_LEADING = re.compile(r"^(?:(?:The|When|In|At|On|A|An|By|From|Today|Its|the)\s+)+")


@dataclass(frozen=True)
class Entity:
    """A name in the text: where it is, what kind of thing, and what to call it."""

    start: int
    end: int
    kind: str  # watched | watched_site | place | company | part | programme | government
    #            | city | anaphor_place | anaphor_company | anaphor_part
    name: str
    adjacent: bool = False  # counts only right before the number ("Hong Kong's 18 ...")


def _needles(words: tuple[str, ...]) -> tuple[str, ...]:
    """A piece of each name that must occur in a text (lowercased) for the name to: a
    substring test in C skips most of a list's regular expression on most texts."""
    return tuple({w.lower().split()[0] for w in words if w.split()})


def _scan(
    pattern: re.Pattern[str], needles: tuple[str, ...], text: str, lower: str
) -> list[re.Match[str]]:
    """pattern.finditer(text), tried only where a needle (a name's first word, lowercased)
    starts: a substring search in C, instead of the whole alternation at every position."""
    starts: set[int] = set()
    for needle in needles:
        at = lower.find(needle)
        while at >= 0:
            starts.add(at)
            at = lower.find(needle, at + 1)
    found: list[re.Match[str]] = []
    for at in sorted(starts):
        if found and at < found[-1].end():
            continue  # inside the last name, as finditer would skip it
        match = pattern.match(text, at)
        if match:
            found.append(match)
    return found


def _wording_re(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for a list of names: case kept when a name has capitals."""
    if not words:
        return None
    parts = []
    for word in sorted(words, key=len, reverse=True):
        body = re.escape(word).replace(r"\ ", r"\s+")
        if not any(c.isupper() for c in word):
            body = f"(?i:{body})"
        if word[:1].isascii() and word[:1].isalnum():
            body = rf"(?<![\w-]){body}"
        if word[-1:].isascii() and word[-1:].isalnum():
            body = rf"{body}(?![\w-])"
        parts.append(body)
    return re.compile("|".join(parts))


class _Patterns:
    """The catalogue's subject cues, compiled once per language."""

    def __init__(self, catalogue: Catalogue, language: str, subject: str) -> None:
        self.subject = subject
        self.zh = language == "zh"
        watched = (*catalogue.watched.for_language(language), subject)
        self.watched = _wording_re(watched)
        self.watched_needles = _needles(watched)
        self.watched_names = {w.lower() for w in watched}
        self.site_names = {w.lower() for w in catalogue.watched_sites.for_language(language)}
        self.groups: list[tuple[re.Pattern[str], str, str, str]] = []
        self.group_needles: list[tuple[str, ...]] = []
        for sub in catalogue.subjects:
            words = sub.wordings.for_language(language)
            pattern = _wording_re(words)
            if pattern:
                self.groups.append((pattern, sub.kind, sub.name, sub.position))
                self.group_needles.append(_needles(words))
        for kind, wordings in (
            ("anaphor_place", catalogue.anaphors.place),
            ("anaphor_company", catalogue.anaphors.company),
            ("anaphor_part", catalogue.anaphors.part),
        ):
            words = Wordings(en=wordings.en, zh=wordings.zh).for_language(language)
            pattern = _wording_re(words)
            if pattern:
                self.groups.append((pattern, kind, "", "anywhere"))
                self.group_needles.append(_needles(words))
        cap = r"[A-Z][\w'’&.-]*"
        space = r"[^\S\n]+"  # a name never runs across a line (a headline into a byline)
        suffixes = "|".join(re.escape(s) for s in catalogue.company_suffixes) or "(?!)"
        self.company = re.compile(rf"\b(?:{cap}{space}){{1,3}}(?:{suffixes})\b(?!-)")
        places = "|".join(re.escape(s) for s in catalogue.place_suffixes) or "(?!)"
        self.place = re.compile(rf"\b(?:{cap}{space}){{1,4}}(?:{places})\b(?![\w-])")
        self.one_company = re.compile(
            r"\b(?:a|one)\s+(?:single\s+)?(?:company|firm|start-?up|business)\s+(?=of\b)", re.I
        )
        self.zh_quoted = re.compile(
            r"(?:企业|公司|初创|之一)(?:当中|之中)?，?[^，。；]{0,4}?[「“『]([^」”』，。]{2,12})[」”』]"
            r"|[「“『]([^」”』，。]{2,12})[」”』](?=[^，。；]{0,2}(?:创办人|公司|企业))"
        )
        self.zh_one_company = re.compile(r"一[间家所个][^，。；]{0,20}?(?:企业|公司|初创)")
        self.owner = _owner_re(language) if not self.zh else None
        locatives = [simplify(w) for w in pack(language).locatives]
        self.locative = re.compile(
            r"^\s*(?:"
            + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in locatives)
            + r")\s*(?:the\s+)?$",
            re.IGNORECASE,
        )
        self.not_names = frozenset(pack(language).not_names)
        self.counted = frozenset(
            w.lower() for m in catalogue.metrics for w in m.wordings.for_language("en")
        )
        before = _wording_re(catalogue.landmark.before.for_language(language))
        after = _wording_re(catalogue.landmark.after.for_language(language))
        self.landmark_before = re.compile(rf"(?:{before.pattern})\s*$") if before else None
        self.landmark_after = re.compile(rf"^\s*(?:{after.pattern})") if after else None


def _owner_re(language: str) -> re.Pattern[str]:
    """English "<Name>['s noun] <verb of having> [a few words]" ending where the number starts:
    "Tencent has", "Singapore's one-north hosts", "Acme Labs employs a workforce of"."""
    lang = pack(language)
    verbs = "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in lang.possession_verbs)
    fillers = "|".join(re.escape(v) for v in lang.verb_fillers) or "(?!)"
    space = r"[^\S\n]+"
    name = rf"[A-Z][\w&.-]*(?:{space}[A-Z][\w&.-]*){{0,3}}"
    return re.compile(
        rf"(?<![\w'’&.-])(?P<name>{name})(?P<poss>['’]s(?:{space}[\w-]+){{1,3}}?)?"
        rf"{space}(?:(?:{fillers}){space})*(?:{verbs}){space}(?:[a-z]+{space}){{0,4}}$"
    )


@lru_cache(maxsize=16)
def _patterns(catalogue: Catalogue, language: str, subject: str) -> _Patterns:
    return _Patterns(catalogue, language, subject)


_LAST_PATTERNS: list[tuple[Catalogue, str, str, _Patterns]] = []


def _patterns_for(catalogue: Catalogue, language: str, subject: str) -> _Patterns:
    """`_patterns`, with the catalogue last used found by identity first: hashing a whole
    catalogue for the cache costs more than extracting a short article."""
    for known, lang, who, patterns in _LAST_PATTERNS:
        if known is catalogue and lang == language and who == subject:
            return patterns
    patterns = _patterns(catalogue, language, subject)
    _LAST_PATTERNS[:] = [(catalogue, language, subject, patterns), *_LAST_PATTERNS[:3]]
    return patterns


def find_entities(text: str, patterns: _Patterns, original: str | None = None) -> list[Entity]:
    """Every name in `text` (Simplified already, for Chinese), longest first where they overlap.

    A name after "a"/"an" describes rather than names ("Corran Energy, a Science Park
    tenant"), so it is left out. Chinese company names are taken from `original`.
    """
    original = original or text
    found: list[Entity] = []
    lower = text.lower()
    if patterns.watched:
        found += [
            Entity(m.start(), m.end(), _watched_kind(m.group(0), patterns), "")
            for m in _scan(patterns.watched, patterns.watched_needles, text, lower)
            if not (patterns.zh and _inside_longer_word(text, m.start(), m.end()))
        ]
    for (pattern, kind, name, position), needles in zip(
        patterns.groups, patterns.group_needles, strict=True
    ):
        for m in _scan(pattern, needles, text, lower):
            if position == "clause_start" and not _CLAUSE_OPENING.search(text[: m.start()]):
                continue
            if kind == "anaphor_place" and patterns.zh and _inside_longer_word(text, *m.span()):
                continue  # 园区 in 科技园区: some other park
            zh_anaphor = kind == "anaphor_company" and patterns.zh and not m.group(0).isascii()
            if zh_anaphor and m.start() > 0 and text[m.start() - 1] not in _CLAUSE_START:
                continue  # bare 公司 counts only where a clause starts
            found.append(
                Entity(m.start(), m.end(), kind, name, adjacent=position == "before_number")
            )
    companies = []
    for m in patterns.company.finditer(text):
        name = _LEADING.sub("", m.group(0))
        companies.append(Entity(m.end() - len(name), m.end(), "company", name))
    found += companies + _short_names(text, companies)
    for m in patterns.place.finditer(text):
        name = _LEADING.sub("", m.group(0))
        words = name.split()
        while len(words) > 1 and words[0].lower() in patterns.not_names:
            words.pop(0)  # "How Hong Kong Science Park's chief...": not part of the name
        name = " ".join(words)
        kind = "place"
        if name.lower() in patterns.watched_names:
            kind = _watched_kind(name, patterns)
        found.append(Entity(m.end() - len(name), m.end(), kind, name))
    for m in patterns.one_company.finditer(text):
        found.append(Entity(m.start(), m.end(), "company", "a company"))
    if patterns.zh:
        for m in patterns.zh_quoted.finditer(text):
            group = 1 if m.group(1) else 2
            name = original[m.start(group) : m.end(group)]
            found.append(Entity(m.start(group), m.end(group), "company", name))
        for m in patterns.zh_one_company.finditer(text):
            found.append(Entity(m.start(), m.end(), "company", "a company"))
    found = [
        e
        for e in found
        if not _landmark(text, e, patterns)
        and (
            not e.kind.startswith("watched")
            or not _DESCRIBED.search(text[max(0, e.start - 5) : e.start])
        )
    ]
    found.sort(key=lambda e: (e.start, -(e.end - e.start), e.kind.startswith("watched")))
    kept: list[Entity] = []
    for entity in found:
        if kept and entity.start < kept[-1].end:
            continue
        kept.append(entity)
    return kept


def _landmark(text: str, entity: Entity, patterns: _Patterns) -> bool:
    """A name given to say where something else is ("next to Science Park", 園區旁邊)."""
    before, after = patterns.landmark_before, patterns.landmark_after
    return bool(
        (before and before.search(text[max(0, entity.start - 20) : entity.start]))
        or (after and after.match(text[entity.end : entity.end + 6]))
    )


def _watched_kind(name: str, patterns: _Patterns) -> str:
    """A site of the watched organisation (Science Park) moves "the park" but is not what
    "the company" (公司) refers to; only the organisation's own names are."""
    return "watched_site" if name.lower() in patterns.site_names else "watched"


def _short_names(text: str, companies: list[Entity]) -> list[Entity]:
    """A company named in full ("Cellwise Energy") is later called by its first word
    ("Cellwise was incubated at HKSTP"), if that word names nothing else before."""
    found = []
    for company in companies:
        words = company.name.split()
        short = words[0]
        seen = re.search(rf"\b{re.escape(short)}\b", text[: company.start])
        if len(words) != 2 or len(short) < 4 or seen:
            continue
        for m in re.finditer(rf"\b{re.escape(short)}\b(?![^\S\n]+{re.escape(words[1])})", text):
            if m.start() > company.start:
                found.append(Entity(m.start(), m.end(), "company", company.name))
    return found


# "led 22 park companies to GITEX", "brought 13 firms to Riyadh", 率領20間公司前往: the
# companies are a delegation, not the organisation's whole.
_CONVEYED_BEFORE = re.compile(
    r"\b(?:lead|leads|led|leading|bring|brings|brought|bringing|take|takes|took|taken|taking"
    r"|send|sends|sent|sending|accompan(?:y|ies|ied))\s+(?:a\s+(?:group|team)\s+of\s+)?$"
    r"|(?:率领|带领|带同|组织)$",
    re.IGNORECASE,
)
_CONVEYED_AFTER = re.compile(r"^(?:\s+(?:along\s+)?to\b|\s*(?:前往|赴|到|出席|参加))")
DELEGATION = "delegation"
# Between a number's noun and a later name that owns it: a verb and a preposition at
# most ("work with HKSTP", "make up the park's biotech cluster"), no reported speech.
# A clause head, then a relative aside ending where the number's clause starts.
_ASIDE_BEFORE = re.compile(
    r"(?:^|(?<=[,;:]\s))(?P<head>[^,;:]+?),\s+(?:which|who|whose|where)\b[^,;:.]*,\s*$"
)
_OPENERS = re.compile(r"\b(?:" + "|".join(re.escape(o) for o in pack("en").owner_openers) + r")$")
_OWNER_KINDS = frozenset({"place", "company", "city", "government", "programme", "part"})
_POSSESSOR = re.compile(
    r"(?<![\w'’-])(?P<name>(?:[Tt]he\s+[a-z]+|[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3}))['’]s\s+"
    r"(?:[a-z-]+\s+(?:[a-z-]+\s+)?of\s+)?"  # "Sha Tin's population of 690,000"
    r"(?:(?:over|more\s+than|about|around|some|nearly|almost)\s+)?$"
)
_LINKED = re.compile(r"^(?!.*\b(?:said|says|told|tells|added)\b)\W*(?:[\w'’-]+\W+){0,5}$")


class Discourse:
    """Walks one article in order and keeps track of the place and company in focus."""

    def __init__(self, text: str, catalogue: Catalogue, language: str, subject: str) -> None:
        self.subject = subject
        self._zh = language == "zh"
        self._text = normalise_chinese(text) if language == "zh" else text
        self._original = text
        self._patterns = _patterns_for(catalogue, language, subject)
        self._entities = find_entities(self._text, self._patterns, text)
        self._next = 0  # index of the next entity not yet read
        self.place = subject  # what "the park" means now
        self.company: str | None = None  # the company last named
        self.organisation: str | None = None  # what "the company" means now
        self.general = subject  # whom a sentence with no name is about
        self.part: str | None = None  # the part last named (the expansion...)
        self._sentence: list[Entity] = []  # resolved names read so far in this sentence
        self._owner_named: str | None = None  # an owner a clause of this sentence named
        self._sentence_start = 0

    def start_sentence(self, position: int = 0) -> None:
        """Names seen in earlier sentences no longer count as "in this sentence"."""
        self._sentence = []
        self._owner_named = None
        self._sentence_start = position

    def _read_until(self, position: int) -> None:
        while self._next < len(self._entities) and self._entities[self._next].start < position:
            entity = self._entities[self._next]
            self._next += 1
            resolved = self._resolve(entity)
            if resolved is not None:
                self._sentence.append(resolved)

    def _resolve(self, entity: Entity) -> Entity | None:
        """Give the entity its name and move the focus as a reader's would move."""
        kind, name = entity.kind, entity.name
        if kind in ("watched", "watched_site"):
            name = self.subject
            self.place = self.general = name
            if kind == "watched":
                self.organisation = name
            kind = "watched"
        elif kind == "place":
            self.place = self.general = name
        elif kind == "part":  # "整項工程…" after 擴建計劃: the part stays the topic
            self.general = self.part = name
        elif kind == "anaphor_part":
            if self.part is None:
                return None
            name = self.general = self.part
            kind = "part"
        elif kind == "company":
            self.company = self.general = self.organisation = name
        elif kind == "anaphor_place":
            name = self.place
            self.general = name
            kind = "watched" if name == self.subject else "place"
        elif kind == "anaphor_company":
            # "the company" is the company last named; Chinese 公司 may also be the
            # watched organisation (科技園公司…，公司…). With none named, some company.
            last = self.organisation if self._zh else self.company
            name = self.general = self.organisation = last or "a company"
            kind = "watched" if name == self.subject else "company"
        return Entity(entity.start, entity.end, kind, name, entity.adjacent)

    def subject_for(self, start: int, clause_start: int, np_end: int) -> str:
        """The subject of the number starting at `start` whose phrase ends at `np_end`.

        In order: a delegation ("led 22 companies to ..."); with no name before it in the
        sentence, a name later in its clause; a name right before it ("Hong Kong's");
        a place it is "in"/"at"; the names of its clause, then of its sentence; else
        whom the text was last about."""
        self._read_until(start)
        conveyed = self._text[clause_start:start]
        if _CONVEYED_BEFORE.search(conveyed) and _CONVEYED_AFTER.match(self._text[np_end:]):
            return DELEGATION
        owner = self._owner(clause_start, start)
        if owner:
            self._owner_named = self.general = owner  # and the topic of what follows
            return owner
        if self._owner_named is None:
            self._owner_named = self._earlier_owner(clause_start)
        if self._owner_named and not any(
            e.kind == "watched" and clause_start <= e.start < start for e in self._sentence
        ):
            if self._placed_at_watched(np_end):  # 当中逾1,000间位于科学园: the watched one's
                return self.subject
            return self._owner_named  # 大湾区拥有…人口，区内企业超过6万家: still the region
        possessor = self._possessor(start)
        if possessor:
            return possessor
        before = [e for e in self._sentence if e.end <= start]
        label = self._text[self._sentence_start : clause_start]
        if label.rstrip().endswith((":", "：")) and len(label.split()) <= 4:
            before = [e for e in before if e.start >= clause_start]  # "Budget 2015: HK$50m..."
        if not before:  # "More than 140 companies now make up the park's biotech cluster"
            later = self._later_in_clause(np_end)
            if later:
                return later
        for entity in reversed(before):
            if entity.adjacent and not self._text[entity.end : start].strip():
                return entity.name
        if self._placed_at_watched(np_end):  # "1,300 of which are based at HKSTP"
            return self.subject
        before = [e for e in before if not e.adjacent]
        after = self._text[np_end : np_end + 60]
        locative = re.match(r"\s*(?:in|at|on|within|inside)\s+(?:the\s+)?", after)
        if locative:
            self._read_until(np_end + locative.end() + 1)
            for entity in self._sentence:
                if entity.start == np_end + locative.end() and entity.kind == "place":
                    return entity.name
        in_clause = [e for e in before if e.start >= clause_start]
        others = [e for e in in_clause if e.name != self.subject]
        if others:
            return others[-1].name
        if in_clause:
            return in_clause[0].name
        if before:
            return before[-1].name
        return self.general

    def _earlier_owner(self, clause_start: int) -> str | None:
        """The owner an earlier clause of this sentence named, with a number or not
        (深圳拥有约1,700万居民，区内…: the later clause is still about 深圳)."""
        owner, begin = None, self._sentence_start
        marks = r"[，；]" if self._zh else r",\s|;"
        for mark in re.finditer(marks, self._text[self._sentence_start : clause_start]):
            end = self._sentence_start + mark.start()
            if end > begin:
                owner = self._owner(begin, end) or owner
            begin = self._sentence_start + mark.end()
        return owner

    def _possessor(self, start: int) -> str | None:
        """ "Europe's 25 labs", "the region's 30 unicorns": a possessive right before the
        number owns it, unless it names the watched organisation or points back at it."""
        if self._zh:
            return None
        window = max(0, start - 60)
        match = _POSSESSOR.search(self._text[window:start])
        if match is None:
            return None
        begin = window + match.start("name")
        end = begin + len(match["name"])
        if any(e.start < end and begin < e.end for e in self._entities):
            return None  # a known name: the rules above have read it
        words = match["name"].split()
        if words[0].lower() in self._patterns.not_names and len(words) == 1:
            return None  # "its 1,800 companies"
        if words[0] in ("the", "The") and len(words) == 2 and words[1].islower():
            if words[1] in pack("en").anaphor_nouns:
                return None  # "the corporation's 1,800 tenants": whoever the text is about
            return f"the {words[1]}"
        while len(words) > 1 and words[0].lower() in self._patterns.not_names:
            words.pop(0)  # "Of Asia's 300 unicorns": Asia
        return None if words[0][0].islower() else " ".join(words)

    def _owner(self, clause_start: int, start: int) -> str | None:
        """A clause that opens with a name nobody has introduced ("Tencent has 105,000
        employees", "Singapore's one-north hosts 800 companies", 新加坡的科技园区有800间企业)
        is about that name: not the watched organisation, whatever the text was about.

        Only when the clause names no watched organisation (or "the park" meaning it)
        before the number, and the name is no known subject (those have their own rules)."""
        prefix = self._text[clause_start:start]
        skipped = (start, start)  # an aside the owner's clause reads past
        if self._zh:
            found = _zh_owner(prefix)
            if found is None:
                return None
            at, name = found
        else:
            match = self._patterns.owner.search(prefix) if self._patterns.owner else None
            if match is None and self._patterns.owner:
                # "Microsoft, which opened a lab at HKSTP, employs...": read past the aside
                aside = _ASIDE_BEFORE.search(self._text[self._sentence_start : clause_start])
                if aside:
                    clause_start = self._sentence_start + aside.start()
                    skipped = (
                        clause_start + len(aside["head"]),
                        self._sentence_start + aside.end(),
                    )
                    prefix = self._text[clause_start : skipped[0]] + " " + prefix.lstrip()
                    match = self._patterns.owner.search(prefix)
            if match is None:
                return None
            words = match["name"].split()
            while words and words[0].lower() in self._patterns.not_names:
                words.pop(0)
            name = " ".join(words)
            if not name or name.lower() in self._patterns.counted:
                return None
            at = match.end("name") - len(name)
            opener = prefix[: match.start("name")].strip(" ,\n").lower()
            if opener and not _OPENERS.search(opener):
                return None
        begin, end = clause_start + at, clause_start + at + len(name)
        if any(
            e.kind == "watched"
            and end <= e.start < start
            and not skipped[0] <= e.start < skipped[1]
            for e in self._sentence
        ):
            return None  # "Pak Shek Kok's Science Park has": the name only places it
        known = [e for e in self._entities if e.start < end and begin < e.end]
        if known:  # "Hong Kong's start-up scene counts 4,300": a known other subject owns it
            other = known[0]
            if other.kind.startswith("watched"):
                # "Science Park, where Acme is based, hosts 2,100...", "the Secretary said
                # Science Park now has 2,000...": the watched organisation owns the clause,
                # unless something else is named between it and the number (its cluster)
                between = [e for e in self._entities if end <= e.start < start]
                if skipped[0] < start or not between:
                    return self.subject
                return None
            return other.name if other.kind in _OWNER_KINDS and other.name else None
        return self._original[begin:end]

    def _placed_at_watched(self, position: int) -> bool:
        """The number's phrase is placed at the watched organisation right after it:
        "1,300 of which are based at HKSTP", 当中逾1,000间位于科学园."""
        for entity in self._entities[self._next :]:
            if entity.start < position:
                continue
            if entity.start >= position + 40:
                break
            gap = self._text[position : entity.start]
            kind = entity.kind
            if kind.startswith("watched") or (
                kind == "anaphor_place" and self.place == self.subject
            ):
                return bool(self._patterns.locative.match(gap))
            break
        return False

    def _later_in_clause(self, position: int) -> str | None:
        """The name a clause gives after its number, when the sentence named none before
        it: a part or other subject first, else the watched organisation."""
        rest = self._text[position:]
        stop = re.search(r"[,;:.!?，。；：！？\n]", rest)
        end = position + (stop.start() if stop else len(rest))
        names = []
        for entity in self._entities[self._next :]:
            if entity.start >= end:
                break
            gap = self._text[position : entity.start]
            if entity.start < position or entity.adjacent or not _LINKED.match(gap):
                continue
            if entity.kind.startswith("watched"):
                names.append(self.subject)
            elif entity.kind == "anaphor_place":
                names.append(self.place)
            elif entity.kind == "anaphor_part":
                names += [self.part] if self.part else []
            elif entity.kind != "anaphor_company":
                names.append(entity.name)
        others = [n for n in names if n != self.subject]
        return others[0] if others else (names[0] if names else None)

    def finish(self, position: int) -> None:
        """Read the names up to `position` (the end of a sentence) to move the focus."""
        self._read_until(position)


_ZH_PLACE_SUFFIXES = frozenset("区市省县国州岛湾镇村")


@cache
def _jieba() -> Any:
    """jieba, loaded on first use (its dictionary takes half a second), and quiet."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _inside_longer_word(text: str, start: int, end: int) -> bool:
    """A Chinese name that is part of a longer dictionary word is not that name: 科技园
    in 科技园区 ("a science park", anyone's) is not the organisation called 科技园."""
    words = _jieba().dt.FREQ
    for left in range(3):
        for right in range(3):
            wider = text[start - left : end + right] if start >= left else ""
            if (left or right) and words.get(wider):
                return True
    return False


def _zh_owner(prefix: str) -> tuple[int, str] | None:
    """The proper name (by jieba's part-of-speech tags) a Chinese clause opens with, unless
    a verb of speech follows it (the speaker, not the owner): (offset, name)."""
    lang = pack("zh")
    tokens = list(_jieba().posseg.cut(prefix[:16], HMM=False))
    index, at = 0, 0
    while index < len(tokens) and (
        not tokens[index].word.strip() or tokens[index].word in (*lang.owner_openers, "，", ",")
    ):
        at += len(tokens[index].word)
        index += 1
    if index == len(tokens):
        return None
    token = tokens[index]
    if token.flag not in lang.owner_tags or len(token.word) < 2:
        return None
    following = "".join(t.word for t in tokens[index + 1 : index + 3])
    if any(following.startswith(v) for v in lang.speech_verbs):
        return None
    rest = prefix[at + len(token.word) :]
    possessed = index + 1 < len(tokens) and tokens[index + 1].flag.startswith("n")  # 华为员工
    if not (rest.startswith("的") or possessed or any(v in rest for v in lang.possession_verbs)):
        return None
    name = token.word
    following = tokens[index + 1].word if index + 1 < len(tokens) else ""
    if following in _ZH_PLACE_SUFFIXES:
        name += following  # 大湾 + 区: the segmenter split a place name's suffix off
    return at, name
