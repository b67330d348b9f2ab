"""The cleaning workers: processes forked from a fork server that imported the cleaning
code once.

Cheaper than spawning each worker (every spawned one paid a second or more of imports),
and safer than forking the crawl process itself, which runs threads. Importing this
module costs nothing: the crawl command warms the fork server before its own imports.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing import forkserver, get_context
from multiprocessing.context import ForkServerContext
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.relevance import Watch
    from figures.catalogue import Catalogue

# What a cleaning worker runs, imported once by the fork server rather than by each
# worker; not the store's side (`crawler.process`), which workers never use.
WORKER_MODULES = ["crawler.preload"]


def _count(workers: int | None) -> int:
    return (os.cpu_count() or 1) if workers is None else workers


def _fork_server() -> ForkServerContext:
    context = get_context("forkserver")
    context.set_forkserver_preload(WORKER_MODULES)
    return context


def warm_pool(workers: int | None) -> None:
    """Start the fork server now, importing the cleaning code beside the crawl process's
    own start-up, so the first fetched page finds workers ready (a second sooner on a
    first crawl). A crawl that then meets only unchanged pages never forks a worker."""
    if _count(workers) > 0:
        _fork_server()
        forkserver.ensure_running()


def start_pool(workers: int | None, watch: Watch, catalogue: Catalogue | None) -> Executor | None:
    """Cleaning processes: `workers` of them, one per core when None, none (inline) for 0.

    Each is given the watch and the catalogue once, as it starts; a page is then cleaned
    with `crawler.analysis.analyse_in_worker`.
    """
    from crawler.analysis import start_worker

    count = _count(workers)
    if count == 0:
        return None
    return ProcessPoolExecutor(
        max_workers=count,
        mp_context=_fork_server(),
        initializer=start_worker,
        initargs=(watch, catalogue),
    )
