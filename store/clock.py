"""The clock at the bottom of the flow: every stage stamps times as the store keeps them.

Times are naive UTC in the database, so `now()` drops the zone. Living in `store`, it can be
imported by the web app, the scheduler and the CLI without pulling in the crawler.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def now() -> datetime:
    """Naive UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)
