"""Job specs: what `pressmon run` schedules, derived from config.yaml and nothing else.

First step of the scheduler: one crawl job per enabled source and one digest
job, each with a fixed id (`crawl:NAME`, `digest`). The APScheduler adapter
(scheduler/service.py) turns specs into jobs; a spec's `signature` tells it
whether a stored job still matches the config or must be rescheduled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from crawler.sources import Schedule, Source
from scheduler.settings import SchedulerSettings

DIGEST_ID = "digest"
CRAWL_PREFIX = "crawl:"


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job, as the config describes it."""

    id: str
    kind: Literal["crawl", "digest"]
    target: str  # the source name, or "digest"
    cron: str | None
    every: int | None  # seconds, the configured base interval
    bounds: tuple[int, int] | None  # adaptive (shortest, longest) seconds; None: fixed
    timezone: str
    jitter: int
    misfire_grace: float

    @property
    def adaptive(self) -> bool:
        return self.bounds is not None

    @property
    def signature(self) -> str:
        """The configured schedule in words; a stored job with another one is rescheduled."""
        if self.cron is not None:
            when = f"cron '{self.cron}'"
        else:
            when = f"every {format_seconds(self.every or 0)}"
            if self.bounds is not None:
                low, high = self.bounds
                when += f" ({format_seconds(low)}..{format_seconds(high)})"
        return (
            f"{self.id} {when} {self.timezone}, jitter {self.jitter}s, "
            f"misfire grace {self.misfire_grace:g}s"
        )


def crawl_job_id(source: str) -> str:
    return f"{CRAWL_PREFIX}{source}"


def format_seconds(seconds: float) -> str:
    """3600 -> '1h', 5400 -> '1h30m', 1.5 -> '1.5s': short, for people."""
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:.3g}s"
    rest, parts = round(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"


def _spec(
    job_id: str,
    kind: Literal["crawl", "digest"],
    target: str,
    schedule: Schedule,
    settings: SchedulerSettings,
    adaptive: bool,
) -> JobSpec:
    return JobSpec(
        id=job_id,
        kind=kind,
        target=target,
        cron=schedule.cron,
        every=schedule.every_seconds,
        bounds=schedule.bounds if adaptive and schedule.every else None,
        timezone=schedule.timezone,
        jitter=schedule.jitter,
        misfire_grace=settings.misfire_grace,
    )


def job_specs(
    sources: Iterable[Source], digest: Schedule, settings: SchedulerSettings
) -> list[JobSpec]:
    """One crawl job per enabled source (adaptive when it runs `every`), then the digest job.

    A schedule with neither `cron` nor `every` falls back to the default, every 6 hours.
    """
    specs = []
    for source in sources:
        if not source.enabled:
            continue
        schedule = source.schedule
        if not (schedule.cron or schedule.every):
            schedule = schedule.model_copy(update={"every": "6h"})
        specs.append(
            _spec(crawl_job_id(source.name), "crawl", source.name, schedule, settings, True)
        )
    if not (digest.cron or digest.every):
        digest = digest.model_copy(update={"cron": "0 7 * * *"})
    specs.append(_spec(DIGEST_ID, "digest", DIGEST_ID, digest, settings, False))
    return specs
