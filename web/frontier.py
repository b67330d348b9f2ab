"""`GET /api/frontier`: the shared crawl frontier as `pressmon crawl --status --json` shows it.

Read-only: the queue's length, the pages claimed and every worker seen with its last
heartbeat. It answers 404 when config.yaml sets no `crawl.frontier`, and 503 when the
Redis it names cannot be reached or the scale extra is not installed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

router = APIRouter(prefix="/api")


@router.get("/frontier", tags=["crawl"])
def frontier_status(request: Request) -> dict[str, Any]:
    """The frontier's length, the pages claimed and the workers seen (`crawl --status`)."""
    url: str | None = request.app.state.frontier_url
    if url is None:
        raise HTTPException(404, "crawl.frontier is not set in config.yaml: no shared frontier")
    try:
        from crawler.errors import FrontierError
        from crawler.frontier import Frontier, status_record
    except ImportError as exc:  # redis or scrapy-redis: the scale extra
        raise HTTPException(
            503, f"the shared frontier needs the scale extra ({exc.name})"
        ) from None
    try:
        return status_record(Frontier(url).check())
    except FrontierError as exc:
        raise HTTPException(503, str(exc)) from None
