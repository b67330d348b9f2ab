"""Which PDF reader keeps the sample papers' reading order, tables and Chinese text.

Compares pdfminer.six and pypdf (both maintained, permissive licences) as they come, and
pressmon's `crawler.pdf` (pdfminer's layout with rows rebuilt), on the sample newsroom's
English and Chinese papers, both editions. For each reader and paper it prints:

- order: share of the paper's blocks (headings, paragraphs) found whole and in order,
  whitespace ignored;
- rows: share of table rows whose cells come out next to each other (a few characters
  apart), which is what the figures extractor needs to pair a label with its value;
- paragraphs: share of paragraphs on one line of the output (sentence splitting needs it);
- cjk: share of the paper's Chinese characters recovered;
- ms: milliseconds per document.

    pip install pypdf && python benchmarks/pdf_extraction.py
"""

from __future__ import annotations

import io
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from crawler.pdf import read_pdf
from samplesite.articles import articles
from samplesite.papers import paper_pdf

RUNS = 5
_CJK = re.compile(r"[\u3400-\u9fff]")


def _pdfminer(body: bytes) -> str:
    from pdfminer.high_level import extract_text

    return str(extract_text(io.BytesIO(body)))


def _pypdf(body: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def _pypdf_layout(body: bytes) -> str:
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(body)).pages
    return "\n".join(page.extract_text(extraction_mode="layout") for page in pages)


def _pressmon(body: bytes) -> str:
    return read_pdf(body, "sample paper").text


READERS: dict[str, Callable[[bytes], str]] = {
    "pdfminer.six": _pdfminer,
    "pypdf": _pypdf,
    "pypdf layout": _pypdf_layout,
    "pressmon (pdfminer layout)": _pressmon,
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _blocks(body: str) -> tuple[list[str], list[list[str]]]:
    """(headings and paragraphs, table rows as cells) of a content file's body."""
    blocks, rows = [], []
    for chunk in body.split("\n\n"):
        chunk = chunk.strip()
        if chunk.startswith("|"):
            rows += [
                [c.strip() for c in line.strip("| ").split("|")] for line in chunk.splitlines()
            ]
        elif chunk:
            blocks.append(chunk.removeprefix("## "))
    return blocks, rows


def score(text: str, body: str) -> dict[str, float]:
    blocks, rows = _blocks(body)
    flat, position, in_order = _squash(text), 0, 0
    for block in blocks:
        found = flat.find(_squash(block), position)
        if found >= 0:
            in_order += 1
            position = found
    paired = sum(
        bool(re.search(".{0,6}".join(re.escape(_squash(cell)) for cell in row), flat))
        for row in rows
    )
    lines = {" ".join(line.split()) for line in text.splitlines()}
    whole = sum(" ".join(block.split()) in lines for block in blocks)
    wanted = Counter(_CJK.findall(body))
    got = Counter(_CJK.findall(text))
    cjk = sum((wanted & got).values()) / sum(wanted.values()) if wanted else 1.0
    return {
        "order": in_order / len(blocks),
        "rows": paired / len(rows) if rows else 1.0,
        "paragraphs": whole / len(blocks),
        "cjk": cjk,
    }


def main() -> None:
    papers = [a for a in articles() if a.extra.get("pdf")]
    print(f"{'reader':28} {'paper':24} ed  order  rows  paragraphs  cjk    ms")
    for name, reader in READERS.items():
        for article in papers:
            for edition in (1, 2):
                body = paper_pdf(article, edition)
                started = time.perf_counter()
                for _ in range(RUNS):
                    text = reader(body)
                ms = (time.perf_counter() - started) / RUNS * 1000
                s = score(text, article.text_in(edition))
                print(
                    f"{name:28} {article.id:24} {edition}   {s['order']:.2f}   {s['rows']:.2f}"
                    f"  {s['paragraphs']:.2f}        {s['cjk']:.2f}  {ms:5.1f}"
                )


if __name__ == "__main__":
    main()
