"""One crawl worker against two sharing a frontier: pages/s of each, the ratio, a worker's share.

Generates the crawl benchmark's site (`benchmarks/crawl.py`: news-sized article pages and
a sitemap) and serves it with the sample newsroom's server on 127.0.0.1, answering each
request after `--latency` seconds (its `delay`; 50 ms, as real sites do). Then for one
worker and for two: a fresh PostgreSQL database and Redis database, `pressmon crawl
--seed`, and that many `pressmon crawl --worker` subprocesses, each with its own cleaning
pool (`--clean-workers`). The crawl's time runs from the site's first request to the
moment the frontier is empty with nothing taken.

Two modes. `pinned`, the default below 4 cores, stands in for "one machine per worker"
on a small machine: each worker process, with its cleaning pool, is pinned to a core of
its own (`os.sched_setaffinity`, inherited by the pool), one worker on one core against
two workers on a core each; the shared services (the site, PostgreSQL, Redis) stay
unpinned. `unpinned`: the workers run wherever the OS puts them; on 2 cores one worker's
crawl process and pool already use both, so a second worker has no core to bring.

Two values of `crawl.concurrency` per worker by default, a table each. At 2 a worker
keeps its core about four-fifths busy; at 4 it saturates it (each core's busy share is
printed), and the ratio then measures this machine rather than the frontier: with two
workers, the site, PostgreSQL and Redis take their share of the workers' two cores, while
one worker left them the other core.

    python benchmarks/scale.py [--pages 2000] [--latency 0.05] [--concurrency 2 4]
                               [--clean-workers 1] [--mode pinned|unpinned|both]
                               [--db URL] [--redis URL]

The domain's limit across workers, `crawl.concurrency_per_domain`, is set high enough
(64) not to be the bound. Without `--db` (a PostgreSQL server URL, without a database)
and `--redis`, a private PostgreSQL cluster (tests/pg.py) and Redis
(tests/redis_server.py) are started and removed after. Prints the load average before
and after, and per mode and concurrency a table: pages/s, the workers' CPU seconds per
1,000 pages (their cleaning pools, children of a fork server, are not counted), each
core's busy share, pages fetched and articles stored; then the ratio and what one worker
sustains against the latency.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.crawl import WATCH, GeneratedSite, statuses  # noqa: E402
from crawler.frontier import Frontier  # noqa: E402
from samplesite import SampleSite  # noqa: E402

TIMEOUT = 900  # seconds one run may take
POLL = 0.05  # seconds between looks at the frontier: this process also serves the site


@dataclass
class Result:
    mode: str
    concurrency: int
    workers: int
    pages: int  # article pages answered 200
    seconds: float  # first request -> frontier empty, nothing taken
    cpu: float  # user + system seconds of the workers and their cleaning pools
    statuses: Counter[int]
    stored: int
    busy: list[float]  # each core's busy share over the crawl (/proc/stat)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.cpu / self.pages


def cores_for(count: int, mode: str) -> list[set[int] | None]:
    """The cores each of `count` workers may run on: one of its own when pinned."""
    if mode == "unpinned":
        return [None] * count
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < count:
        sys.exit(f"pinned: {count} workers need {count} cores, this process may use {cores}")
    return [{cores[i]} for i in range(count)]


def pin(cores: set[int] | None) -> None:
    """In the worker's process before it starts: its cores (the cleaning pool inherits them)."""
    if cores is not None:
        os.sched_setaffinity(0, cores)


def config(base_url: str, frontier: str, concurrency: int, clean_workers: int) -> dict[str, object]:
    return {
        "watch": WATCH,
        "sources": [
            {"name": "bench", "kind": "sitemap", "start_urls": [f"{base_url}/sitemap.xml"]}
        ],
        "crawl": {
            "frontier": frontier,
            "worker_idle": 2,
            "download_delay": 0,
            "autothrottle": False,
            "concurrency": concurrency,
            "concurrency_per_domain": 64,
            "clean_workers": clean_workers,
        },
    }


def stored_articles(db_url: str) -> int:
    from sqlalchemy import func, select

    from store import Store
    from store.models import Article

    store = Store(db_url)
    try:
        with store.session() as session:
            return session.scalar(select(func.count()).select_from(Article)) or 0
    finally:
        store.close()


def run(
    mode: str,
    count: int,
    server: SampleSite,
    db_url: str,
    redis_url: str,
    folder: Path,
    concurrency: int,
    clean_workers: int,
) -> Result:
    path = folder / f"config-{mode}-{count}.yaml"
    data = config(server.base_url, redis_url, concurrency, clean_workers)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"}
    base = [sys.executable, "-m", "pressmon", "crawl", "--config", str(path), "--db", db_url]
    pressmon = [sys.executable, "-m", "pressmon"]
    common = ["--config", str(path), "--db", db_url]
    subprocess.run([*pressmon, "db", "upgrade", *common], env=env, check=True, cwd=folder)
    frontier = Frontier(redis_url).check()
    frontier.redis.flushdb()
    before = len(server.requests)
    subprocess.run([*base, "--seed"], env=env, check=True, cwd=folder, capture_output=True)
    procs = [
        subprocess.Popen(
            [*base, "--worker"],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=open(folder / f"worker-{mode}-{count}-{i}.log", "wb"),  # noqa: SIM115
            preexec_fn=functools.partial(pin, cores),
        )
        for i, cores in enumerate(cores_for(count, mode))
    ]
    first = done = None
    at_first: list[tuple[int, int]] = []
    deadline = time.monotonic() + TIMEOUT
    while done is None:
        if time.monotonic() > deadline:
            for proc in procs:
                proc.kill()
            sys.exit(f"{count} worker(s) did not finish in {TIMEOUT} s")
        now = time.monotonic()
        if first is None and len(server.requests) > before:
            first, at_first = now, core_times()
        if first is not None and frontier.queued() == 0:  # one command, the rest at the end
            state = frontier.status()
            if state.queued == 0 and state.workers and not any(w.taken for w in state.workers):
                done, busy = now, busy_between(at_first, core_times())
        time.sleep(POLL)
    cpu = 0.0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            log = (folder / f"worker-{mode}-{count}-{procs.index(proc)}.log").read_text()[-3000:]
            sys.exit(f"a worker failed ({code}):\n{log}")
        cpu += usage.ru_utime + usage.ru_stime
    answered = statuses(server, before)
    assert first is not None
    pages = answered[200] - 1 - count  # less the sitemap and each worker's robots.txt
    stored = stored_articles(db_url)
    return Result(mode, concurrency, count, pages, done - first, cpu, answered, stored, busy)


