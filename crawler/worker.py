"""A crawl worker: takes requests from the shared frontier until it has been idle a while.

The scale-out sibling of `crawler.run`, built on scrapy-redis: its Redis scheduler,
given a reliable queue (`crawler.frontier_scheduler`), feeds one Scrapy engine with the
requests of every source; `crawler.politeness` keeps the domains' limits across workers.
Each source met gets its own spider (the same per-kind spiders as a one-process crawl,
for their callbacks), crawl run, tally and page processor, so the
worker ends with the same summary as `pressmon crawl`. What it shares with the other
workers lives in Redis: the queue, the pages claimed, each domain's download slots and
delay, and the near-duplicate index; the store is shared through its upserts.

A taken request leaves the worker's taken list only when Scrapy is done with it (its
page stored or its failure recorded, the requests it led to queued), so a `kill -9`
loses nothing: the next worker puts the dead one's requests back in the queue.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, cast

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from twisted.internet import task

from crawler.context import CrawlContext, KnownUrls, Progress
from crawler.dedupe import SharedNearDuplicates
from crawler.errors import FrontierError
from crawler.frontier import LSH_BASENAME, SIGNATURES, Frontier, new_worker_id
from crawler.frontier_scheduler import FrontierScheduler
from crawler.process import PageProcessor, Tally
from crawler.relevance import Watch
from crawler.settings import CrawlSettings
from crawler.sources import Source
from crawler.spiders.base import SourceSpider
from crawler.write_locks import WriteLocks
from figures.catalogue import Catalogue
from figures.ledger import Ledger
from store import Store
from store import queries as q
from store import writes as w
from store.clock import now
from store.kinds import RUN_COUNTS, RunStatus
from store.lease import Heartbeat, acquire, close_dead_runs, run_holder, worker_lease

log = logging.getLogger("pressmon.worker")
POLL = 0.2  # seconds between looks at the frontier while the engine has room


@dataclass
class _Run:
    """One source's share of this worker: its run, lease heartbeat and spider."""

    run_id: int
    heartbeat: Heartbeat
    spider: SourceSpider


