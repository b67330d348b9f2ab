"""Clean for PDF documents: fetched PDF bytes -> the same `CleanPage` an HTML page gives.

Government and Legislative Council papers, where an organisation's official figures are
stated, are PDF files. pdfminer.six reads them: of the two maintained, permissively
licensed readers it is the one that gives each line's position, which this module needs
to put the text back in reading order (`benchmarks/pdf_extraction.py` compares it with
pypdf on the sample papers). Lines are grouped into rows by their height on the page; a
row whose pieces stand apart is a table row and becomes one sentence ("Occupancy rate of
the Science Park: 92%."), so the figures extractor reads a table as it reads prose.
Wrapped lines of a paragraph are joined (without a space between two Chinese
characters); a gap taller than a line starts a new paragraph.

Caps (`PdfLimits`) bound what one document may cost: bytes, pages and seconds. An
encrypted, image-only or broken file is a `CleaningError` naming the reason.
"""

from __future__ import annotations

import datetime
import io
import itertools
import re
import time
from dataclasses import dataclass
from typing import Any

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTFigure, LTImage, LTPage, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral

from crawler.errors import CleaningError
from crawler.items import PdfLimits

PDF_MAGIC = b"%PDF-"
PDF_TYPES = ("application/pdf", "application/x-pdf", "application/acrobat")


DEFAULT_PDF_LIMITS = PdfLimits()


@dataclass(frozen=True)
class PdfText:
    """What a PDF yields before language and date detection."""

    title: str | None
    text: str
    author: str | None
    created: datetime.date | None
    pages: int


def is_pdf(body: bytes, content_type: str | None) -> bool:
    """A PDF by its declared type or its magic bytes (some servers send octet-stream).

    Never by the URL: a link ending in .pdf may answer with an HTML landing page.
    """
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared in PDF_TYPES:
        return True
    head = body[:1024]
    if declared.startswith("text/") or "html" in declared or "xml" in declared:
        # declared as markup: a PDF only if it starts like one (a page may quote "%PDF-1.7")
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(PDF_MAGIC)
    # octet-stream or no type: the header may follow a little junk; readers allow 1 KB
    return PDF_MAGIC in head


def read_pdf(body: bytes, where: str, limits: PdfLimits = DEFAULT_PDF_LIMITS) -> PdfText:
    """Text, title, author and creation date of a PDF; CleaningError with the reason if none."""
    if len(body) > limits.max_bytes:
        raise CleaningError(
            f"{where}: PDF of {len(body)} bytes exceeds the cap of {limits.max_bytes}"
        )
    if PDF_MAGIC not in body[:1024]:
        raise CleaningError(f"{where}: broken PDF: no %PDF header")
    try:
        return _read(body, where, limits)
    except CleaningError:
        raise
    except PDFPasswordIncorrect:
        raise CleaningError(f"{where}: encrypted PDF: it needs a password to open") from None
    except Exception as exc:  # pdfminer raises many types on malformed files; all mean broken
        detail = str(exc) or type(exc).__name__
        raise CleaningError(f"{where}: broken PDF: {type(exc).__name__}: {detail}") from None


def _read(body: bytes, where: str, limits: PdfLimits) -> PdfText:
    started = time.monotonic()
    document = PDFDocument(PDFParser(io.BytesIO(body)))
    if not document.is_extractable:
        raise CleaningError(f"{where}: encrypted PDF: its permissions forbid text extraction")
    count = _page_count(document)
    if count is not None and count > limits.max_pages:
        raise CleaningError(
            f"{where}: PDF has {count} pages, more than the cap of {limits.max_pages}"
        )
    resources = PDFResourceManager()
    device = PDFPageAggregator(resources, laparams=LAParams())
    interpreter = PDFPageInterpreter(resources, device)
    paragraphs: list[str] = []
    images = pages = 0
    for page in PDFPage.create_pages(document):
        pages += 1
        if pages > limits.max_pages:
            raise CleaningError(f"{where}: PDF has more than the cap of {limits.max_pages} pages")
        interpreter.process_page(page)
        layout = device.get_result()
        images += _count_images(layout)
        paragraphs += _paragraphs(layout)
        if time.monotonic() - started > limits.max_seconds:
            raise CleaningError(
                f"{where}: reading the PDF took more than the cap of {limits.max_seconds:g} s"
            )
    text = "\n".join(paragraphs).strip()
    if not text:
        if images:
            raise CleaningError(f"{where}: image-only PDF: no text layer (a scan needs OCR)")
        raise CleaningError(f"{where}: PDF has no text")
    info = document.info[0] if document.info else {}
    return PdfText(
        title=_info_text(info.get("Title")),
        text=text,
        author=_info_text(info.get("Author")),
        created=_pdf_date(_info_text(info.get("CreationDate"))),
        pages=pages,
    )


