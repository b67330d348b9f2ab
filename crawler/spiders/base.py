"""What every spider shares: conditional article requests, hand-off, error accounting.

Spiders only discover and fetch. Each article response becomes a `Fetched`
item for the pipeline; each failure is counted in the source's tally.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.context import CrawlContext
from crawler.items import Fetched, Hints, PdfLimits
from crawler.process import Tally
from crawler.sources import Source
from crawler.urls import follow_rule, url_key
from store.errors import WriteRefused

ROBOTS_MESSAGE = "Forbidden by robots.txt"


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class SourceSpider(scrapy.Spider):
    """Base of the per-kind spiders; `discover` is what each kind defines."""

    name = "source"

    def __init__(self, source: Source, context: CrawlContext, tally: Tally, **kwargs: Any) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.context = context
        self.tally = tally
        self.follow = follow_rule(source.allow, source.deny)
        self.requested: set[str] = set()  # our own dupe filter: Scrapy's would hide redirect loops
        settings = context.settings
        self.pdf_limits = PdfLimits(
            settings.max_page_bytes, settings.max_pdf_pages, settings.max_pdf_seconds
        )

    async def start(self) -> AsyncIterator[Request]:
        for url in self.source.start_urls:
            yield Request(
                url,
                callback=self.discover,
                errback=self.failed,
                dont_filter=True,
                meta={"start": True},
            )

    def discover(self, response: Response) -> Iterator[Request]:
        raise NotImplementedError

    def claim(self, key: str) -> bool:
        """True the first time this crawl asks for the page `key` (a crawl worker asks the
        shared frontier, so each page is fetched once across workers)."""
        if key in self.requested:
            return False
        self.requested.add(key)
        return True

    def spider_for(self, source: str) -> SourceSpider:
        """The spider that crawls `source` (a crawl worker's spider serves many sources)."""
        return self

    def is_known(self, url: str) -> bool:
        return url_key(url) in self.context.known

    # -- articles ---------------------------------------------------------------------------
    def article_request(self, url: str, hints: Hints | None = None) -> Request | None:
        """A request for an article page, conditional when we have fetched it before."""
        if not url.startswith(("http://", "https://")) or not self.follow(url):
            return None
        if not self.claim(url_key(url)):
            return None
        headers = {}
        known = self.context.known.get(url_key(url))
        if known is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return Request(
            url,
            headers=headers,
            callback=self.fetched,
            errback=self.failed,
            dont_filter=True,
            meta={"hints": hints or Hints(), "handle_httpstatus_list": [304], "article": True},
        )

    def fetched(self, response: Response) -> Iterator[Fetched]:
        self.tally.counts["pages"] += 1
        yield Fetched(
            source=self.source.name,
            url=(response.meta.get("redirect_urls") or [response.url])[0],
            final_url=response.url,
            status=response.status,
            body=self._clean_part(response),
            content_type=_header(response, "Content-Type"),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            hints=response.meta["hints"],
            limits=self.pdf_limits,
        )

    def _clean_part(self, response: Response) -> bytes:
        """The body to clean: none for a 304, at most `max_clean_bytes` of it otherwise."""
        if response.status == 304:
            return b""
        cap = self.context.settings.max_clean_bytes
        body = response.body
        return body if len(body) <= cap else body[:cap]

    # -- failures ---------------------------------------------------------------------------
    def failed(self, failure: Failure) -> None:
        """Count a request that produced no usable response; robots.txt refusals are skips."""
        request: Request = failure.request  # type: ignore[attr-defined]
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        if failure.check(IgnoreRequest) and ROBOTS_MESSAGE in str(failure.value):
            self.tally.skip(url, "forbidden by robots.txt")
            self.logger.info("skipped (robots.txt): %s", request.url)
            return
        status = None
        if failure.check(HttpError) and isinstance(failure.value, HttpError):
            status = failure.value.response.status
            reason = f"HTTP {status}"
            navigation = not request.meta.get("article") and not request.meta.get("start")
            if navigation and 400 <= status < 500:
                self.record_broken(url, reason, status)
                return
        elif failure.check(DownloadCancelledError) and not str(failure.value):
            # Scrapy cancels a streamed body silently once it passes DOWNLOAD_MAXSIZE.
            reason = (
                f"response exceeded the size cap of {self.context.settings.max_page_bytes} bytes"
            )
        else:
            kind = failure.type.__name__ if failure.type else "error"
            reason = failure.getErrorMessage() or kind
            reason = f"{kind}: {reason}"
        self.record_error(url, reason, status)

    def record_broken(self, url: str, reason: str, status: int) -> None:
        self.tally.broken(url, reason)
        self.logger.info("broken link %s: %s", url, reason)
        self.context.processor.remember_error(url, status, reason, counter="broken")

    def record_error(self, url: str, reason: str, status: int | None = None) -> None:
        reason = " ".join(reason.split())[:500]
        self.tally.error(url, reason)
        self.logger.warning("error on %s: %s", url, reason)
        try:
            self.context.processor.remember_error(url, status, reason)
        except WriteRefused as exc:  # counted all the same; the URL is simply fetched again
            self.logger.warning("could not note the error on %s: %s", url, exc)
