"""The store's lease: one holder at a time, taken over only when its heartbeat is stale."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from store import Store
from store import queries as q
from store import writes as w
from store.errors import LeaseHeld
from store.lease import acquire
from tests.conftest import database_url

T0 = datetime(2026, 12, 5, 3, 0, 0)
TIMEOUT = timedelta(seconds=60)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(database_url(tmp_path))
    yield opened
    opened.close()


def take(store: Store, holder: str, at: datetime) -> bool:
    with store.session() as session:
        return w.acquire_lease(session, "crawl:wire", holder, at, at - TIMEOUT)


def test_a_live_lease_is_refused_and_a_stale_one_taken_over(store: Store) -> None:
    assert take(store, "a", T0)
    assert not take(store, "b", T0 + timedelta(seconds=30))
    assert take(store, "a", T0 + timedelta(seconds=30))  # the holder may take it again
    with store.session() as session:
        assert w.renew_lease(session, "crawl:wire", "a", T0 + timedelta(seconds=50))
    assert not take(store, "b", T0 + timedelta(seconds=100))  # renewed at 50: still live
    assert take(store, "b", T0 + timedelta(seconds=111))  # silent for 61 s: stale
    with store.session() as session:
        assert not w.renew_lease(session, "crawl:wire", "a", T0 + timedelta(seconds=112))
        w.release_lease(session, "crawl:wire", "a")  # not a's any more: nothing happens
        held = q.lease(session, "crawl:wire")
        assert held is not None and held.holder == "b"
        w.release_lease(session, "crawl:wire", "b")
        assert q.lease(session, "crawl:wire") is None


def test_racing_takers_of_a_free_or_stale_lease_get_exactly_one_winner(store: Store) -> None:
    for round_, at in enumerate((T0, T0 + timedelta(hours=1))):  # free, then stale
        start = threading.Barrier(6)
        won: list[str] = []

        def race(
            holder: str,
            at: datetime = at,
            start: threading.Barrier = start,
            won: list[str] = won,
        ) -> None:
            start.wait()
            if take(store, holder, at):
                won.append(holder)

        threads = [threading.Thread(target=race, args=(f"{round_}-{i}",)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(won) == 1, won


def test_refusal_is_one_line_naming_the_holder(store: Store) -> None:
    with store.session() as session:
        acquire(session, "scheduler", "host pid 1", 60, "another scheduler runs", lambda: T0)
    with pytest.raises(LeaseHeld) as refused, store.session() as session:
        acquire(session, "scheduler", "host pid 2", 60, "another scheduler runs", lambda: T0)
    assert str(refused.value) == (
        "another scheduler runs: held by host pid 1 (last heartbeat 2026-12-05 03:00:00 UTC)"
    )
