"""Chinese script normalisation: Traditional and Simplified text read alike.

Figure extraction matches every Chinese wording against Simplified text, so a
wording written once in either script finds both. The character table is
OpenCC's (its Traditional -> Simplified character dictionary); only the
one-character-for-one entries are used, so every offset in the normalised text
is the offset in the original and spans can be shown in the script the article
was written in. OpenCC's phrase tables are left out on purpose: they may change
a text's length, and figure wordings need no regional phrasing.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = ["normalise_chinese", "simplify"]

# Characters OpenCC maps that figure text must keep as they are: 著 -> 着 is right for
# the verb but wrong for 著名 in half the texts either way, so both sides keep 著.
_KEEP = frozenset("著")


@cache
def _table() -> dict[int, str]:
    """Traditional character -> its first Simplified reading, from OpenCC's dictionary."""
    path = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(target) == 1 and source not in _KEEP:
            table[ord(source)] = target
    return table


# Every character the table maps is a Han character in these blocks.
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def simplify(text: str) -> str:
    """`text` with Traditional characters as Simplified; same length, same offsets."""
    if not _HAN.search(text):
        return text  # nothing to map: spares translate's per-character lookups (English)
    return text.translate(_table())


# ASCII punctuation in Chinese text (cleaners and wires often write it so) read as the
# full-width marks the Chinese rules split on; a comma inside a number stays a comma.
_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}


def normalise_chinese(text: str) -> str:
    """Chinese text for matching: Simplified script and full-width clause punctuation.

    Same length as `text`, so every offset still points into the original. A comma
    between digits with three more after it ("1,300"), and a colon between digits
    (a time, "15:30"), are part of a number and stay."""
    return _ASCII_MARK.sub(lambda m: _FULL_WIDTH[m.group(0)], simplify(text))


# A mark that is not inside a number: "1,300" and "15:30" keep theirs.
_ASCII_MARK = re.compile(r"(?!(?<=\d),\d{3}(?!\d))(?!(?<=\d):\d)[,;:!?()]")
