"""The Scrapy pipeline: a thin adapter from `Fetched` items to `crawler.process`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import Fetched
from crawler.process import analyse
from pressmon.errors import CleaningError

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
        context, tally = spider.context, spider.tally
        processor = context.processor
        outcome = processor.settle_unchanged(item)
        if outcome is None:
            try:
                if context.pool is None:
                    analysis = analyse(item, context.watch)
                else:
                    loop = asyncio.get_running_loop()
                    analysis = await loop.run_in_executor(
                        context.pool, analyse, item, context.watch
                    )
            except CleaningError as exc:
                spider.record_error(item.final_url, str(exc), item.status)
                raise DropItem(str(exc)) from None
            outcome = processor.record(item, analysis, tally)
        tally.counts[outcome] += 1
        context.progress(outcome)
        return item
