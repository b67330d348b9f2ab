"""What the crawler is told to watch: a source record and its schedule.

Sources are data (config.yaml), and one generic spider per `kind` serves them all.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SourceKind = Literal["feed", "sitemap", "listing", "search"]


class Schedule(BaseModel):
    """When the scheduler runs a source: a cron expression or an interval.

    An `every` interval adapts between `min_every` and `max_every`: a source that
    keeps bringing news is visited more often, a quiet or failing one less often.
    A cron schedule stays as written.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cron: str | None = Field(None, description="Cron expression, e.g. '0 7 * * *'.")
    every: str | None = Field(
        None, description="Interval such as '30s', '30m', '6h' or '1d' (adapts within bounds)."
    )
    min_every: str | None = Field(
        None,
        description=(
            "Shortest interval an active `every` source adapts down to "
            "(default: a quarter of `every`)."
        ),
    )
    max_every: str | None = Field(
        None,
        description=(
            "Longest interval a quiet or failing `every` source backs off to "
            "(default: four times `every`)."
        ),
    )
    timezone: str = Field("UTC", description="IANA timezone the cron expression is read in.")
    jitter: int = Field(0, ge=0, description="Random delay in seconds added to each run.")

    @staticmethod
    def seconds(text: str) -> int:
        """'30s', '30m', '6h' or '1d' in seconds."""
        number, unit = re.fullmatch(r"(\d+)\s*([smhd])", text.strip()).groups()  # type: ignore[union-attr]
        return int(number) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]

    @property
    def every_seconds(self) -> int | None:
        return None if self.every is None else self.seconds(self.every)

    @property
    def bounds(self) -> tuple[int, int]:
        """(shortest, longest) seconds an `every` interval may adapt to."""
        base = self.every_seconds or 0
        low = self.seconds(self.min_every) if self.min_every else max(1, base // 4)
        high = self.seconds(self.max_every) if self.max_every else base * 4
        return low, high

    @model_validator(mode="after")
    def _one_trigger(self) -> Schedule:
        if self.cron and self.every:
            raise ValueError("give either 'cron' or 'every', not both")
        for key in ("every", "min_every", "max_every"):
            value = getattr(self, key)
            if value is not None and not re.fullmatch(r"\s*\d+\s*[smhd]\s*", value):
                raise ValueError(f"{key!r} must look like '30m', '6h' or '1d', not {value!r}")
            if value is not None and self.seconds(value) == 0:
                raise ValueError(f"{key!r} must be longer than zero, not {value!r}")
        if (self.min_every or self.max_every) and not self.every:
            raise ValueError("'min_every' and 'max_every' bound 'every'; a cron schedule is fixed")
        if self.every:
            low, high = self.bounds
            if not low <= self.seconds(self.every) <= high:
                raise ValueError("need min_every <= every <= max_every")
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
