"""What the crawler is told to watch: a source record and its schedule.

Sources are data (config.yaml), and one generic spider per `kind` serves them all.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SourceKind = Literal["feed", "sitemap", "listing", "search"]


class Schedule(BaseModel):
    """When the scheduler runs a source: a cron expression or an interval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cron: str | None = Field(None, description="Cron expression, e.g. '0 7 * * *'.")
    every: str | None = Field(None, description="Interval such as '30m', '6h' or '1d'.")
    timezone: str = Field("UTC", description="IANA timezone the cron expression is read in.")
    jitter: int = Field(0, ge=0, description="Random delay in seconds added to each run.")

    @model_validator(mode="after")
    def _one_trigger(self) -> Schedule:
        if self.cron and self.every:
            raise ValueError("give either 'cron' or 'every', not both")
        if self.every and not re.fullmatch(r"\d+\s*[smhd]", self.every):
            raise ValueError(f"'every' must look like '30m', '6h' or '1d', not {self.every!r}")
        return self


class Source(BaseModel):
    """One place to crawl; `kind` picks the spider."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]+$", description="Unique short name.")
    kind: SourceKind = Field(..., description="feed | sitemap | listing | search.")
    start_urls: tuple[str, ...] = Field(..., min_length=1, description="Where the spider starts.")
    allow: tuple[str, ...] = Field((), description="Regexes; article URLs must match one.")
    deny: tuple[str, ...] = Field((), description="Regexes; article URLs matching one are skipped.")
    schedule: Schedule = Field(
        default_factory=lambda: Schedule(every="6h"), description="When to crawl."
    )
    enabled: bool = Field(True, description="Disabled sources are never crawled.")

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        for url in urls:
            if not re.match(r"https?://[^/\s]+", url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return urls

    @field_validator("allow", "deny")
    @classmethod
    def _regexes(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regex {pattern!r}: {exc}") from None
        return patterns
