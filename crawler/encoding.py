"""Bytes to text: the first step of cleaning, before any HTML parsing.

fetch hands over raw response bytes and the Content-Type header; clean needs
text. Hong Kong sources serve Big5, GBK/GB2312 and UTF-8, often with a missing
or wrong charset, so a declaration is trusted only when the bytes decode under
it without error; otherwise the bytes themselves decide.
"""

from __future__ import annotations

import codecs

import charset_normalizer
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# Encodings detection may choose from: the ones our sources use, plus the
# usual Western fallback. Narrowing the list keeps detection fast and stops
# it from picking an exotic code page for a short Chinese page.
DETECTION_CANDIDATES = ("utf_8", "big5", "big5hkscs", "gb18030", "gbk", "gb2312", "cp1252")

# Declared single-byte encodings that well-formed multi-byte UTF-8 almost
# never satisfies by chance: when the bytes are valid UTF-8, the
# declaration is the mistake (a common CMS misconfiguration).
_SINGLE_BYTE = frozenset({"cp1252", "iso8859-15"})

# Bytes charset-normalizer reads at most: enough for a page's text to show its
# script, small enough to keep detection at a few milliseconds.
_DETECTION_SAMPLE = 200_000


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML response the way a careful browser would, but check each guess.

    Order: BOM, the Content-Type charset, <meta charset>/http-equiv, strict
    UTF-8, then statistical detection. A declaration is skipped when the bytes
    break it, and a Western single-byte one loses to valid multi-byte UTF-8.
    Big5 and GB declarations are read with their supersets (Big5-HKSCS,
    GB18030) so Hong Kong characters survive.
    """
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None and bom is not None:
        return body[len(bom) :].decode(bom_encoding, "replace")

    for declared in (http_content_type_encoding(content_type), html_body_declared_encoding(body)):
        if declared is None:
            continue
        text = _strict(body, declared)
        if text is None:
            continue
        if resolve_encoding(declared) in _SINGLE_BYTE and not body.isascii():
            return _strict(body, "utf-8") or text
        return text

    text = _strict(body, "utf-8")
    if text is not None:
        return text
    return _detect(body)


def _strict(body: bytes, encoding: str) -> str | None:
    """The body decoded with `encoding` (or its web superset), or None if any byte is invalid.

    A multi-byte character cut off at the very end is dropped, not held against
    the encoding: fetch truncates oversized bodies at an arbitrary byte.
    """
    name = resolve_encoding(encoding)
    if name is None:
        return None
    try:
        return codecs.getincrementaldecoder(name)().decode(body, final=False)
    except UnicodeDecodeError:
        return None


def _detect(body: bytes) -> str:
    """Decode with the encoding charset-normalizer finds most coherent among our candidates."""
    best = charset_normalizer.from_bytes(
        _whole_characters(body[:_DETECTION_SAMPLE]), cp_isolation=list(DETECTION_CANDIDATES)
    ).best()
    name = "utf-8"
    if best is not None:
        name = resolve_encoding(best.encoding) or best.encoding
    return codecs.getincrementaldecoder(name)(errors="replace").decode(body, final=False)


def _whole_characters(sample: bytes) -> bytes:
    """The sample cut after its last byte below 0x40, which no candidate uses inside a character.

    A half character at the end (a truncated body, or the sample limit) makes
    charset-normalizer reject the right encoding.
    """
    for end in range(len(sample) - 1, max(len(sample) - 4096, -1), -1):
        if sample[end] < 0x40:
            return sample[: end + 1]
    return sample
