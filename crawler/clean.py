"""Clean: fetched HTML bytes -> article text and metadata (fetch -> clean -> relevance).

trafilatura does the extraction; this module decides how to call it. The
text comes from trafilatura's precision mode, which scored best on the
extraction benchmark, with one guard: when precision keeps less than half of
what recall mode finds, precision has most likely dropped the article body
itself, and the recall text is used instead (`benchmarks/extraction.py`
measures the gain). Each mode runs fast first (without trafilatura's fallback
extractors, most of its cost); the fallbacks run only on a page where the fast
text falls short of the page's prose. Comments are always left out; a page
whose text is only link labels (a menu) counts as no article. Language is
detected here, not by trafilatura, which only checks one target language.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from html import escape
from typing import Any

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document
from trafilatura.utils import load_html

from crawler.encoding import decode_html
from crawler.errors import CleaningError
from crawler.items import CleanPage
from crawler.language import detect_language
from crawler.pdf import DEFAULT_PDF_LIMITS, PdfLimits, is_pdf, read_pdf

# Precision text shorter than this share of the recall text means precision
# lost the body, not just boilerplate. Benchmark F1 is flat for shares 0.1-0.5.
RECALL_FALLBACK_SHARE = 0.5

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def clean_document(
    body: bytes,
    url: str | None = None,
    content_type: str | None = None,
    fallback_date: datetime.date | None = None,
    pdf_limits: PdfLimits = DEFAULT_PDF_LIMITS,
) -> CleanPage:
    """Clean any fetched document: a PDF (by content type or magic bytes) or an HTML page."""
    if is_pdf(body, content_type):
        return clean_pdf(body, url, fallback_date, pdf_limits)
    return clean_html(body, url, content_type, fallback_date)


def clean_pdf(
    body: bytes,
    url: str | None = None,
    fallback_date: datetime.date | None = None,
    limits: PdfLimits = DEFAULT_PDF_LIMITS,
) -> CleanPage:
    """The text of a PDF document, with its title and date; CleaningError with the reason.

    The date is the one the paper states near its top (a dateline), else the file's
    creation date, else `fallback_date`: a paper is often converted to PDF days after
    the date printed on it, and a feed's date is when it was listed.
    """
    where = url or "document without URL"
    found = read_pdf(body, where, limits)
    lines = found.text.splitlines()
    title = found.title or (lines[0] if lines else None)
    return CleanPage(
        title=title,
        text=found.text,
        date=_date_from_text(found.text) or _cjk_dateline(lines) or found.created or fallback_date,
        author=found.author,
        sitename=None,
        language=detect_language(found.text, None),
        description=None,
    )


_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def _cjk_dateline(lines: list[str]) -> datetime.date | None:
    """A Chinese dateline (2024年7月8日) in a document's first lines; htmldate reads none."""
    for line in lines[:5]:
        match = _CJK_DATE.search(line)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def clean_html(
    body: bytes | str,
    url: str | None = None,
    content_type: str | None = None,
    fallback_date: datetime.date | None = None,
) -> CleanPage:
    """Extract the article of one fetched page; raise CleaningError when there is none.

    The date is the page's own: from its markup (trafilatura's metadata: meta
    tags, JSON-LD, <time>, the URL), else `fallback_date` (what a feed or news
    sitemap said), else a date htmldate finds in the article text itself (a
    dateline) -- never one from the page's sidebar or links.
    """
    where = url or "page without URL"
    html = body if isinstance(body, str) else decode_html(body, content_type)
    tree = _parse(html)
    if tree is None:
        raise CleaningError(f"{where}: no article text found")

    text = extract_text(tree, url)
    if not text or _only_link_labels(text, tree):
        raise CleaningError(f"{where}: no article text found")

    declared_language = _declared_language(tree)
    metadata = page_metadata(tree, url)
    page_date = _parse_date(metadata.date) or fallback_date or _date_from_text(text)
    return CleanPage(
        title=metadata.title or None,
        text=text,
        date=page_date,
        author=metadata.author or None,
        sitename=metadata.sitename or None,
        language=detect_language(text, declared_language),
        description=metadata.description or None,
    )


_HOST = re.compile(r"https?://(?:www\.|w[0-9]+\.)?([^/]+)")