def core_times() -> list[tuple[int, int]]:
    """(busy, total) clock ticks of each core so far, from /proc/stat."""
    times = []
    with open("/proc/stat", encoding="ascii") as stat:
        for line in stat:
            name, *fields = line.split()
            if name.startswith("cpu") and name != "cpu":
                user, nice, system, idle, iowait, irq, softirq, steal = map(int, fields[:8])
                busy = user + nice + system + irq + softirq + steal
                times.append((busy, busy + idle + iowait))
    return times


def busy_between(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[float]:
    return [(b1 - b0) / max(t1 - t0, 1) for (b0, t0), (b1, t1) in zip(before, after, strict=True)]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def table(results: list[Result], latency: float) -> None:
    """One mode's figures, as a Markdown table, then the ratio and one worker's share."""
    one, two = results
    concurrency = one.concurrency
    print(f"\n{one.mode}, crawl.concurrency {concurrency}:")
    print(
        "| workers | cores | pages/s | workers' CPU per 1,000 pages | each core busy "
        "| fetched | stored |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for result in results:
        cores = "own core each" if result.mode == "pinned" else "shared"
        busy = " / ".join(f"{share:.0%}" for share in result.busy)
        print(
            f"| {result.workers} | {cores} | {result.rate:.1f} | {result.cpu_per_1000:.1f} s "
            f"| {busy} | {result.pages} | {result.stored} |"
        )
    ceiling = concurrency / latency
    print(f"ratio two/one: {two.rate / one.rate:.2f}x (target >= 1.8x)")
    print(
        f"one worker sustains {one.rate:.1f} pages/s against {latency * 1000:.0f} ms latency "
        f"with crawl.concurrency {concurrency} (latency bound: {ceiling:.0f} pages/s)"
    )
    for result in results:
        print(f"statuses, {result.workers} worker(s): {dict(result.statuses)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05, help="Seconds before each answer.")
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[2, 4],
        help="crawl.concurrency per worker; each value is a table of its own.",
    )
    parser.add_argument("--clean-workers", type=int, default=1, help="Cleaning pool per worker.")
    parser.add_argument(
        "--mode",
        choices=("pinned", "unpinned", "both"),
        help="Pin each worker to a core of its own, or not (default: pinned below 4 cores, "
        "else unpinned).",
    )
    parser.add_argument("--db", help="PostgreSQL server URL (default: a private cluster).")
    parser.add_argument("--redis", help="Redis server URL, db ignored (default: a private one).")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    mode = args.mode or ("pinned" if cores < 4 else "unpinned")
    modes = ("pinned", "unpinned") if mode == "both" else (mode,)

    from tests import pg, redis_server

    cluster = pg.start() if args.db is None else None
    redis = redis_server.start() if args.redis is None else None
    try:
        server_url = args.db or cluster.url()  # type: ignore[union-attr]
        redis_base = (args.redis or redis.url()).rsplit("/", 1)[0]  # type: ignore[union-attr]
        site = GeneratedSite(args.pages)
        print(
            f"site: {args.pages} pages, {args.latency * 1000:.0f} ms per request; per worker: "
            f"crawl.concurrency {' and '.join(map(str, args.concurrency))}, "
            f"clean_workers {args.clean_workers}; "
            f"{cores} cores (shared with whatever else runs); modes: {', '.join(modes)}; "
            f"load average before: {load()}"
        )
        tables: list[list[Result]] = []
        server = site.serve()
        server.delay = args.latency
        with server, tempfile.TemporaryDirectory() as tmp:
            runs = [(k, c, n) for k in modes for c in args.concurrency for n in (1, 2)]
            for number, (kind, concurrency, count) in enumerate(runs):
                name = f"scale_{number}_{os.getpid()}"
                if cluster is not None:
                    cluster.psql(f"CREATE DATABASE {name}")
                db_url = f"{server_url.rsplit('/', 1)[0]}/{name}"
                result = run(
                    kind,
                    count,
                    server,
                    db_url,
                    f"{redis_base}/{number}",
                    Path(tmp),
                    concurrency,
                    args.clean_workers,
                )
                if count == 1:
                    tables.append([])
                tables[-1].append(result)
                print(
                    f"{kind}, crawl.concurrency {concurrency}, {count} worker(s): "
                    f"{result.pages} pages in {result.seconds:.1f} s "
                    f"= {result.rate:.1f} pages/s (load average {load()})",
                    flush=True,
                )
        for results in tables:
            table(results, args.latency)
        print(f"\nload average after: {load()}")
    finally:
        if cluster is not None:
            cluster.stop()
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    main()