def _page_count(document: PDFDocument) -> int | None:
    pages = resolve1(document.catalog.get("Pages"))
    count = resolve1(pages.get("Count")) if isinstance(pages, dict) else None
    return count if isinstance(count, int) else None


def _count_images(item: Any) -> int:
    if isinstance(item, LTImage):
        return 1
    if isinstance(item, LTPage | LTFigure):
        return sum(_count_images(child) for child in item)
    return 0


@dataclass
class _Piece:
    """One text line as pdfminer laid it out: its text and box (y grows upwards)."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float


def _lines(layout: LTPage) -> list[_Piece]:
    found: list[_Piece] = []

    def walk(item: Any) -> None:
        if isinstance(item, LTTextLine):
            text = " ".join(item.get_text().split())
            if text:
                found.append(_Piece(text, item.x0, item.x1, item.y0, item.y1))
        elif hasattr(item, "__iter__") and not isinstance(item, LTChar):
            for child in item:
                walk(child)

    walk(layout)
    return found


def _rows(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Lines that share a height on the page, top to bottom, each row left to right."""
    rows: list[list[_Piece]] = []
    for piece in sorted(pieces, key=lambda p: -p.y1):
        row = rows[-1] if rows else None
        if row is not None:
            top, bottom = max(p.y1 for p in row), min(p.y0 for p in row)
            overlap = min(top, piece.y1) - max(bottom, piece.y0)
            if overlap > 0.5 * min(top - bottom, piece.y1 - piece.y0):
                row.append(piece)
                continue
        rows.append([piece])
    return [sorted(row, key=lambda p: p.x0) for row in rows]


_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _join(left: str, right: str) -> str:
    """Two wrapped lines of one paragraph: no space between Chinese characters."""
    if _CJK.match(left[-1:]) and _CJK.match(right[:1]):
        return left + right
    if _CJK.match(right[:1]) and right[:1] in "。，、；：）」』":
        return left + right
    return f"{left} {right}"


_VALUE = re.compile(
    r"^(?:about|around|approximately|some|over|nearly|約|逾|近|超過)?\s*(?:HK\$|US\$|RMB)?\s*\d"
)


def _heading_row(cells: list[str]) -> bool:
    """The first row of a table names its columns when no cell after the first is a value."""
    return not any(_VALUE.match(cell) for cell in cells[1:])


def _sentence(cells: list[str], heading: bool) -> str:
    """A table row as a sentence the figures extractor reads.

    A row "label | value" is a statement that the label is the value ("Occupancy rate of
    the Science Park is 92%.", "科學園出租率為93%。"); a heading row only names its columns.
    """
    head, rest = cells[0], "; ".join(cells[1:])
    chinese = bool(_CJK.search(head))
    if heading:
        text = f"{head}：{rest}" if chinese else f"{head}: {rest}"
    else:
        text = f"{head}為{rest}" if chinese else f"{head} is {rest}"
    if text[-1] not in ".。!?！？":
        text += "。" if chinese else "."
    return text


def _paragraphs(layout: LTPage) -> list[str]:
    paragraphs: list[str] = []
    current = ""
    last_bottom: float | None = None
    in_table = False
    for row in _rows(_lines(layout)):
        height = max(p.y1 - p.y0 for p in row)
        gap = None if last_bottom is None else last_bottom - max(p.y1 for p in row)
        last_bottom = min(p.y0 for p in row)
        table_row = len(row) > 1 and any(
            b.x0 - a.x1 > 2 * height for a, b in itertools.pairwise(row)
        )
        if table_row:
            if current:
                paragraphs.append(current)
            cells = [p.text for p in row]
            paragraphs.append(_sentence(cells, heading=not in_table and _heading_row(cells)))
            current, in_table = "", True
            continue
        in_table = False
        text = " ".join(p.text for p in row)
        if current and gap is not None and gap < 0.8 * height:
            current = _join(current, text)
        else:
            if current:
                paragraphs.append(current)
            current = text
    if current:
        paragraphs.append(current)
    return paragraphs


def _info_text(value: Any) -> str | None:
    """A document-information string: PDFDocEncoding bytes or UTF-16 with a BOM."""
    value = resolve1(value)
    if isinstance(value, PSLiteral):
        value = value.name
    if isinstance(value, bytes):
        if value.startswith((b"\xfe\xff", b"\xff\xfe")):
            value = value.decode("utf-16", errors="replace")
        else:
            value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _pdf_date(value: str | None) -> datetime.date | None:
    """The date of a PDF date string, D:YYYYMMDD...; None when absent or malformed."""
    match = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", value or "")
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