def page_metadata(tree: HtmlElement, url: str | None = None) -> Document:
    """The page's title, author, site name, description and date, found as trafilatura's
    `extract_metadata` finds them, from trafilatura's own parts.

    `extract_metadata` also reads categories, tags and a licence, which pressmon does not
    keep: on a news page with hundreds of links that was half its cost.
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None  # a one-word author is a site or handle, not a person
    with contextlib.suppress(Exception):  # a broken JSON-LD block: the meta tags stand
        metadata = extract_meta_json(tree, metadata)
    metadata.title = metadata.title or extract_title(tree)
    metadata.author = metadata.author or extract_author(tree)
    metadata.url = metadata.url or extract_url(tree, url)
    metadata.date = find_date(tree, url=metadata.url, **_date_params(extensive=False))
    metadata.sitename = metadata.sitename or extract_sitename(tree)
    if metadata.sitename:
        name = metadata.sitename.lstrip("@")  # a Twitter handle
        if name and "." not in name and not name[0].isupper():
            name = name.title()
        metadata.sitename = name
    elif metadata.url and (host := _HOST.match(metadata.url)):
        metadata.sitename = host[1]
    metadata.clean_and_trim()
    return metadata


def extract_text(tree: HtmlElement, url: str | None = None) -> str:
    """Main text of a parsed page: precision mode, or recall mode when precision lost the body.

    Most pages take one fast pass: precision text that covers half the page's prose
    is what the fallback extractors would keep too (extraction F1 unchanged). Only a
    page where it falls short pays for the fallbacks, then for recall mode. Returns ""
    when no mode finds text. trafilatura copies the tree, so the caller's tree stays
    intact for metadata.
    """
    enough = RECALL_FALLBACK_SHARE * _prose_length(tree)
    precise = _extract(tree, url, precision=True, fast=True)
    if len(precise) >= enough:
        return precise  # one pass (most pages)
    precise = _extract(tree, url, precision=True, fast=False)
    if len(precise) >= enough:
        return precise  # recall will not find twice as much
    broad = _extract(tree, url, precision=False, fast=True)
    if len(precise) < RECALL_FALLBACK_SHARE * len(broad):
        return broad
    return precise


def _extract(tree: HtmlElement, url: str | None, *, precision: bool, fast: bool) -> str:
    """One trafilatura pass; `fast` leaves out its fallback extractors (readability, jusText)."""
    document = bare_extraction(
        tree,
        url=url,
        fast=fast,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        favor_precision=precision,
        favor_recall=not precision,
    )
    text = getattr(document, "text", None) or ""
    return text.strip()


# Where no article text lives: code, links and the page's chrome. Recall mode finds
# little there, so the text outside them bounds what it can add to precision's text.
_NOT_PROSE = frozenset(
    {"script", "style", "noscript", "a", "nav", "header", "footer", "aside", "form", "select"}
) | {"button"}


def _prose_length(tree: HtmlElement) -> int:
    """Characters of body text outside links and page chrome, whitespace runs counted once.

    A cheap stand-in for the length of recall mode's text: on the extraction benchmark
    it never let precision's text stand where recall's was chosen (F1 unchanged), and it
    spares the recall pass on most pages, where counting all visible text (menus and
    link lists included) did not. A walk of the tree, several times faster than XPath.
    """
    body = tree.find("body")
    if body is None:
        return 0
    total = 0
    stack: list[HtmlElement] = [body]
    while stack:
        element = stack.pop()
        if element.text:
            total += len(" ".join(element.text.split())) + 1
        for child in element:
            if isinstance(child.tag, str) and child.tag not in _NOT_PROSE:
                stack.append(child)
            if child.tail:
                total += len(" ".join(child.tail.split())) + 1
    return total


def _parse(html: str) -> HtmlElement | None:
    """One lxml tree for extraction, metadata and lang; None when the page has no markup."""
    if not html.strip():
        return None
    tree = load_html(html)
    if tree is None or len(tree) == 0:
        return None
    return tree


def _declared_language(tree: HtmlElement) -> str | None:
    """The page's own lang: <html lang>, xml:lang, or a Content-Language meta."""
    root = tree.getroottree().getroot()
    declared = root.get("lang") or root.get(_XML_LANG)
    if declared:
        return str(declared)
    for meta in root.iterfind(".//meta[@http-equiv]"):
        if meta.get("http-equiv", "").lower() == "content-language":
            content = meta.get("content")
            return None if content is None else str(content)
    return None


# The text of every link on the page, in document order, as plain strings.
_LINK_TEXT = XPath("//a//text()", smart_strings=False)


def _only_link_labels(text: str, tree: HtmlElement) -> bool:
    """True when every extracted line is the label of a link: a menu, not an article.

    A label is a stretch of the page's link text, so a line found nowhere in it (an
    article's first sentence) settles the question before a Python object is made for
    each of the page's hundreds of links.
    """
    lines = {" ".join(line.split()) for line in text.splitlines()} - {""}
    link_text = " ".join("".join(_LINK_TEXT(tree)).split())
    if not all(line in link_text for line in lines):
        return False
    return lines <= {" ".join(link.text_content().split()) for link in tree.iter("a")}


def _date_from_text(text: str) -> datetime.date | None:
    """A full date written in the article text (a dateline), by htmldate's text search.

    Only the extracted text is searched, so dates in related-article links and
    footers do not count; a bare year (htmldate reports it as 1 January) is
    not a publication date.
    """
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines()[:5])
    found = _parse_date(
        find_date(f"<html><body>{paragraphs}</body></html>", **_date_params(extensive=True))
    )
    if found is None or (found.month, found.day) == (1, 1):
        return None
    return found


def _date_params(*, extensive: bool) -> dict[str, Any]:
    """htmldate settings: the publication (not update) date, never one in the future."""
    return {
        "original_date": True,
        "extensive_search": extensive,
        "max_date": datetime.date.today().isoformat(),
    }


def _parse_date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None
