"""Retries with backoff: Scrapy retries at once, a polite crawler waits longer each time."""

from __future__ import annotations

import asyncio

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response

BACKOFF_BASE = 0.5  # seconds before the first retry; doubled for each further one
BACKOFF_CAP = 30.0


def backoff(retry_times: int) -> float:
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, retry_times - 1))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting 0.5 s, 1 s, 2 s... before each retry."""

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        return await self._wait(result)

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        result = super().process_exception(request, exception)
        return await self._wait(result)

    @staticmethod
    async def _wait(result):
        if isinstance(result, Request):
            await asyncio.sleep(backoff(result.meta.get("retry_times", 1)))
        return result
