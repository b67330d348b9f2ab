"""The Scrapy pipeline: a thin adapter from `Fetched` items to `crawler.process`.

Every page it is handed ends counted: as new, revised, unchanged or skipped, or as an
error with its URL and reason in the crawl's record. Analysed pages are written in
batches (`PageBatch`), and each page's item waits for its batch's commit, so a page is
counted only once it is stored. A write the database refuses
is such an error (the page is fetched again next time); a database that is gone
stops the crawl; an unexpected fault in the page's processing is an error too, never
an item Scrapy drops without a word.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.analysis import analyse, analyse_in_worker
from crawler.errors import CleaningError
from crawler.items import Fetched
from crawler.process import Outcome, PageProcessor, Pending
from crawler.urls import url_key
from store.errors import StoreError, WriteRefused

if TYPE_CHECKING:
    from crawler.spiders.base import SourceSpider


NEW_BATCH = 32  # analysed pages written per transaction ...
NEW_BATCH_SECONDS = 0.5  # ... or fewer, once the first has waited this long


class PageBatch:
    """Analysed pages waiting to be written in one transaction (`PageProcessor.record_many`).

    One transaction per page cost the crawl process more than fetching the page did.
    The batch is written when full, once its first page has waited NEW_BATCH_SECONDS,
    when no other page is on its way (`drained`), or when the spider closes; each page's
    item waits for the write, so what the crawl counts is what was committed. The write
    runs on `writer`, one thread, batch after batch: written on the reactor, a batch held
    up every download in flight for as long as its transaction took.
    """

    def __init__(
        self, processor: PageProcessor, drained: Callable[[], bool], writer: Executor
    ) -> None:
        self.processor = processor
        self.drained = drained
        self.writer = writer
        self.pages: list[tuple[Pending, asyncio.Future[Outcome]]] = []
        self.writing = 0  # pages handed to the writer whose outcome has not come back
        self.timer: asyncio.TimerHandle | None = None

    def add(self, page: Pending) -> asyncio.Future[Outcome]:
        """The page joins the batch; the future gives its outcome once it is written."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self.pages.append((page, future))
        if len(self.pages) >= NEW_BATCH or self.drained():
            self.write()
        elif self.timer is None:
            self.timer = loop.call_later(NEW_BATCH_SECONDS, self.write)
        return future

    def write(self) -> None:
        """Hand the waiting pages to the writer; their futures settle once it is done."""
        pages = self._take()
        if pages:
            self.writing += len(pages)
            written = asyncio.get_running_loop().run_in_executor(self.writer, self._record, pages)
            written.add_done_callback(functools.partial(self._written, pages))

    def write_now(self) -> None:
        """Write the waiting pages on this thread (the spider is closing)."""
        pages = self._take()
        if pages:
            self._settle(pages, self._record(pages))

    def _take(self) -> list[tuple[Pending, asyncio.Future[Outcome]]]:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        pages, self.pages = self.pages, []
        return pages

    def _record(
        self, pages: list[tuple[Pending, asyncio.Future[Outcome]]]
    ) -> list[Outcome | Exception]:
        try:
            return self.processor.record_many([page for page, _future in pages])
        except Exception as exc:  # never leave an item waiting for ever
            return [exc] * len(pages)

    def _written(
        self,
        pages: list[tuple[Pending, asyncio.Future[Outcome]]],
        written: asyncio.Future[list[Outcome | Exception]],
    ) -> None:
        self.writing -= len(pages)
        if written.cancelled():
            cancelled = RuntimeError("the page's write was cancelled")
            self._settle(pages, [cancelled] * len(pages))
        else:
            self._settle(pages, written.result())

    @staticmethod
    def _settle(
        pages: list[tuple[Pending, asyncio.Future[Outcome]]],
        results: list[Outcome | Exception],
    ) -> None:
        for (_page, future), result in zip(pages, results, strict=True):
            if future.done():  # cancelled: the crawl is going away
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


class StorePipeline:
    """Cleans (in the worker pool when there is one) and records each fetched page."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._closing: asyncio.Future[None] | None = None
        self._batches: dict[PageProcessor, PageBatch] = {}
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="pressmon-writer")

    def close_spider(self) -> None:
        """Nothing waits by now (Scrapy closes a spider once its items are done); write
        anything that still does, rather than leave it unstored."""
        self._writer.shutdown(wait=True)
        for batch in self._batches.values():
            batch.write_now()

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
            if self._closing is None:  # a batch fails all its pages at once
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
                analysis = await loop.run_in_executor(pool, analyse_in_worker, item)
        except CleaningError as exc:
            spider.record_error(item.final_url, str(exc), item.status)
            raise DropItem(str(exc)) from None
        batch = self._batches.get(context.processor)
        if batch is None:
            batch = PageBatch(context.processor, self._drained, self._writer)
            self._batches[context.processor] = batch
        return await batch.add(Pending(item, analysis, spider.tally))

    def _drained(self) -> bool:
        """Whether every page still in flight waits in a batch: nothing left to fetch or to
        clean, so waiting for more would only delay the end of the crawl."""
        engine = self.crawler.engine
        if engine.downloader.active or engine.scheduler is None:
            return False
        waiting = sum(len(batch.pages) + batch.writing for batch in self._batches.values())
        in_flight = len(engine.scraper.slot.active) if engine.scraper.slot is not None else 0
        return in_flight <= waiting and not engine.scheduler.has_pending_requests()
