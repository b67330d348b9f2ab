"""Language of a cleaned page: part of the clean stage, after text extraction.

Relevance matching and figure extraction pick their English or Chinese rules
by this code, so it must be right for short and mixed pages. A page's own
`lang` attribute is the best evidence when its text is in the script that
language is written in; templates that stamp `lang="en"` on every page,
Chinese ones included, are caught by that check and sent to the detector.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # py3langid (and numpy) load with the model, where it is used
    from py3langid.langid import LanguageIdentifier

UNDETERMINED = "und"

# Text the detector reads at most; more adds time, not accuracy.
_SAMPLE_CHARS = 5_000

_SCRIPTS = {
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "greek": re.compile(r"[\u0370-\u03ff]"),
    "arabic": re.compile(r"[\u0600-\u06ff]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "thai": re.compile(r"[\u0e00-\u0e7f]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}
# One CJK character carries about as much as a short Latin word, so letters of
# alphabetic scripts are weighed down before the majority is taken.
_LETTERS_PER_SYLLABLE = 4
_SYLLABIC = frozenset({"han", "kana", "hangul"})

# The scripts a declared language is written in; any other language is Latin.
_LANGUAGE_SCRIPTS = {
    "zh": {"han"},
    "ja": {"han", "kana"},
    "ko": {"hangul", "han"},
    "ru": {"cyrillic"},
    "uk": {"cyrillic"},
    "bg": {"cyrillic"},
    "sr": {"cyrillic", "latin"},
    "el": {"greek"},
    "ar": {"arabic"},
    "fa": {"arabic"},
    "ur": {"arabic"},
    "he": {"hebrew"},
    "th": {"thai"},
}
# Declared codes that are not two-letter ISO 639-1 but name one of ours.
_ALIASES = {"yue": "zh", "cmn": "zh", "zho": "zh", "chi": "zh", "eng": "en"}


def detect_language(text: str, declared: str | None = None) -> str:
    """ISO 639-1 code of `text` ('en', 'zh', ...), or 'und' when it has no letters.

    `declared` is the page's lang value as written (e.g. 'zh-HK', 'en_US').
    """
    sample = text[:_SAMPLE_CHARS]
    script = dominant_script(sample)
    if script is None and not any(char.isalpha() for char in sample):
        return UNDETERMINED
    code = normalise_language_tag(declared)
    if code is not None and script in _LANGUAGE_SCRIPTS.get(code, {"latin"}):
        return code
    if script == "han":
        # Han without kana is Chinese; the detector can mistake short Chinese
        # runs for Japanese, whose text nearly always carries kana.
        return "zh"
    language, _ = _identifier().classify(sample)
    return str(language)


def normalise_language_tag(tag: str | None) -> str | None:
    """The primary subtag of a BCP 47 / POSIX tag as ISO 639-1: 'zh-Hant-HK' -> 'zh'."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    return primary if re.fullmatch(r"[a-z]{2}", primary) else None


def dominant_script(text: str) -> str | None:
    """The script most of the text's letters are in; None when none is in a script we list."""
    weights = {}
    for name, pattern in _SCRIPTS.items():
        count = len(pattern.findall(text))
        weights[name] = count if name in _SYLLABIC else count / _LETTERS_PER_SYLLABLE
    if weights["kana"]:
        # Japanese mixes kana and Han; together they are one script.
        weights["kana"] += weights.pop("han")
    best = max(weights, key=weights.__getitem__)
    return best if weights[best] > 0 else None


@functools.cache
def _identifier() -> LanguageIdentifier:
    """py3langid's bundled model, limited to languages that have an ISO 639-1 code.

    Loaded once per process (about half a second and 16 MB): by the cleaning workers' fork
    server (`crawler.preload`), and by a crawl process only when a news search gives it
    headlines to read.
    """
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages([label for label in identifier.labels if len(label) == 2])
    return identifier
