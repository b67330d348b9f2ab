"""What changed between two versions of an article, as rows a template can show.

Used by the article page: lines are compared with difflib, and within a
changed line the words (Han characters one by one) that differ are marked, so
a revised figure stands out. The output is plain data; the template escapes it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\s+|[\u3400-\u9fff\uf900-\ufaff]|\w+|[^\w\s]")
CONTEXT = 2


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class Row:
    """One line of the diff: op is ' ' (same), '-' (only in the older), '+' (only in the
    newer) or '…' (unchanged lines left out; `skipped` says how many)."""

    op: str
    segments: tuple[Segment, ...] = ()
    skipped: int = 0


def _tokens(line: str) -> list[str]:
    return _TOKEN.findall(line)


def _marked(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    a, b = _tokens(old), _tokens(new)
    left: list[Segment] = []
    right: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), op != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), op != "equal"))
    return tuple(left), tuple(right)


def _plain(line: str) -> tuple[Segment, ...]:
    return (Segment(line, False),)


def diff_rows(old: str, new: str) -> list[Row]:
    """Rows from `old` to `new`, with two unchanged lines of context around each change."""
    if old == new:
        return []
    a, b = old.splitlines(), new.splitlines()
    rows: list[Row] = []
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            lines = a[i1:i2]
            head = lines[:CONTEXT] if index > 0 else []
            tail = lines[-CONTEXT:] if index < len(opcodes) - 1 else []
            if len(head) + len(tail) >= len(lines):
                rows += [Row(" ", _plain(line)) for line in lines]
            else:
                rows += [Row(" ", _plain(line)) for line in head]
                rows.append(Row("…", skipped=len(lines) - len(head) - len(tail)))
                rows += [Row(" ", _plain(line)) for line in tail]
        elif op == "replace" and i2 - i1 == j2 - j1:
            for old_line, new_line in zip(a[i1:i2], b[j1:j2], strict=True):
                left, right = _marked(old_line, new_line)
                rows += [Row("-", left), Row("+", right)]
        else:
            rows += [Row("-", _plain(line)) for line in a[i1:i2]]
            rows += [Row("+", _plain(line)) for line in b[j1:j2]]
    return rows
