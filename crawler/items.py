"""What a spider hands on: a fetched page and what discovery already knew of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class PdfLimits:
    """What reading one PDF may cost; the crawl's settings fill it in. Here, not in
    `crawler.pdf`, so the crawl process that fetches pages never loads pdfminer."""

    max_bytes: int = 20_000_000
    max_pages: int = 100
    max_seconds: float = 30.0


@dataclass(frozen=True)
class CleanPage:
    """What the rest of the flow knows about a page after cleaning (`crawler.clean`).

    Kept here, apart from the cleaning code, so the crawl process can receive one from a
    cleaning worker without importing trafilatura.
    """

    title: str | None
    text: str  # main text, paragraphs separated by "\n", comments excluded
    date: date | None
    author: str | None
    sitename: str | None
    language: str
    description: str | None


@dataclass(frozen=True)
class Hints:
    """What a feed or news sitemap said about a page before it was fetched.

    `modified` (an Atom entry's `updated`, a sitemap's `lastmod`) is no publication date,
    but it is evidence of one: the page existed by then. It dates an undated article's
    figures (crawler.process) better than the day the crawler first saw it.
    """

    title: str | None = None
    published: date | None = None
    modified: date | None = None


@dataclass(frozen=True)
class Fetched:
    """One article response, as plain values: the input of `crawler.process`."""

    source: str
    url: str  # as requested, before redirects
    final_url: str  # after redirects
    status: int  # 200, or 304 when the server says it has not changed
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    hints: Hints = field(default_factory=Hints)
    limits: PdfLimits = field(default_factory=PdfLimits)  # the crawl's caps on reading a PDF
