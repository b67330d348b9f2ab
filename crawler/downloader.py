"""A Scrapy downloader that keeps the per-domain concurrency limit.

Scrapy 2.19 on the asyncio reactor starts each download as a task that runs
later, but counts a request as transferring only once that task runs; the
loop that fills a slot therefore sees no transfers and starts everything
queued at once (measured: 8 requests in flight with CONCURRENT_REQUESTS_PER_DOMAIN
= 2). Here a request counts as transferring the moment it leaves the slot's
queue; Scrapy's own bookkeeping removes it when the download ends.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Request


class _ReservingQueue(deque):
    """A slot queue whose `popleft` reserves a transfer place for the request."""

    def __init__(self, slot: Slot, items: Any = ()) -> None:
        super().__init__(items)
        self.slot = slot

    def popleft(self) -> Any:
        entry = super().popleft()
        self.slot.transferring.add(entry[0])
        return entry


class PoliteDownloader(Downloader):
    """Scrapy's Downloader with the reservation above in every slot."""

    def _get_slot(self, request: Request, spider: Any = None) -> tuple[str, Slot]:
        key, slot = super()._get_slot(request)
        if not isinstance(slot.queue, _ReservingQueue):
            slot.queue = _ReservingQueue(slot, slot.queue)
        return key, slot
