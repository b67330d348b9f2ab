"""Running a crawl: Scrapy settings from ours, one crawl run per source, in sequence.

Sources run one after another in one reactor, so per-domain limits hold even
when two sources share a site. SIGINT or SIGTERM lets the running crawl close
cleanly and records it as stopped; a second signal stops at once. Scrapy's
reactor cannot restart in a process: call `crawl` once per process (the
scheduler starts a subprocess per crawl).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Sequence

from crawler.context import CrawlContext, KnownUrls, Progress
from crawler.memory import tune_memory
from crawler.pool import start_pool
from crawler.process import PageProcessor, Tally
from crawler.relevance import Watch
from crawler.settings import CrawlSettings
from crawler.sources import Source
from figures.catalogue import Catalogue
from figures.ledger import Ledger
from store import Store
from store import queries as q
from store import writes as w
from store.clock import now
from store.errors import LeaseHeld
from store.kinds import RUN_COUNTS, RunStatus
from store.lease import Heartbeat, acquire, close_dead_runs, crawl_lease, run_holder


def scrapy_settings(settings: CrawlSettings) -> dict[str, object]:
    """Our crawl settings as Scrapy's."""
    return {
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": settings.obey_robots,
        "ROBOTSTXT_USER_AGENT": settings.user_agent,
        "DOWNLOAD_DELAY": settings.download_delay,
        "AUTOTHROTTLE_ENABLED": settings.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(settings.download_delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(settings.concurrency_per_domain),
        "CONCURRENT_REQUESTS": settings.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.concurrency_per_domain,
        # Scrapy starts this many tasks for every response's output; an article page
        # yields one item, and a listing's requests need no waiting: 100 cost more than
        # fetching the page.
        "CONCURRENT_ITEMS": 16,
        "DOWNLOAD_TIMEOUT": settings.timeout,
        "DOWNLOAD_MAXSIZE": settings.max_page_bytes,
        "DOWNLOAD_WARNSIZE": settings.max_page_bytes // 2,
        "RETRY_TIMES": settings.retries,
        "REDIRECT_MAX_TIMES": 5,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middleware.BackoffRetryMiddleware": 550,
        },
        "DOWNLOADER": "crawler.downloader.PoliteDownloader",
        "ITEM_PIPELINES": {"crawler.pipeline.StorePipeline": 300},
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": settings.log_level,
        "LOG_INSTALL_ROOT_HANDLER": True,
        "HTTPCACHE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
    }


def crawl(
    sources: Sequence[Source],
    *,
    store: Store,
    watch: Watch,
    settings: CrawlSettings,
    progress: Progress | None = None,
    between: Callable[[int], None] | None = None,
    catalogue: Catalogue | None = None,
    window_days: int = 30,
    on_run: Callable[[int], None] | None = None,
) -> list[int]:
    """Crawl each source in turn; returns the ids of the crawl runs recorded.

    `between(i)` is called before the i-th source starts (the demo switches the
    sample newsroom's edition there); `on_run(id)` as each run is recorded as started.
    Runs that a killed crawl left `running` are closed as `killed` first. A source whose
    lease another live crawl holds is not crawled: LeaseHeld is raised at the end, naming
    the holder, with the ids of the runs that did happen as `run_ids`.
    """
    from scrapy.crawler import AsyncCrawlerProcess  # installs the reactor: import late

    tune_memory()
    with store.session() as session:
        close_dead_runs(session, settings.lease_timeout)
        source_ids = w.sync_sources(session, sources)
        known = KnownUrls(q.known_urls(session))
    ledger = Ledger(watch.name, window_days, deferred=True) if catalogue is not None else None
    processor = PageProcessor(store, watch, source_ids, settings.near_duplicate_threshold, ledger)
    context = CrawlContext(
        store,
        watch,
        settings,
        processor,
        known,
        None,
        progress or (lambda outcome: None),
        catalogue,
        start_pool=lambda: start_pool(settings.clean_workers, watch, catalogue),
    )
    process = AsyncCrawlerProcess(scrapy_settings(settings))
    run_ids: list[int] = []
    refused: list[str] = []  # sources whose lease a live crawl holds
    stopping: list[int] = []  # the signals received: the first stops gently, a second at once

    def on_signal(signum: int, _frame: object) -> None:
        from twisted.internet import reactor

        stopping.append(signum)
        if len(stopping) == 1:  # let the running crawl close and be recorded; start no other
            reactor.callFromThread(lambda: asyncio.ensure_future(process.stop()))
        else:
            # twisted's reactor module is typed as a module, not as the reactor it installs
            reactor.callFromThread(reactor.stop)  # type: ignore[misc]

    async def run_all() -> None:
        from crawler.spiders import SPIDERS

        for index, source in enumerate(sources):
            if stopping:
                break
            if between is not None:
                between(index)
            lease = crawl_lease(source.name)
            try:
                with store.session() as session:  # the run and its lease, or neither
                    run_id = w.start_run(session, source.name, now())
                    acquire(
                        session,
                        lease,
                        run_holder(run_id),
                        settings.lease_timeout,
                        f"source {source.name} is being crawled by another process",
                    )
            except LeaseHeld as exc:
                refused.append(str(exc))
                continue
            run_ids.append(run_id)
            if on_run is not None:
                on_run(run_id)
            heartbeat = Heartbeat(
                store, lease, run_holder(run_id), settings.lease_timeout / 4
            ).start()
            try:
                processor.run_id = run_id
                status: RunStatus = "ok"
                error_text: str | None = None
                tally = Tally()
                processor.tally = tally
                try:
                    await process.crawl(
                        SPIDERS[source.kind], source=source, context=context, tally=tally
                    )
                except Exception as exc:  # a spider that cannot start is recorded, others go on
                    status, error_text = "failed", f"{type(exc).__name__}: {exc}"
                if context.fatal is not None:
                    raise context.fatal  # the store is unusable: recording the run would fail too
                processor.flush_unchanged()  # the batch of unchanged pages, before the record
                processor.settle_flags(tally)
                if stopping:
                    status, error_text = "stopped", f"stopped by signal {stopping[0]}"
                elif tally.counts["errors"] and status == "ok":
                    status = "errors"
                with store.session() as session:
                    w.finish_run(
                        session,
                        run_id,
                        {k: tally.counts[k] for k in RUN_COUNTS},
                        tally.problems,
                        status,
                        error_text,
                        now(),
                        tally.skips,
                    )
                    context.known.update(q.known_urls(session))
            finally:  # the run is closed before its lease is let go
                processor.run_id = processor.tally = None
                heartbeat.stop()

    async def run_then_stop() -> None:
        from twisted.internet import reactor

        try:
            await run_all()
        finally:
            reactor.callLater(0, reactor.stop)  # type: ignore[arg-type, misc]  # as above

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        task = asyncio.get_event_loop().create_task(run_then_stop())
        process.start(stop_after_crawl=False, install_signal_handlers=False)
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if context.pool is not None:
            context.pool.shutdown(cancel_futures=True)
    if refused:
        raise LeaseHeld("; ".join(refused), run_ids)
    return run_ids
