"""The frontier's side of a crawl worker's engine: scrapy-redis's scheduler and queue.

`FrontierQueue` is scrapy-redis's queue on the shared frontier (`crawler.frontier`):
a request is taken into the worker's own list in Redis, not popped, and encoded with
the source it belongs to. `FrontierScheduler` is scrapy-redis's scheduler that never
blocks the reactor and lets a request leave that list only once the engine is done
with it, so a killed worker loses nothing.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Protocol, cast

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request
from scrapy.utils.reactor import CallLaterOnce
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import Base as RedisQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from crawler.frontier import QUEUE, Frontier, decode, encode
from crawler.spiders.base import SourceSpider
from crawler.urls import url_key


class FrontierOwner(Protocol):
    """What the scheduler needs of the worker's spider (`crawler.worker.WorkerSpider`)."""

    frontier: Frontier
    worker: str  # this worker's name in the frontier
    scheduler: Any  # the FrontierScheduler, set as the engine opens it

    def source_spider(self, source: str) -> SourceSpider | None: ...

    def failing(self) -> bool: ...


log = logging.getLogger("pressmon.worker")
ACK_EVERY = 0.2  # seconds between acknowledgements of finished requests
QUEUE_AT_ONCE = 500  # requests found that are claimed and queued in one round trip
REQUESTED_ALREADY = "redirects to a page requested already"


def encode_for(request: Request) -> bytes:
    """The frontier's entry for a request of a source spider."""
    owner = getattr(request.callback, "__self__", None)
    if not isinstance(owner, SourceSpider):
        raise ValueError(f"request without a source spider's callback: {request}")
    return encode(owner.source.name, request.to_dict(spider=owner))


class FrontierQueue(RedisQueue):
    """scrapy-redis's queue on the shared frontier: requests are taken into this worker's
    taken list, not popped, and each is encoded with the source it belongs to."""

    def __init__(self, server: Any, spider: FrontierOwner, key: str) -> None:
        super().__init__(server, spider, key)
        self.frontier = spider.frontier
        self.owner = spider

    def _encode_request(self, request: Request) -> bytes:
        return encode_for(request)

    def _decode_request(self, encoded_request: bytes) -> Request | None:
        source, data = decode(encoded_request)
        spider = self.owner.source_spider(source)
        if spider is None:
            return None
        return request_from_dict(data, spider=spider)

    def __len__(self) -> int:
        return self.frontier.queued()

    def push(self, request: Request) -> None:
        self.frontier.push([self._encode_request(request)])

    def pop(self, timeout: int = 0) -> tuple[Request, bytes] | None:
        """The next request and its entry, already in the taken list; None when empty."""
        while (entry := self.frontier.take(self.owner.worker)) is not None:
            request = self._decode_request(entry)
            if request is not None:
                return request, entry
            log.error("frontier request of a source not in config.yaml dropped: %r", entry[:200])
            self.frontier.done(self.owner.worker, [entry])
        return None


class FrontierScheduler(RedisScheduler):
    """scrapy-redis's scheduler, never blocking the reactor and acknowledging what it hands
    out only once the engine is done with it."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        instance = cls(server=None, persist=True, queue_key=QUEUE)
        instance.crawler = crawler
        instance.stats = crawler.stats
        return instance

    def open(self, spider: scrapy.Spider) -> None:
        owner = cast(FrontierOwner, spider)
        self.spider = owner
        self.server = owner.frontier.redis
        self.frontier = owner.frontier
        self.worker = owner.worker
        self.queue = FrontierQueue(self.server, owner, self.queue_key)
        owner.scheduler = self
        self.local: deque[Request] = deque()  # taken by the poller, not yet handed out
        self.entries: dict[int, bytes] = {}  # id(request) -> its entry, for the taken
        self.handed: dict[int, Request] = {}  # taken requests the engine is working on
        self.discovered: list[tuple[str, str | None, bytes]] = []  # not yet queued
        self._queue_soon = CallLaterOnce(self.queue_discovered)
        self._ack = task.LoopingCall(self.acknowledge)
        self._ack.start(ACK_EVERY, now=False)

    def close(self, reason: str) -> None:
        if self._ack.running:
            self._ack.stop()
        self.acknowledge()

    def take(self) -> Request | None:
        """One request from the frontier for the engine's `crawl` (it comes back here)."""
        taken = self.queue.pop()
        if taken is None:
            return None
        request, entry = taken
        self.entries[id(request)] = entry
        return request

    def enqueue_request(self, request: Request) -> bool:
        if id(request) in self.entries and id(request) not in self.handed:
            self.local.append(request)  # taken already: the poller woke the engine with it
            return True
        owner = getattr(request.callback, "__self__", None)
        source = owner.source.name if isinstance(owner, SourceSpider) else ""
        key = url_key(request.url)
        if request.meta.get("redirect_urls"):  # a page fetched once, whatever led to it
            if not self.frontier.claim(source, key):
                if isinstance(owner, SourceSpider):
                    owner.tally.skip(request.meta["redirect_urls"][0], REQUESTED_ALREADY)
                return False
            self.queue.push(request)
            self._count(1)
            return True
        claimed = not request.dont_filter or request.meta.get("article")  # a page: once a round
        self.discovered.append((source, key if claimed else None, encode_for(request)))
        if len(self.discovered) >= QUEUE_AT_ONCE:
            self.queue_discovered()
        else:
            self._queue_soon.schedule()
        return True

    def queue_discovered(self) -> None:
        """Claim and queue the requests found since the last call, in one round trip (one by
        one, each page cost two while the spider read a sitemap, and downloads waited). A
        request whose page another worker claimed this round is dropped here."""
        discovered, self.discovered = self.discovered, []
        if discovered:
            self._count(self.frontier.claim_and_push(discovered))

    def _count(self, queued: int) -> None:
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", queued)

    def next_request(self) -> Request | None:
        request = self.local.popleft() if self.local else self.take()
        if request is not None:
            self.handed[id(request)] = request
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return bool(self.local or self.discovered) or len(self.queue) > 0

    def busy(self) -> bool:
        return bool(self.local or self.handed or self.discovered)

    def acknowledge(self) -> None:
        """Drop from the taken list every handed-out request the engine has finished:
        downloaded, its callback run, its items stored and its new requests queued."""
        engine = self.crawler.engine
        if engine is None or self.spider.failing():
            return  # a store that failed kept nothing more: what is held goes back at exit
        self.queue_discovered()  # what finished requests found is queued before they leave
        working = {id(r) for r in engine.downloader.active}
        slot = engine.scraper.slot
        if slot is not None:
            working |= {id(r) for r in slot.active} | {id(r) for _, r, _ in slot.queue}
        finished = [key for key in self.handed if key not in working]
        if finished:
            self.frontier.done(self.worker, [self.entries.pop(k) for k in finished])
            for key in finished:
                del self.handed[key]
