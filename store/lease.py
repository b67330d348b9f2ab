"""Leases: one live holder per named job, proven by a heartbeat.

A crawl of a source holds `crawl:<source>` (held by its run, `crawl run <id>`), a crawl
worker's run of a source holds `crawl-worker:<run id>` (workers share sources), a scheduler
holds `scheduler` for its store. The holder's `Heartbeat` thread renews the lease; when the
process dies, even by SIGKILL, the heartbeat stops and after `timeout` seconds the lease is
stale: the next taker gets it, and `close_dead_runs` closes the runs left `running` as
`killed`. The statements are in `store.writes` and `store.queries`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from store import queries as q
from store import writes as w
from store.clock import Clock, now
from store.database import Store
from store.errors import LeaseHeld, StoreError

SCHEDULER = "scheduler"
log = logging.getLogger("pressmon.lease")


def crawl_lease(source: str) -> str:
    """The lease a crawl of `source` holds, whoever started it (scheduler or by hand)."""
    return f"crawl:{source}"


def worker_lease(run_id: int) -> str:
    """The lease a crawl worker's run of one source holds: workers share sources, so the
    run, not the source, is what is held."""
    return f"crawl-worker:{run_id}"


def run_holder(run_id: int) -> str:
    return f"crawl run {run_id}"


def process_holder() -> str:
    """This process, as a holder: host and pid, for the one-line refusal of another."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def stale_before(stamp: datetime, timeout: float) -> datetime:
    return stamp - timedelta(seconds=timeout)


def acquire(
    session: Session, name: str, holder: str, timeout: float, what: str, clock: Clock = now
) -> None:
    """Take the lease or raise LeaseHeld naming its live holder (`what` names the job)."""
    stamp = clock()
    if w.acquire_lease(session, name, holder, stamp, stale_before(stamp, timeout)):
        return
    held = q.lease(session, name)
    by = held.holder if held is not None else "another process"
    since = f" (last heartbeat {held.heartbeat:%Y-%m-%d %H:%M:%S} UTC)" if held else ""
    raise LeaseHeld(f"{what}: held by {by}{since}")


def close_dead_runs(session: Session, timeout: float, clock: Clock = now) -> list[int]:
    """Close as `killed` every run still `running` that holds no live lease (its source's, or
    a crawl worker's run lease).

    Its counters stay as the run wrote them with its pages; returns the ids closed.
    """
    stamp = clock()
    live = set(q.live_leases(session, stale_before(stamp, timeout)).values())
    dead = [run.id for run in q.running_runs(session) if run_holder(run.id) not in live]
    reason = (
        f"killed: its process stopped without closing the run (no heartbeat for {timeout:g} s); "
        "the counts are what it stored"
    )
    return w.close_killed_runs(session, dead, reason, stamp)


class Heartbeat:
    """A daemon thread renewing one lease every `every` seconds, then releasing it on `stop`.

    A thread, not a reactor call: a page that keeps the crawl's event loop busy must not
    make a live crawl look dead. `lost` is set if another process took the lease over.
    """

    def __init__(self, store: Store, name: str, holder: str, every: float) -> None:
        self.store, self.name, self.holder, self.every = store, name, holder, every
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {name}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self.store.session() as session:
                    held = w.renew_lease(session, self.name, self.holder, now())
            except StoreError as exc:  # the next beat may get through; the lease has slack
                log.warning("lease %s: heartbeat failed: %s", self.name, exc)
                continue
            if not held:
                log.error("lease %s: taken over by another process", self.name)
                self.lost.set()
                return

    def stop(self) -> None:
        """Stop beating and give the lease up."""
        self._stop.set()
        self._thread.join()
        try:
            with self.store.session() as session:
                w.release_lease(session, self.name, self.holder)
        except StoreError as exc:  # the lease goes stale by itself; the first error matters
            log.warning("lease %s: not released: %s", self.name, exc)
