"""Peak memory of a crawl of the sample site's hostile pages (samplesite/badpages.py).

Serves the sample site on 127.0.0.1 and runs `pressmon crawl` of its bad-input sources
(the hostile feed: nested <div>s, a slow drip, a hang, redirects to file: and ftp:, a
redirect loop, a 50 MB stream, a gzip bomb, Big5 without a charset, a robots-disallowed
page; an XXE feed; a billion-laughs feed; a listing of 50,000 links) into a fresh SQLite
store, as a subprocess. While it runs, it samples the resident memory of the crawl process
and of its cleaning workers, and prints the peaks:

    python benchmarks/hostile.py [--workers N] [--tracemalloc 15] [--budget-mb 300]

`--tracemalloc N` runs the crawl under PYTHONTRACEMALLOC=1 and prints the N biggest
allocation sites at the crawl's peak (slower: for finding what holds memory, not for the
figure). Exits 1 if the crawl process peaks above `--budget-mb`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from samplesite import SampleSite, sample_config  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
# Run `pressmon crawl` under tracemalloc; keep the snapshot taken when the traced total was
# highest and print its biggest allocation sites (by line) when the crawl exits.
TRACED = """
import atexit, sys, threading, time, tracemalloc
from pressmon.cli import main
top = int(sys.argv.pop(1))
tracemalloc.start(1)
best = [0, None]
def watch():
    while True:
        size = tracemalloc.get_traced_memory()[0]
        if size > best[0] * 1.05:
            best[:] = [size, tracemalloc.take_snapshot()]
        time.sleep(0.2)
threading.Thread(target=watch, daemon=True).start()
def report():
    if best[1] is None:
        return
    out = sys.stderr
    print(f"tracemalloc: {best[0] / 2**20:.0f} MB traced at the peak; biggest sites:", file=out)
    for stat in best[1].statistics("lineno")[:top]:
        where = stat.traceback[0]
        print(f"  {stat.size / 2**20:8.1f} MB {stat.count:9d} blocks  {where}", file=out)
atexit.register(report)
sys.argv[0] = "pressmon"
main()
"""
CRAWL_TIMEOUT = 600


def sources(base: str) -> list[dict[str, object]]:
    def feed(name: str, path: str) -> dict[str, object]:
        return {"name": name, "kind": "feed", "start_urls": [f"{base}{path}"]}

    return [
        feed("hostile", "/bad/hostile.xml"),
        feed("badfeed", "/bad/feed.xml"),
        feed("xxe", "/bad/xxe.xml"),
        feed("laughs", "/bad/laughs.xml"),
        {
            "name": "manylinks",
            "kind": "listing",
            "start_urls": [f"{base}/bad/links.html"],
            "allow": ["/bad/many/"],
        },
    ]


def rss_bytes(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Sampler(threading.Thread):
    """Polls the crawl process and its workers every 20 ms; keeps the peaks."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_crawl = 0
        self.peak_worker = 0
        self.peak_total = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            crawl = rss_bytes(self.pid)
            workers = [rss_bytes(p) for p in children(self.pid)]
            self.peak_crawl = max(self.peak_crawl, crawl)
            self.peak_worker = max([self.peak_worker, *workers])
            self.peak_total = max(self.peak_total, crawl + sum(workers))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="crawl.clean_workers")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="N")
    parser.add_argument("--budget-mb", type=float, default=300)
    parser.add_argument("--source", action="append", default=[], help="crawl only these")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SampleSite() as site:
        data = yaml.safe_load(sample_config(site.base_url))
        data["sources"] = sources(site.base_url)
        data["crawl"] = {
            **data.get("crawl", {}),
            "timeout": 5,
            "retries": 0,
            "download_delay": 0,
            "autothrottle": False,
        }
        if args.workers is not None:
            data["crawl"]["clean_workers"] = args.workers
        config = Path(tmp, "config.yaml")
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        env = {
            **os.environ,
            "PRESSMON_CONFIG": str(config),
            "PRESSMON_DB": f"sqlite:///{tmp}/hostile.db",
        }
        only = [f"--source={name}" for name in args.source]
        command = [sys.executable, "-m", "pressmon", "crawl", *only]
        if args.tracemalloc:
            command = [sys.executable, "-c", TRACED, str(args.tracemalloc), "crawl", *only]
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler = Sampler(proc.pid)
        sampler.start()
        out, err = proc.communicate(timeout=CRAWL_TIMEOUT)
        sampler.done.set()
        sampler.join()
        seconds = time.monotonic() - started
    print(out)
    if err.strip():
        print(err, file=sys.stderr)
    mb = 1024 * 1024
    print(f"crawl exit status {proc.returncode} after {seconds:.1f} s")
    print(f"peak RSS of the crawl process: {sampler.peak_crawl / mb:.0f} MB")
    print(f"peak RSS of one cleaning worker: {sampler.peak_worker / mb:.0f} MB")
    print(f"peak RSS of crawl + workers together: {sampler.peak_total / mb:.0f} MB")
    within = sampler.peak_crawl <= args.budget_mb * mb
    print(f"budget {args.budget_mb:.0f} MB: {'within' if within else 'EXCEEDED'}")
    return 0 if within and proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
