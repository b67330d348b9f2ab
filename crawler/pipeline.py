"""The Scrapy pipeline: a thin adapter from `Fetched` items to `crawler.process`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.errors import CleaningError
from crawler.items import Fetched
from crawler.process import Outcome, analyse
from store.errors import StoreError

if TYPE_CHECKING:
    from crawler.spiders.base import SourceSpider


class StorePipeline:
    """Cleans (in the worker pool when there is one) and records each fetched page."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: Fetched) -> Fetched:
        spider: SourceSpider = self.crawler.spider  # type: ignore[assignment]
        context = spider.context
        if context.fatal is not None:
            raise DropItem("the crawl is stopping")
        try:
            outcome = await self._process(spider, item)
        except StoreError as exc:
            # The store is locked or gone: nothing more can be kept, so stop cleanly.
            context.fatal = exc
            await self.crawler.engine.close_spider_async(reason="store error")
            raise DropItem(str(exc)) from None
        spider.tally.counts[outcome] += 1
        context.progress(outcome)
        return item

    async def _process(self, spider: SourceSpider, item: Fetched) -> Outcome:
        context = spider.context
        outcome = context.processor.settle_unchanged(item, spider.tally)
        if outcome is not None:
            return outcome
        try:
            if context.pool is None:
                analysis = analyse(item, context.watch, context.catalogue)
            else:
                loop = asyncio.get_running_loop()
                analysis = await loop.run_in_executor(
                    context.pool, analyse, item, context.watch, context.catalogue
                )
        except CleaningError as exc:
            spider.record_error(item.final_url, str(exc), item.status)
            raise DropItem(str(exc)) from None
        return context.processor.record(item, analysis, spider.tally)
