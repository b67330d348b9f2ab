"""The sample newsroom's PDF papers: content files with `extra.pdf` rendered as PDF documents.

Government and Legislative Council papers reach a press monitor as PDF files, so the sample
site serves two of them (one English, one Chinese), made here with fpdf2 from the same
content files as the HTML pages: a reference line, a dateline, the title, `## ` headings,
paragraphs and `| cell | cell |` table rows. Chinese text is set in WenQuanYi Zen Hei
(Debian's fonts-wqy-zenhei), embedded as a subset with its Unicode map, as real papers
embed theirs. `broken_pdf(kind)` makes the unreadable documents the /bad/ corner serves.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from functools import cache
from pathlib import Path

from fpdf import FPDF

from samplesite.articles import Article, articles

# fontTools names every table it drops while subsetting the font; nothing is wrong.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
)


def _cjk_font() -> Path:
    for path in CJK_FONTS:
        if path.exists():
            return path
    raise RuntimeError(
        "the sample site's Chinese paper needs the WenQuanYi Zen Hei font: "
        "apt-get install fonts-wqy-zenhei"
    )


def _document(article: Article) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(True, margin=25)
    if article.language == "zh":
        pdf.add_font("cjk", "", str(_cjk_font()))
        pdf.add_font("cjk", "B", str(_cjk_font()))
        family = "cjk"
    else:
        family = "helvetica"
    pdf.set_font(family, size=11)
    pdf.set_title(article.title)
    pdf.set_author(
        "Legislative Council Secretariat" if article.language == "en" else "立法會秘書處"
    )
    if article.published is not None:
        pdf.set_creation_date(
            dt.datetime(
                article.published.year,
                article.published.month,
                article.published.day,
                9,
                0,
                tzinfo=dt.UTC,
            )
        )
    return pdf


def paper_pdf(article: Article, edition: int) -> bytes:
    """The PDF an edition serves for a paper: the same text the content file holds."""
    return _paper_pdf(article.id, edition)


@cache
def _paper_pdf(ident: str, edition: int) -> bytes:
    article = next(a for a in articles() if a.id == ident)
    pdf = _document(article)
    family = pdf.font_family
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(family, size=10)
    if article.extra.get("ref"):
        pdf.cell(width, 6, article.extra["ref"], align="R", new_x="LMARGIN", new_y="NEXT")
    if article.extra.get("dateline"):
        pdf.cell(width, 6, article.extra["dateline"], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(family, "B", 14)
    pdf.multi_cell(width, 8, article.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows: list[list[str]] = []
    for chunk in [*article.text_in(edition).split("\n\n"), ""]:
        chunk = chunk.strip()
        if chunk.startswith("|"):
            rows += [
                [c.strip() for c in line.strip().strip("|").split("|")]
                for line in chunk.splitlines()
            ]
            continue
        if rows:
            _table(pdf, family, rows)
            rows = []
        if chunk.startswith("## "):
            pdf.ln(3)
            pdf.set_font(family, "B", 12)
            pdf.multi_cell(width, 7, chunk[3:], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif chunk:
            pdf.set_font(family, size=11)
            pdf.multi_cell(width, 6, " ".join(chunk.splitlines()), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    return bytes(pdf.output())


def _table(pdf: FPDF, family: str, rows: list[list[str]]) -> None:
    pdf.set_font(family, size=11)
    with pdf.table(col_widths=(3, 2), first_row_as_headings=True, line_height=7) as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(6)


def broken_pdf(kind: str) -> bytes:
    """A PDF for the error tests: encrypted, image-only, truncated, or long (five pages)."""
    if kind == "truncated":
        whole = _plain("A paper whose file was cut short in transfer.")
        return whole[: len(whole) // 2]
    if kind == "long":  # five pages: for the page cap
        return _plain("One of many pages of an annual report on the Science Park.", pages=5)
    pdf = FPDF(format="A4")
    pdf.add_page()
    if kind == "encrypted":
        pdf.set_encryption(owner_password="owner", user_password="reader")
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(pdf.epw, 6, "Restricted paper: Hong Kong Science Park occupancy at 99%.")
    elif kind == "scanned":
        from PIL import Image, ImageDraw

        image = Image.new("L", (800, 300), 255)
        ImageDraw.Draw(image).text((20, 20), "Scanned page: Hong Kong Science Park", fill=0)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.image(buffer, x=20, y=20, w=170)
    else:
        raise ValueError(f"no broken PDF of kind {kind!r}")
    return bytes(pdf.output())


def _plain(text: str, pages: int = 1) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=11)
    for _ in range(pages):
        pdf.add_page()
        for _ in range(30):
            pdf.multi_cell(pdf.epw, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
