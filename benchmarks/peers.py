"""pressmon side by side with what a user would write instead: Scrapy alone, and Scrapy
with trafilatura in the callback.

Generates the news site of `benchmarks/crawl.py` (about 70 KB pages, a sitemap,
robots.txt, ETag and Last-Modified), serves it with the sample newsroom's server
(`samplesite.server.SampleSite`, which logs every request) and crawls it with each
tool as a subprocess, alternating tools (A B C A B C ...), 8 requests in flight each:

  scrapy-fetch   a Scrapy sitemap spider that only fetches;
  scrapy+traf    the naive crawl: the same spider calling trafilatura's
                 `bare_extraction` inline and writing each article to a JSON-lines file;
  pressmon       `pressmon crawl` of one sitemap source into a fresh SQLite store, every
                 page relevant, so its whole pipeline (clean, relevance, dedupe, figures,
                 store) runs.

Per tool it prints the median wall time, pages/s, CPU seconds (user + system, the
subprocess and every child it waited for, e.g. cleaning workers), the peak RSS of its
largest process, pages fetched (the server's own count of requests for article pages),
articles stored, and pressmon's ratios to the naive crawl.

    python benchmarks/peers.py [--pages 1000] [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

IN_FLIGHT = 8
TOOLS = ("scrapy-fetch", "scrapy+traf", "pressmon")


# -- the peers' spiders: what a user writes instead of pressmon ----------------------------------
def run_spider(sitemap: str, out: str, extract: bool) -> None:
    """Scrapy's sitemap spider; with `extract`, trafilatura inline (the naive crawl)."""
    from scrapy.spiders import SitemapSpider
    from trafilatura import bare_extraction

    class NewsSpider(SitemapSpider):
        name = "news"
        sitemap_urls = (sitemap,)

        def parse(self, response):  # type: ignore[no-untyped-def]
            if not extract:
                return
            doc = bare_extraction(response.text, url=response.url, with_metadata=True)
            if doc is not None and doc.text:
                yield {"url": response.url, "title": doc.title, "date": doc.date, "text": doc.text}

    _run(NewsSpider, out)


def run_revalidation(sitemap: str, out: str, in_flight: int) -> None:
    """Scrapy alone re-crawling a site it has seen: every page in the sitemap asked for
    with `If-None-Match: *`, so each answers 304 as it would to a stored ETag. The
    floor Scrapy itself sets under pressmon's unchanged re-crawl (`benchmarks/crawl.py`)."""
    from scrapy import Request, Spider
    from scrapy.utils.sitemap import Sitemap

    class RevalidateSpider(Spider):
        name = "revalidate"
        start_urls = (sitemap,)

        def parse(self, response):  # type: ignore[no-untyped-def]
            for entry in Sitemap(response.body):
                yield Request(
                    entry["loc"],
                    headers={"If-None-Match": "*"},
                    meta={"handle_httpstatus_list": [304]},
                    callback=self.unchanged,
                )

        def unchanged(self, response):  # type: ignore[no-untyped-def]
            yield {"url": response.url, "status": response.status}

    _run(RevalidateSpider, out, in_flight)


def _run(spider: type, out: str, in_flight: int = IN_FLIGHT) -> None:
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(
        {
            "CONCURRENT_REQUESTS": in_flight,
            "CONCURRENT_REQUESTS_PER_DOMAIN": in_flight,
            "ROBOTSTXT_OBEY": True,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "FEEDS": {out: {"format": "jsonlines", "encoding": "utf8"}},
        }
    )
    process.crawl(spider)
    process.start()


# -- measuring one run -------------------------------------------------------------------------
@dataclass
class Run:
    tool: str
    wall: float
    cpu: float
    peak_rss_mb: float
    fetched: int
    stored: int


