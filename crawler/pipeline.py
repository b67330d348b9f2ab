"""The Scrapy pipeline: a thin adapter from `Fetched` items to `crawler.process`.

Every page it is handed ends counted: as new, revised, unchanged or skipped, or as an
error with its URL and reason in the crawl's record. A write the database refuses
is such an error (the page is fetched again next time); a database that is gone
stops the crawl; an unexpected fault in the page's processing is an error too, never
an item Scrapy drops without a word.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.errors import CleaningError
from crawler.items import Fetched
from crawler.process import Outcome, analyse
from crawler.urls import url_key
from store.errors import StoreError, WriteRefused

if TYPE_CHECKING:
    from crawler.spiders.base import SourceSpider


class StorePipeline:
    """Cleans (in the worker pool when there is one) and records each fetched page."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._closing: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: Fetched) -> Fetched:
        owner: SourceSpider = self.crawler.spider  # type: ignore[assignment]
        spider = owner.spider_for(item.source)
        context = spider.context
        if context.fatal is not None:
            raise DropItem("the crawl is stopping")
        try:
            outcome = await self._process(spider, item)
        except DropItem:
            raise
        except WriteRefused as exc:
            self._count_error(spider, item, f"not stored: {exc}")
            raise DropItem(str(exc)) from None
        except StoreError as exc:
            # The store is locked or gone: nothing more can be kept, so stop cleanly.
            context.fatal = exc
            # Not awaited: closing waits for the items in flight, this one among them.
            self._closing = asyncio.ensure_future(
                self.crawler.engine.close_spider_async(reason="store error")
            )
            raise DropItem(str(exc)) from None
        except Exception as exc:  # a fault in processing one page costs that page only
            self._count_error(spider, item, f"not stored: {type(exc).__name__}: {exc}")
            raise DropItem(str(exc)) from None
        spider.tally.counts[outcome] += 1
        context.progress(outcome)
        return item

    @staticmethod
    def _count_error(spider: SourceSpider, item: Fetched, reason: str) -> None:
        spider.record_error(item.final_url, reason, item.status)

    async def _process(self, spider: SourceSpider, item: Fetched) -> Outcome:
        context = spider.context
        if item.status == 304 or any(
            url_key(url) in context.known for url in (item.url, item.final_url)
        ):  # a page never fetched before has no state to compare with: spare the lookup
            known = context.known.get(url_key(item.final_url))
            outcome = context.processor.settle_unchanged(item, spider.tally, known)
            if outcome is not None:
                return outcome
        try:
            pool = context.cleaning_pool()
            if pool is None:
                analysis = analyse(item, context.watch, context.catalogue)
            else:
                loop = asyncio.get_running_loop()
                analysis = await loop.run_in_executor(
                    pool, analyse, item, context.watch, context.catalogue
                )
        except CleaningError as exc:
            spider.record_error(item.final_url, str(exc), item.status)
            raise DropItem(str(exc)) from None
        return context.processor.record(item, analysis, spider.tally)
