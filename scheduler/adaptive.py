"""Adaptive revisits: the interval a source's next crawl waits, from its recent crawl runs.

Sits between a finished crawl and the next one: the scheduler feeds the
source's latest `crawl_run` rows in here and reschedules the job with the
result. Pure arithmetic, no clock and no database, so every rule is unit-tested.

The rules, newest run first (runs that were stopped, killed or are still running are ignored,
and so are runs the store failed: a locked or refusing database is not the site's fault):
- k failed runs in a row (failed, timeout, or errors without one page fetched): back off,
  base x 2^k;
- otherwise k runs in a row that found nothing new or revised: base x 2^(k-1);
- otherwise k runs in a row that found news: base / 2^(k-1);
always within the source's bounds (`min_every`, `max_every`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

FAILED = frozenset({"failed", "timeout"})
IGNORED = frozenset({"running", "stopped", "killed"})
MAX_STREAK = 16  # 2**16 is past any sensible bound; keeps the arithmetic small


@dataclass(frozen=True)
class RunSummary:
    """What adaptivity needs to know about one crawl run."""

    status: str
    new: int = 0
    revised: int = 0
    pages: int = 0  # pages fetched successfully
    store_fault: bool = False  # it ended on a store error, not on anything the site did

    @property
    def failed(self) -> bool:
        """Failed outright, or answered only with errors: a site that is down is not quiet."""
        return self.status in FAILED or (self.status == "errors" and self.pages == 0)

    @property
    def found_news(self) -> bool:
        return self.new + self.revised > 0


def _streak(runs: Sequence[RunSummary], same: Callable[[RunSummary], bool]) -> int:
    count = 0
    for run in runs:
        if not same(run):
            break
        count += 1
    return min(count, MAX_STREAK)


def effective_interval(
    base: float, bounds: tuple[float, float], history: Sequence[RunSummary]
) -> float:
    """Seconds until the next crawl of a source, given its recent runs (newest first)."""
    low, high = bounds
    runs = [r for r in history if r.status not in IGNORED and not r.store_fault]
    if not runs:
        return min(max(base, low), high)
    if runs[0].failed:
        interval = base * 2 ** _streak(runs, lambda r: r.failed)
    elif runs[0].found_news:
        interval = base / 2 ** (_streak(runs, lambda r: r.found_news and not r.failed) - 1)
    else:
        interval = base * 2 ** (_streak(runs, lambda r: not r.found_news and not r.failed) - 1)
    return float(min(max(interval, low), high))
