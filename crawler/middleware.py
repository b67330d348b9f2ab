"""Retries with backoff: Scrapy retries at once, a polite crawler waits longer each time."""

from __future__ import annotations

import asyncio
from typing import TypeVar

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response

_R = TypeVar("_R", Request, Response, Request | Response, Request | Response | None)

BACKOFF_BASE = 0.5  # seconds before the first retry; doubled for each further one
BACKOFF_CAP = 30.0


def backoff(retry_times: int) -> float:
    return float(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, retry_times - 1)))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting 0.5 s, 1 s, 2 s... before each retry."""

    # Scrapy 2.13+ awaits coroutine middleware methods; its base class still declares them
    # synchronous, hence the override ignores.
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        result = super().process_response(request, response)
        return await self._wait(result)

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        return await self._wait(result)

    @staticmethod
    async def _wait(result: _R) -> _R:
        if isinstance(result, Request):
            await asyncio.sleep(backoff(result.meta.get("retry_times", 1)))
        return result
