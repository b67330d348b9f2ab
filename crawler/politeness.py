"""Per-domain politeness across crawl workers: a Scrapy downloader middleware.

Each download first takes one of its domain's `concurrency_per_domain` slots in the
shared frontier's Redis (waiting while all are taken or the domain's `download_delay`
has not passed since the last start, whichever worker made it) and frees the slot when
the response or failure comes back. A slot a dead worker held frees itself later.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Protocol, cast

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.frontier import Frontier
from crawler.settings import CrawlSettings


class PoliteSpider(Protocol):
    """What the middleware needs of the worker's spider: the frontier and the settings."""

    frontier: Frontier
    crawl_settings: CrawlSettings


class SharedPoliteness:
    """A downloader middleware: each domain's concurrency limit and delay, across workers.

    Each download first takes one of the domain's `concurrency_per_domain` slots in Redis
    (waiting while all are taken or the domain's delay has not passed) and frees it when
    the response or failure comes back. A slot a dead worker held frees itself later.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPoliteness:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        spider = cast(PoliteSpider, self.crawler.spider)
        settings = spider.crawl_settings
        domain = urlparse_cached(request).hostname or ""
        token = uuid.uuid4().hex
        stale = settings.timeout * (settings.retries + 1) + 30
        while True:
            wait = spider.frontier.take_slot(
                domain, token, settings.concurrency_per_domain, settings.download_delay, stale
            )
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        request.meta["frontier_slot"] = (domain, token)

    def process_response(self, request: Request, response: Response) -> Response:
        self._free(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._free(request)

    def _free(self, request: Request) -> None:
        held = request.meta.pop("frontier_slot", None)
        if held is not None:
            cast(PoliteSpider, self.crawler.spider).frontier.free_slot(*held)
