"""How politely and how hard the crawler fetches: the `crawl` section of config.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CrawlSettings(BaseModel):
    """Politeness, caps and tuning for every spider."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_agent: str = Field(
        "pressmon/0.1 (+https://github.com/pressmon/pressmon)",
        min_length=3,
        description="User-Agent header; include a contact URL so site owners can reach you.",
    )
    download_delay: float = Field(
        1.0, ge=0, description="Seconds between requests to one domain (AutoThrottle's floor)."
    )
    concurrency_per_domain: int = Field(
        2, ge=1, le=64, description="Requests in flight to one domain at once."
    )
    concurrency: int = Field(16, ge=1, le=256, description="Requests in flight in all.")
    autothrottle: bool = Field(
        True, description="Adapt the delay to each server's latency (Scrapy AutoThrottle)."
    )
    timeout: float = Field(30, gt=0, description="Seconds one response may take in all.")
    max_page_bytes: int = Field(
        5_000_000, ge=10_000, description="Largest response (after decompression) accepted."
    )
    max_pdf_pages: int = Field(
        100, ge=1, description="Most pages of a PDF document read; a longer one is an error."
    )
    max_pdf_seconds: float = Field(
        30, gt=0, description="Seconds reading one PDF document may take before it is an error."
    )
    retries: int = Field(2, ge=0, le=10, description="Retries on 5xx, timeouts and drops.")
    obey_robots: bool = Field(True, description="Obey robots.txt.")
    clean_workers: int | None = Field(
        None,
        ge=0,
        le=32,
        description="Processes that clean pages beside the crawl: unset = one per CPU core, "
        "0 = clean inline in the crawl process.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "CRITICAL",
        description="Scrapy's own log on stderr; the crawl summary lists every error anyway.",
    )
    max_links_per_page: int = Field(
        1000,
        ge=1,
        description="Article links a listing page may yield: a page of 50,000 links is a trap, "
        "not a newsroom (the rest are logged and left).",
    )
    max_clean_bytes: int = Field(
        2_000_000,
        ge=10_000,
        description="Bytes of a page's HTML that are cleaned: a bigger page is cut there, so a "
        "huge page cannot take the crawl's memory.",
    )
    lease_timeout: float = Field(
        60,
        ge=1,
        description="Seconds without a heartbeat after which a crawl counts as killed: its "
        "source's lease is free again and its run is closed as `killed`.",
    )
    near_duplicate_threshold: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Estimated Jaccard similarity above which two pages are syndicated copies.",
    )
    frontier: str | None = Field(
        None,
        description="Redis URL of a frontier shared by several crawl workers, e.g. "
        "redis://127.0.0.1:6379/0 (`pressmon crawl --seed` fills it, `pressmon crawl --worker` "
        "empties it); unset = every crawl runs in one process.",
    )
    worker_idle: float = Field(
        10,
        gt=0,
        description="Seconds a worker waits on an empty frontier before it exits with its summary.",
    )

    @field_validator("frontier")
    @classmethod
    def _redis_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"expected a redis://host:port/db URL, not {url!r}")
        return url