def launch_loop() -> None:
    """The launcher: run each command it reads (one JSON line) and answer with its figures.

    Started before the site is generated, so it stays small: Linux counts the memory a
    process had before exec in the RSS peak its child reports, so children forked by the
    benchmark itself (which holds the site) would all report its size.
    """
    # A subreaper: processes the tool leaves unreaped (a fork server and the workers it
    # forked) are handed to us when their parent exits, and we wait for them, so their
    # CPU time and memory are counted too.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    for line in sys.stdin:
        job = json.loads(line)
        with tempfile.TemporaryFile() as log:
            started = time.perf_counter()
            proc = subprocess.Popen(
                job["command"], cwd=job["cwd"], env=job["env"], stdout=log, stderr=log
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            usages = [usage, *_reap_orphans()]
            log.seek(0)
            output = log.read().decode(errors="replace")
        answer = {
            "wall": wall,
            "cpu": sum(u.ru_utime + u.ru_stime for u in usages),
            "rss_mb": max(u.ru_maxrss for u in usages) / 1024,
            "code": os.waitstatus_to_exitcode(status),
            "output": output[-3000:],
        }
        print(json.dumps(answer), flush=True)


PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def _reap_orphans(timeout: float = 30) -> list[resource.struct_rusage]:
    """Wait for every descendant handed to us (see `launch_loop`), at most `timeout` s;
    the resource usage of each (including the children it waited for itself)."""
    usages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break  # none left
        if pid == 0:
            time.sleep(0.02)
        else:
            usages.append(usage)
    return usages


class Launcher:
    """A small process that starts the tools and measures them (see `launch_loop`)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def measure(self, command: list[str], cwd: Path) -> tuple[float, float, float]:
        """Wall s, CPU s (the process and the children it reaped), largest RSS MB."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"command": command, "cwd": str(cwd), "env": env}))
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if answer["code"] != 0:
            sys.exit(f"{' '.join(command)} failed ({answer['code']}):\n{answer['output']}")
        return answer["wall"], answer["cpu"], answer["rss_mb"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def run_tool(launcher: Launcher, tool: str, site_url: str, workdir: Path, server_log: list) -> Run:
    from crawl import config_data, stored_articles

    before = len(server_log)
    out = workdir / f"{tool}.jsonl"
    out.unlink(missing_ok=True)
    if tool == "pressmon":
        db = workdir / "pressmon.db"
        db.unlink(missing_ok=True)
        data = config_data(site_url, None)
        data["crawl"] |= {"concurrency": IN_FLIGHT, "concurrency_per_domain": IN_FLIGHT}  # type: ignore[operator]
        config = workdir / "config.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        command = [sys.executable, "-m", "pressmon.cli", "crawl", "--config", str(config)]
        command += ["--db", f"sqlite:///{db}"]
    else:
        command = [sys.executable, __file__, "--spider", tool, "--sitemap"]
        command += [f"{site_url}/sitemap.xml", "--out", str(out)]
    wall, cpu, rss = launcher.measure(command, workdir)
    fetched = sum(1 for r in server_log[before:] if r.path.startswith("/news/"))
    if tool == "pressmon":
        stored = stored_articles(f"sqlite:///{workdir / 'pressmon.db'}")
    else:
        stored = len(out.read_text(encoding="utf-8").splitlines()) if out.exists() else 0
    return Run(tool, wall, cpu, rss, fetched, stored)


def summary(runs: list[Run], pages: int) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for tool in TOOLS:
        mine = [r for r in runs if r.tool == tool]
        if not mine:
            continue
        wall = statistics.median(r.wall for r in mine)
        table[tool] = {
            "wall_s": wall,
            "pages_per_s": pages / wall,
            "cpu_s": statistics.median(r.cpu for r in mine),
            "peak_rss_mb": max(r.peak_rss_mb for r in mine),
            "fetched": statistics.median(r.fetched for r in mine),
            "stored": min(r.stored for r in mine),
        }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="Article pages to generate.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per tool (median).")
    parser.add_argument("--json", type=Path, help="Also write every run and the table here.")
    parser.add_argument("--tools", default=",".join(TOOLS), help="Comma-separated subset.")
    parser.add_argument(
        "--spider", choices=("scrapy-fetch", "scrapy+traf", "scrapy-304"), help=argparse.SUPPRESS
    )
    parser.add_argument("--sitemap", help=argparse.SUPPRESS)
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--launcher", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.spider == "scrapy-304":  # inside benchmarks/crawl.py's floor run
        run_revalidation(args.sitemap, args.out, args.in_flight)
        return
    if args.spider:  # inside a peer's subprocess
        run_spider(args.sitemap, args.out, extract=args.spider == "scrapy+traf")
        return
    if args.launcher:
        launch_loop()
        return

    launcher = Launcher()  # before the site fills this process's memory
    from crawl import GeneratedSite, compile_bytecode

    tools = [t for t in TOOLS if t in args.tools.split(",")]
    site = GeneratedSite(args.pages)
    sizes = [len(site.resources[a.path].body) for a, _ in site.articles]
    print(
        f"site: {args.pages} pages of {min(sizes) // 1024}-{max(sizes) // 1024} KB; "
        f"{os.cpu_count()} cores; {IN_FLIGHT} requests in flight per tool; "
        f"median of {args.repeat} runs, alternating {' '.join(tools)}; {compile_bytecode()}",
        flush=True,
    )
    runs: list[Run] = []
    with site.serve() as server, tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):
            for tool in tools:
                run = run_tool(launcher, tool, server.base_url, Path(tmp), server.requests)
                runs.append(run)
                print(
                    f"  run {round_ + 1} {tool:13s} {run.wall:6.1f} s  cpu {run.cpu:6.1f} s  "
                    f"rss {run.peak_rss_mb:4.0f} MB  fetched {run.fetched}  stored {run.stored}",
                    flush=True,
                )
    launcher.close()
    table = summary(runs, args.pages)
    print(
        f"\n{'tool':13s} {'wall s':>7s} {'pages/s':>8s} {'CPU s':>7s} {'CPU ms/page':>11s} "
        f"{'peak RSS MB':>11s} {'fetched':>8s} {'stored':>7s}"
    )
    for tool, row in table.items():
        print(
            f"{tool:13s} {row['wall_s']:7.1f} {row['pages_per_s']:8.1f} {row['cpu_s']:7.1f} "
            f"{1000 * row['cpu_s'] / args.pages:11.1f} {row['peak_rss_mb']:11.0f} "
            f"{row['fetched']:8.0f} {row['stored']:7.0f}"
        )
    naive, ours = table.get("scrapy+traf"), table.get("pressmon")
    if naive and ours:
        print(
            f"\npressmon / naive (scrapy+traf): wall {ours['wall_s'] / naive['wall_s']:.2f} "
            f"(target <= 0.67), CPU per page {ours['cpu_s'] / naive['cpu_s']:.2f} "
            f"(target <= 1.5); pressmon peak RSS {ours['peak_rss_mb']:.0f} MB (target <= 250); "
            f"articles stored {ours['stored']:.0f} vs {naive['stored']:.0f}"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"runs": [asdict(r) for r in runs], "table": table}, indent=2),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