class WorkerSpider(scrapy.Spider):
    """The one spider a worker's engine runs; each request belongs to a source's spider."""

    name = "frontier"

    def __init__(
        self,
        frontier: Frontier,
        worker: str,
        settings: CrawlSettings,
        open_source: Callable[[str], SourceSpider | None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.frontier = frontier
        self.worker = worker
        self.crawl_settings = settings
        self._open_source = open_source
        self.spiders: dict[str, SourceSpider | None] = {}
        self.last_busy = time.monotonic()
        self.scheduler: FrontierScheduler | None = None  # set when the engine opens it
        self._poller: task.LoopingCall | None = None
        self._closing = False
        self._close: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WorkerSpider:
        from scrapy import signals

        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        """No start requests: everything comes from the frontier (`pressmon crawl --seed`)."""
        return
        yield  # an async generator that yields nothing

    def spider_for(self, source: str) -> SourceSpider:
        spider = self.source_spider(source)
        if spider is None:
            raise FrontierError(f"source {source!r} is not in this worker's config.yaml")
        return spider

    def source_spider(self, source: str) -> SourceSpider | None:
        """The spider of `source`, opened (its crawl run started) on first use."""
        if source not in self.spiders:
            self.spiders[source] = self._open_source(source)
        return self.spiders[source]

    def failing(self) -> bool:
        """The store failed under one of the sources: pages are dropped, not stored."""
        return any(s is not None and s.context.fatal is not None for s in self.spiders.values())

    # -- staying alive while the frontier may still fill ----------------------------------------
    def on_opened(self, spider: scrapy.Spider) -> None:
        self._poller = task.LoopingCall(self.poll)
        self._poller.start(POLL, now=False)

    def on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        if self._poller is not None and self._poller.running:
            self._poller.stop()

    def on_idle(self, spider: scrapy.Spider) -> None:
        waited = time.monotonic() - self.last_busy
        if not self._closing and waited < self.crawl_settings.worker_idle:
            raise DontCloseSpider

    def poll(self) -> None:
        """Wake the engine when the frontier has requests (another worker may have queued
        them while this engine waited); close once idle for `worker_idle` seconds."""
        engine, scheduler = self.crawler.engine, self.scheduler
        if engine is None or scheduler is None or self._closing:
            return
        try:
            idle = engine.spider_is_idle()
        except RuntimeError:  # the engine is closing the spider
            return
        if scheduler.busy() or not idle:
            self.last_busy = time.monotonic()
        if engine.downloader.needs_backout() or scheduler.local:
            return
        request = scheduler.take()
        if request is not None:
            self.last_busy = time.monotonic()
            engine.crawl(request)  # kept in the scheduler's own queue, then fetched
        elif time.monotonic() - self.last_busy >= self.crawl_settings.worker_idle:
            self._closing = True
            self._close = asyncio.ensure_future(engine.close_spider_async(reason="finished"))


class _Beat:
    """A thread that keeps the worker alive in Redis and gives dead workers' requests back."""

    def __init__(self, frontier: Frontier, worker: str, ttl: float) -> None:
        self.frontier, self.worker, self.ttl = frontier, worker, ttl
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frontier heartbeat", daemon=True)

    def start(self) -> _Beat:
        self.frontier.register(self.worker, self.ttl)
        self.frontier.recover()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            try:
                self.frontier.beat(self.worker, self.ttl)
                moved = self.frontier.recover()
            except Exception as exc:  # Redis away for a moment: the next beat may get through
                log.warning("frontier heartbeat failed: %s", exc)
                continue
            if moved:
                log.warning("gave %d requests of dead workers back to the frontier", moved)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.frontier.leave(self.worker)


def worker_settings(settings: CrawlSettings) -> dict[str, object]:
    """Scrapy's settings for a worker: a one-process crawl's, with the frontier's scheduler
    and the domain limits kept in Redis instead of in the process."""
    from crawler.run import scrapy_settings

    base = scrapy_settings(settings)
    middlewares = dict(cast(dict[str, int | None], base["DOWNLOADER_MIDDLEWARES"]))
    middlewares["crawler.politeness.SharedPoliteness"] = 950
    return base | {
        "SCHEDULER": "crawler.frontier_scheduler.FrontierScheduler",
        "SCHEDULER_PERSIST": True,
        "DOWNLOADER_MIDDLEWARES": middlewares,
        "DOWNLOAD_DELAY": 0,  # the delay is the domain's, kept in Redis
        "AUTOTHROTTLE_ENABLED": False,
    }


def work(
    sources: Sequence[Source],
    *,
    store: Store,
    watch: Watch,
    settings: CrawlSettings,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
    window_days: int = 30,
    worker: str | None = None,
) -> list[int]:
    """Crawl what the frontier holds until idle for `settings.worker_idle`; the run ids.

    One crawl run per source met, recorded as it starts and closed at the end; a run whose
    worker is killed is closed as `killed` by the next crawl, keeping what it stored.
    """
    from scrapy.crawler import AsyncCrawlerProcess  # installs the reactor: import late

    from crawler.memory import tune_memory
    from crawler.pool import start_pool
    from crawler.spiders import SPIDERS

    if settings.frontier is None:
        raise FrontierError("crawl.frontier is not set in config.yaml: there is no frontier")
    frontier = Frontier(settings.frontier).check()
    worker = worker or new_worker_id()
    by_name = {s.name: s for s in sources}
    with store.session() as session:
        close_dead_runs(session, settings.lease_timeout)
        source_ids = w.sync_sources(session, sources)
        known = KnownUrls(q.known_urls(session))
    near = SharedNearDuplicates(
        settings.near_duplicate_threshold, settings.frontier, LSH_BASENAME, SIGNATURES
    )
    locks = WriteLocks(frontier.redis, near, ttl=max(300.0, settings.timeout), worker=worker)

    tune_memory()
    pool = start_pool(settings.clean_workers, watch, catalogue)
    runs: dict[str, _Run] = {}
    fatal: list[Exception] = []

    def open_source(name: str) -> SourceSpider | None:
        source = by_name.get(name)
        if source is None:
            return None
        with store.session() as session:  # the run and its lease, or neither
            run_id = w.start_run(session, name, now())
            lease = worker_lease(run_id)
            acquire(session, lease, run_holder(run_id), settings.lease_timeout, f"run {run_id}")
        heartbeat = Heartbeat(store, lease, run_holder(run_id), settings.lease_timeout / 4).start()
        ledger = Ledger(watch.name, window_days, deferred=True) if catalogue is not None else None
        processor = PageProcessor(
            store,
            watch,
            source_ids,
            settings.near_duplicate_threshold,
            ledger,
            near=near,
            serialise=locks.page,
        )
        processor.run_id = run_id
        tally = Tally()
        processor.tally = tally
        context = CrawlContext(
            store, watch, settings, processor, known, pool, progress or (lambda o: None), catalogue
        )
        spider = SPIDERS[source.kind](source=source, context=context, tally=tally)
        # Each page is claimed across workers as its request is queued, many in one round
        # trip (`FrontierScheduler.queue_discovered`), not one by one as the spider finds it.
        spider.claim = _claimed_when_queued  # type: ignore[method-assign, assignment]
        runs[name] = _Run(run_id, heartbeat, spider)
        return spider

    process = AsyncCrawlerProcess(worker_settings(settings))
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        from twisted.internet import reactor

        stopping.append(signum)
        if len(stopping) == 1:
            reactor.callFromThread(lambda: asyncio.ensure_future(process.stop()))
        else:
            reactor.callFromThread(reactor.stop)  # type: ignore[misc]

    async def run_then_stop() -> None:
        from twisted.internet import reactor

        try:
            await process.crawl(
                WorkerSpider,
                frontier=frontier,
                worker=worker,
                settings=settings,
                open_source=open_source,
            )
        except Exception as exc:
            fatal.append(exc)
        finally:
            reactor.callLater(0, reactor.stop)  # type: ignore[arg-type, misc]

    beat = _Beat(frontier, worker, settings.lease_timeout).start()
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.get_event_loop().create_task(run_then_stop())
        process.start(stop_after_crawl=False, install_signal_handlers=False)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        try:  # still beating: the locks it settles under are held while it is alive
            _finish_runs(store, runs, stopping, fatal, locks.exclusive)
        finally:
            beat.stop()
    if fatal:
        raise fatal[0]
    return [run.run_id for run in runs.values()]


def _claimed_when_queued(_key: str) -> bool:
    return True


def _finish_runs(
    store: Store,
    runs: dict[str, _Run],
    stopping: list[int],
    fatal: list[Exception],
    serialise: Callable[[], AbstractContextManager[object]],
) -> None:
    """Close each source's run with its tally, then let its lease go.

    The flags are settled under `serialise`, with no other worker storing or settling:
    each worker then replays the series on the flags the others committed, never beside
    them.
    """
    for run in runs.values():
        spider = run.spider
        tally = spider.tally
        try:
            if spider.context.fatal is None:
                spider.context.processor.flush_unchanged()  # before the record, as run.py
                with serialise():
                    spider.context.processor.settle_flags(tally)
            status: RunStatus = "ok"
            error_text = None
            if spider.context.fatal is not None or fatal:
                status = "failed"
                error_text = str(spider.context.fatal or fatal[0])
            elif stopping:
                status, error_text = "stopped", f"stopped by signal {stopping[0]}"
            elif tally.counts["errors"]:
                status = "errors"
            with store.session() as session:
                w.finish_run(
                    session,
                    run.run_id,
                    {k: tally.counts[k] for k in RUN_COUNTS},
                    tally.problems,
                    status,
                    error_text,
                    now(),
                    tally.skips,
                )
        finally:
            run.heartbeat.stop()
