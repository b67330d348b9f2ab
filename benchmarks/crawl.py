"""Measure the whole crawl (discover -> fetch -> clean -> relevance -> dedupe -> store).

Generates a site of news-sized article pages (about 70 KB of HTML each, with
the chrome real sites carry) plus a sitemap, serves it from memory on
127.0.0.1 with robots.txt and conditional GET, and prints in one run:

  (a) cleaning only: `crawler.process.analyse` over the same pages, one process;
  (b) the end-to-end `pressmon crawl` into a fresh SQLite store, as a subprocess
      (Scrapy's reactor cannot restart in one process), wall time and the
      crawl_run record's own duration;
  (c) b / a;
  (d) peak memory of the crawl process (and of its worker pool, with psutil);
  (e) re-crawls of the unchanged site: with the sitemap's lastmod (pages are not
      requested at all) and without it (every page asked for conditionally -> 304);
  (f) the floors under that last re-crawl: Scrapy alone (`peers.py`'s bare spider)
      asking for the same pages conditionally, and the server answering them to a
      client that does nothing else.

    python benchmarks/crawl.py [--pages 2000] [--workers N] [--profile crawl.prof]

`--workers` sets `crawl.clean_workers`; without it the key is left out of the
generated config, so the project's default applies.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import multiprocessing
import os
import pstats
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.analysis import analyse  # noqa: E402
from crawler.items import Fetched  # noqa: E402
from pressmon.config import Config, parse_config  # noqa: E402
from samplesite.render import Resource  # noqa: E402
from samplesite.server import SampleSite  # noqa: E402

SEED = 20261122
WARMUP_PAGES = 20
CRAWL_TIMEOUT = 600  # seconds; a crawl still running then is dumped (py-spy) and killed
SITE = "Harbour Tech Daily"

WATCH = {
    "name": "HKSTP",
    "aliases": [
        "Hong Kong Science and Technology Parks Corporation",
        "Hong Kong Science and Technology Parks",
        "HKSTP",
        "Hong Kong Science Park",
        "香港科技園公司",
        "香港科學園",
    ],
    "context_aliases": [{"alias": "Science Park", "context": ["Hong Kong", "Pak Shek Kok"]}],
    "threshold": 2.0,
}


# -- word lists for the generated text (the benchmark's own) ------------------------------------
def _words(text: str) -> list[str]:
    """A word list written as "a | b | c" over several lines."""
    return [w.strip() for w in text.split("|") if w.strip()]


ORG = _words("""
    Hong Kong Science Park | HKSTP | Hong Kong Science and Technology Parks Corporation |
    the Science Park at Pak Shek Kok
""")
FIRST = _words("""
    Alicia | Benedict | Chloe | Desmond | Evelyn | Felix | Grace | Horace | Ivy | Jasper |
    Karen | Lionel | Mabel | Nathan | Olivia | Patrick | Queenie | Raymond | Sabrina | Terence |
    Ursula | Vincent | Winnie | Xavier | Yvonne | Zachary
""")
LAST = _words("""
    Chan | Wong | Lee | Cheung | Lau | Ng | Ho | Leung | Tsang | Yip | Kwok | Tam | Fung | Mak |
    Poon | Siu | Choi | Lam | Yuen | Kwan
""")
SYL = _words("""
    ver | nova | quant | syn | lum | aeri | bio | cor | dyn | eco | flux | gen | hex | ion |
    jade | kin | lyt | medi | neur | opti | pixa | qubi | robo | sol | tera | uni | vita |
    wave | xeno | yot | zen | arc | bright | cell | data
""")
SUFFIX = _words("""
    Labs | Robotics | Therapeutics | Analytics | Systems | Materials | Health | Mobility |
    Energy | Devices | AI | Genomics | Photonics | Fintech | Sensors
""")
SECTOR = _words("""
    biomedical technology | artificial intelligence | robotics | green technology | fintech |
    smart city services | new materials | microelectronics | health tech | data analytics |
    precision manufacturing | agritech | quantum computing | cybersecurity | battery chemistry |
    medical imaging | drug discovery
""")
ADJ = _words("""
    early-stage | fast-growing | regional | cross-border | homegrown | award-winning |
    venture-backed | university spin-off | deep-tech | clinical-stage | export-oriented |
    research-led | second-generation | mid-sized | profitable | pre-revenue
""")
THING = _words("""
    prototype | pilot line | clinical trial | testbed | wet lab | data platform | sensor array |
    robot fleet | battery pack | diagnostic kit | chip design | cloud service | imaging system |
    software toolkit | manufacturing cell | campus
""")
VERB = _words("""
    announced | unveiled | completed | expanded | secured funding for | opened | began testing |
    signed an agreement on | showcased | delivered | scaled up | presented | licensed |
    moved into production with | won an award for
""")
PLACE = _words("""
    Shenzhen | Singapore | the Greater Bay Area | Tokyo | Seoul | London | Munich | Boston |
    Sydney | Bangkok | Dubai | Toronto | Taipei | Kuala Lumpur | Paris
""")
PARTNER = _words("""
    a local university | two hospital groups | an overseas investor | a logistics operator |
    the city's airport | a listed property developer | a regional bank | an electric bus maker |
    a telecoms carrier | a design school
""")
CONNECT = _words("""
    Meanwhile | In addition | According to the company | Separately | Earlier this year |
    As a result | Looking ahead | By comparison | At the event | For now | Over the next year |
    In a statement
""")
QUOTE_VERB = _words("""
    said | noted | explained | added | told reporters | remarked | stressed
""")
ROLE = _words("""
    chief executive | co-founder | head of research | chief technology officer |
    programme director | managing partner | head of partnerships | chief scientist
""")
GOAL = _words("""
    shorten development cycles | reach customers abroad | cut energy use | hire more engineers |
    raise a larger round | meet regulators' requirements | bring the product to hospitals |
    lower production costs | train local talent | open a second office |
    build a reference customer base | publish the results
""")
SECTIONS = _words("""
    News | Business | Startups | Markets | Science | Health | Policy | Opinion | Greater Bay |
    World | Video | Podcasts | Events | Jobs | Data | Lifestyle
""")
TOPICS = _words("""
    Funding rounds | Incubation | Biotech | AI | Robotics | Green tech | Fintech |
    Semiconductors | Talent | Property | Education | Government | Universities |
    Venture capital | IPO watch | Research | Smart city | Mobility
""")


def company(rng: random.Random) -> str:
    name = "".join(rng.choice(SYL) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{name} {rng.choice(SUFFIX)}"


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def sentence(rng: random.Random, firm: str) -> str:
    """One sentence from a small grammar; each slot varies, so pages share few phrases."""
    n = rng.randint(2, 980)
    kind = rng.randrange(8)
    if kind == 0:
        return (
            f"{firm}, a {rng.choice(ADJ)} {rng.choice(SECTOR)} company based at "
            f"{rng.choice(ORG)}, {rng.choice(VERB)} a {rng.choice(THING)} with "
            f"{rng.choice(PARTNER)}."
        )
    if kind == 1:
        return (
            f"\u201cWe want to {rng.choice(GOAL)} and {rng.choice(GOAL)},\u201d "
            f"{person(rng)}, {rng.choice(ROLE)} of {firm}, {rng.choice(QUOTE_VERB)}."
        )
    if kind == 2:
        return (
            f"{rng.choice(CONNECT)}, {rng.choice(ORG)} said {n} {rng.choice(ADJ)} teams in "
            f"{rng.choice(SECTOR)} had applied for its programmes this cycle."
        )
    if kind == 3:
        return (
            f"The team plans to use the {rng.choice(THING)} in {rng.choice(PLACE)} before "
            f"moving on to {rng.choice(PLACE)}, where it already works with "
            f"{rng.choice(PARTNER)}."
        )
    if kind == 4:
        return (
            f"{rng.choice(CONNECT)}, the {rng.choice(THING)} cut costs by {n % 60 + 5} "
            f"per cent and helped the company {rng.choice(GOAL)}."
        )
    if kind == 5:
        return (
            f"Founded by {person(rng)} and {person(rng)}, the company employs "
            f"{n % 300 + 8} people and counts {rng.choice(PARTNER)} among its backers."
        )
    if kind == 6:
        return (
            f"Analysts in {rng.choice(PLACE)} expect {rng.choice(SECTOR)} and "
            f"{rng.choice(SECTOR)} to draw more capital as firms {rng.choice(GOAL)}."
        )
    return (
        f"{rng.choice(CONNECT)}, {person(rng)} {rng.choice(QUOTE_VERB)} that "
        f"{rng.choice(ORG)} had {rng.choice(VERB)} a shared {rng.choice(THING)} for "
        f"{rng.choice(ADJ)} tenants."
    )


# -- the page template --------------------------------------------------------------------------
def _css(rng: random.Random) -> str:
    rules = []
    for i in range(230):
        rules.append(
            f".c{i}-{rng.choice(SYL)}{{margin:{rng.randint(0, 24)}px {rng.randint(0, 24)}"
            f"px;padding:{rng.randint(0, 16)}px;color:#{rng.randrange(16**6):06x};"
            f"font-size:{rng.randint(11, 22)}px;line-height:1.{rng.randint(2, 8)}}}"
        )
    return "\n".join(rules)


def _js(rng: random.Random) -> str:
    keys = ",".join(f'"{rng.choice(SYL)}{i}":{rng.randint(0, 99999)}' for i in range(420))
    return (
        f"window.__config={{{keys}}};(function(w,d){{var s=d.createElement('script');"
        f"s.async=true;s.src='/static/app.{rng.randrange(16**8):08x}.js';"
        f"d.head.appendChild(s);w.dataLayer=w.dataLayer||[];}})(window,document);"
    )


def _nav() -> str:
    items = []
    for section in SECTIONS:
        slug = section.lower().replace(" ", "-")
        subs = "".join(
            f'<li class="nav-sub-item"><a class="nav-link" '
            f'href="/{slug}/{t.lower().replace(" ", "-")}/">{t}</a></li>'
            for t in TOPICS
        )
        items.append(
            f'<li class="nav-item has-children"><a class="nav-link nav-top" '
            f'href="/{slug}/">{section}</a><ul class="nav-sub">{subs}</ul></li>'
        )
    links = "".join(items)
    return f'<nav class="main-nav" aria-label="Main"><ul class="nav-list">{links}</ul></nav>'


def _footer() -> str:
    cols = []
    for heading in ("About us", "Sections", "Services", "Follow us"):
        links = "".join(
            f'<li><a href="/{heading[:4].lower()}/{t.lower().replace(" ", "-")}/">{t}</a></li>'
            for t in TOPICS
        )
        cols.append(f'<div class="footer-col"><h4>{heading}</h4><ul>{links}</ul></div>')
    return (
        f'<footer class="site-footer"><div class="footer-cols">{"".join(cols)}</div>'
        f'<p class="legal">Copyright {SITE}. All rights reserved. '
        f'<a href="/terms/">Terms</a> <a href="/privacy/">Privacy</a> '
        f'<a href="/cookies/">Cookies</a></p></footer>'
    )


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    published: datetime


class GeneratedSite:
    """The pages, sitemap and robots.txt, all in memory."""

    def __init__(self, pages: int, seed: int = SEED) -> None:
        rng = random.Random(seed)
        start = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
        self.articles = []
        for i in range(pages):
            firm = company(rng)
            published = start + timedelta(hours=i * 24 * 2000 // max(pages, 1) + rng.randint(0, 9))
            title = (
                f"{firm} {rng.choice(VERB)} {rng.choice(THING)} at "
                f"{rng.choice(['Hong Kong Science Park', 'HKSTP'])} ({i + 1})"
            )
            slug = "-".join(title.lower().replace("(", "").replace(")", "").split()[:8])
            path = f"/news/{published:%Y/%m}/{i + 1:05d}-{slug}.html"
            self.articles.append((Article(path, title, published), firm))
        css, js, nav, footer = _css(rng), _js(rng), _nav(), _footer()
        self.resources: dict[str, Resource] = {}
        for index, (article, firm) in enumerate(self.articles):
            html = self._page(rng, article, firm, index, css, js, nav, footer)
            self.resources[article.path] = self._resource(
                html.encode("utf-8"), "text/html; charset=utf-8", article.published
            )
        self.resources["/robots.txt"] = self._resource(
            b"User-agent: *\nDisallow: /private/\nSitemap: /sitemap.xml\n", "text/plain", start
        )
        self.sitemaps = {
            lastmod: self._resource(self._sitemap(lastmod), "application/xml", start)
            for lastmod in (True, False)
        }
        self.sitemap_lastmod = True  # which sitemap /sitemap.xml serves

    @staticmethod
    def _resource(body: bytes, content_type: str, modified: datetime) -> Resource:
        return Resource(body, content_type, modified)

    def _sitemap(self, lastmod: bool) -> bytes:
        rows = []
        for article, _ in self.articles:
            when = f"<lastmod>{article.published:%Y-%m-%dT%H:%M:%SZ}</lastmod>" if lastmod else ""
            rows.append(f"<url><loc>{{base}}{xml_escape(article.path)}</loc>{when}</url>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows)
            + "\n</urlset>\n"
        ).encode("utf-8")

    def _page(
        self,
        rng: random.Random,
        article: Article,
        firm: str,
        index: int,
        css: str,
        js: str,
        nav: str,
        footer: str,
    ) -> str:
        author = person(rng)
        when = article.published
        paragraphs = []
        for p in range(rng.randint(8, 11)):
            sentences = [sentence(rng, firm) for _ in range(rng.randint(2, 3))]
            if p == 0:
                sentences.insert(
                    0,
                    f"HONG KONG, {when:%-d %B %Y} \u2013 {firm} said on "
                    f"{when:%A} it had joined Hong Kong Science Park.",
                )
            paragraphs.append("<p>" + " ".join(sentences) + "</p>")
        others = [self.articles[(index + k * 37) % len(self.articles)][0] for k in range(1, 21)]
        related = "".join(
            f'<li class="related-item"><a href="{o.path}">{o.title}</a>'
            f'<span class="teaser">{sentence(rng, company(rng))[:90]}\u2026</span></li>'
            for o in others
        )
        popular = "".join(f'<li><a href="{o.path}">{o.title}</a></li>' for o in others[:10])
        tags = "".join(
            f'<a class="tag" href="/topic/{t.lower().replace(" ", "-")}/">{t}</a>'
            for t in rng.sample(TOPICS, 12)
        )
        ld = (
            f'{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{article.title}",'
            f'"datePublished":"{when.isoformat()}","author":{{"@type":"Person",'
            f'"name":"{author}"}},"publisher":{{"@type":"Organization","name":"{SITE}"}}}}'
        )
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{article.title} | {SITE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{firm} and Hong Kong Science Park: {rng.choice(SECTOR)}.">
<meta name="author" content="{author}">
<meta property="og:title" content="{article.title}">
<meta property="og:site_name" content="{SITE}">
<meta property="article:published_time" content="{when.isoformat()}">
<script type="application/ld+json">{ld}</script>
<style>{css}</style>
<script>{js}</script>
</head><body class="article-page">
<div class="cookie-banner" role="dialog"><p>We use cookies to improve your experience.
<a href="/cookies/">Learn more</a></p><button>Accept</button></div>
<header class="site-header"><a class="logo" href="/">{SITE}</a>{nav}
<form class="search" action="/search/"><input name="q" placeholder="Search"></form></header>
<div class="breadcrumb"><a href="/">Home</a> &rsaquo; <a href="/startups/">Startups</a>
&rsaquo; <span>{rng.choice(TOPICS)}</span></div>
<main class="layout"><article class="story">
<h1 class="headline">{article.title}</h1>
<div class="byline">By <a rel="author" href="/authors/{author.lower().replace(" ", "-")}/">
{author}</a> &middot; <time datetime="{when.isoformat()}">{when:%-d %B %Y}</time></div>
<figure class="lead-image"><img src="/img/{index}.jpg" alt="{firm}" width="1200" height="675">
<figcaption>The {rng.choice(THING)} of {firm}. Photo: {SITE}</figcaption></figure>
<div class="story-body">{"".join(paragraphs)}</div>
<div class="share"><a href="/share/fb">Share on Facebook</a> <a href="/share/x">Share on X</a>
<a href="/share/li">Share on LinkedIn</a> <a href="/share/mail">E-mail</a></div>
<div class="tags">{tags}</div>
</article>
<section class="related"><h2>Related stories</h2><ul>{related}</ul></section>
<aside class="sidebar"><div class="ad-slot" data-slot="mpu-{index % 7}">Advertisement</div>
<h3>Most read</h3><ol>{popular}</ol>
<div class="newsletter"><h3>Get our morning briefing</h3><form action="/subscribe/">
<input name="email" type="email" placeholder="Your e-mail"><button>Sign up</button></form></div>
<div class="ad-slot" data-slot="half-page">Advertisement</div></aside>
</main>
{footer}
<script>window.dataLayer.push({{"page":"{article.path}","section":"startups"}});</script>
</body></html>
"""

    def get(self, path: str, _query: str, base: str) -> Resource | None:
        """What `path` serves (a `samplesite.server.Resolver`); the sitemap names `base`."""
        if path == "/sitemap.xml":
            res = self.sitemaps[self.sitemap_lastmod]
            return Resource(
                res.body.replace(b"{base}", base.encode()), res.content_type, res.modified
            )
        return self.resources.get(path)

    def serve(self) -> SampleSite:
        """The sample newsroom's server (conditional GET, request log) serving this site,
        with persistent connections, as news sites have them."""
        return SampleSite(resolver=self.get, keep_alive=True)


def statuses(server: SampleSite, since: int = 0) -> Counter[int]:
    """What the server answered, by status, from its `since`-th request on."""
    return Counter(record.status for record in server.requests[since:])


# -- pressmon as installed ------------------------------------------------------------------------
PACKAGES = ("pressmon", "crawler", "store", "figures", "digest", "scheduler", "web", "samplesite")


def compile_bytecode() -> str:
    """Compile pressmon's modules to bytecode, as `pip install` and a first run do, and say so.

    The peers' libraries come with theirs from their install. A machine that sets
    PYTHONDONTWRITEBYTECODE (this sandbox does) would otherwise leave pressmon alone
    compiling its modules in every process it starts: 0.3 s of a 9 s crawl.
    """
    ok = all(compileall.compile_dir(ROOT / package, quiet=1) for package in PACKAGES)
    if not ok:
        raise SystemExit("benchmark: pressmon's modules did not compile")
    return "pressmon's bytecode compiled"


# -- the measurements ---------------------------------------------------------------------------
def clean_only(site: GeneratedSite, base_url: str, config: Config) -> tuple[float, int]:
    """Pages/s of `analyse` over every page in one process, after a warm-up; relevant count.

    `analyse` gets what the crawl gives it: the watch and, where the project has
    one, the figures catalogue.
    """
    extra = (config.catalogue,) if hasattr(config, "catalogue") else ()
    items = [
        Fetched(
            source="bench",
            url=base_url + a.path,
            final_url=base_url + a.path,
            status=200,
            body=site.resources[a.path].body,
            content_type="text/html; charset=utf-8",
        )
        for a, _ in site.articles
    ]
    for item in items[:WARMUP_PAGES]:
        analyse(item, config.watch, *extra)
    started = time.perf_counter()
    relevant = sum(analyse(item, config.watch, *extra).relevance.relevant for item in items)
    return len(items) / (time.perf_counter() - started), relevant


def config_data(base_url: str, workers: int | None) -> dict[str, object]:
    """The benchmark's config.yaml: one sitemap source, no politeness delays."""
    crawl: dict[str, object] = {
        "download_delay": 0,
        "autothrottle": False,
        "concurrency_per_domain": 16,
        "concurrency": 32,
    }
    if workers is not None:
        crawl["clean_workers"] = workers
    data = {
        "watch": WATCH,
        "sources": [
            {"name": "bench", "kind": "sitemap", "start_urls": [f"{base_url}/sitemap.xml"]}
        ],
        "crawl": crawl,
    }
    return data


@dataclass
class CrawlResult:
    wall: float
    own: float | None
    max_rss_mb: float  # the crawl process, or its largest child (wait4's ru_maxrss)
    tree_peak_mb: float | None  # crawl process + pool workers together, sampled (psutil)
    counts: dict[str, int]
    statuses: Counter[int]
    output: str  # what `pressmon crawl` printed (stdout and stderr)


def _tree_rss(pid: int) -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 2**20


def run_crawl(
    config: Path, db_url: str, server: SampleSite, cwd: Path, profile: Path | None = None
) -> CrawlResult:
    """One `pressmon crawl` subprocess: its wall time, memory and crawl_run record."""
    before = len(server.requests)
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "pressmon.cli", "crawl", "--config", str(config), "--db", db_url]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(proc.stdout.read()), daemon=True)
    reader.start()
    peak: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            rss = _tree_rss(proc.pid)
            if rss is not None:
                peak.append(rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    deadline = started + CRAWL_TIMEOUT
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            output.append(_stack_dump(proc.pid))
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            output.append(f"\n(killed after {CRAWL_TIMEOUT} s)".encode())
            break
        time.sleep(0.02)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join(timeout=5)
    reader.join(timeout=30)
    if proc.returncode != 0:
        sys.exit(f"crawl failed ({proc.returncode}):\n{b''.join(output).decode(errors='replace')}")
    own, counts = _last_run(db_url)
    return CrawlResult(
        wall,
        own,
        usage.ru_maxrss / 1024,
        max(peak) if peak else None,
        counts,
        statuses(server, before),
        b"".join(output).decode(errors="replace"),
    )


def scrapy_revalidation(server: SampleSite, cwd: Path, in_flight: int) -> tuple[float, int]:
    """Wall time of the re-crawl's floor: a bare Scrapy spider (`peers.py`'s) asking for
    every page of the sitemap with If-None-Match, `in_flight` at a time as pressmon's
    crawl; and how many pages answered 304."""
    before = len(server.requests)
    command = [sys.executable, str(Path(__file__).with_name("peers.py")), "--spider"]
    command += ["scrapy-304", "--sitemap", f"{server.base_url}/sitemap.xml"]
    command += ["--out", str(cwd / "revalidated.jsonl"), "--in-flight", str(in_flight)]
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started, statuses(server, before)[304]


def raw_revalidation(base_url: str, paths: list[str], connections: int) -> float:
    """Seconds the server takes to answer each of `paths` 304 to a client that does nothing
    else: raw keep-alive sockets, `If-None-Match: *`, reading only the status line and
    headers. Run in its own process, so client and server do not share a GIL."""
    parts = urlsplit(base_url)
    host, port = parts.hostname, parts.port

    def ask(share: list[str]) -> None:
        with socket.create_connection((host, port)) as conn:
            for path in share:
                conn.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: {host}\r\nIf-None-Match: *\r\n\r\n".encode()
                )
                head = b""
                while b"\r\n\r\n" not in head:
                    head += conn.recv(65536)
                if b" 304 " not in head.split(b"\r\n", 1)[0]:
                    raise RuntimeError(f"{path}: expected 304, got {head[:40]!r}")

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(ask, [paths[i::connections] for i in range(connections)]))
    return time.perf_counter() - started


def _stack_dump(pid: int) -> bytes:
    """Where a hung crawl is stuck, if py-spy is installed."""
    try:
        dump = subprocess.run(
            ["py-spy", "dump", "--pid", str(pid)], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"\n(no stack dump: {exc})".encode()
    return b"\n" + dump.stdout + dump.stderr


def _last_run(db_url: str) -> tuple[float | None, dict[str, int]]:
    from store import Store
    from store import queries as q

    store = Store(db_url)
    try:
        with store.session() as session:
            run = q.last_runs(session, 1)[0]
            own = (run.finished - run.started).total_seconds() if run.finished else None
            counts = {
                k: getattr(run, k)
                for k in ("pages", "new", "revised", "unchanged", "skipped", "errors")
            }
            counts["status"] = run.status  # type: ignore[assignment]
    finally:
        store.close()
    return own, counts


def stored_articles(db_url: str) -> int:
    from sqlalchemy import func, select

    from store import Store
    from store.models import Article as StoredArticle

    store = Store(db_url)
    try:
        with store.session() as session:
            return session.scalar(select(func.count()).select_from(StoredArticle)) or 0
    finally:
        store.close()


def describe(label: str, n: int, result: CrawlResult) -> None:
    own = f"{result.own:.1f} s ({n / result.own:.1f} pages/s)" if result.own else "n/a"
    tree = f", crawl + workers {result.tree_peak_mb:.0f} MB" if result.tree_peak_mb else ""
    print(f"{label}: wall {result.wall:.1f} s ({n / result.wall:.1f} pages/s), crawl_run {own}")
    print(f"    peak RSS: crawl process {result.max_rss_mb:.0f} MB{tree}")
    print(f"    crawl_run counts {result.counts}; server statuses {dict(result.statuses)}")
    if result.counts.get("errors") or result.counts.get("status") != "ok":
        print("    the crawl printed:\n" + result.output[-3000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="Article pages to generate.")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="crawl.clean_workers (default: left out of the config).",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="Write cProfile stats of the first crawl here and print the top.",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    site = GeneratedSite(args.pages)
    sizes = [len(site.resources[a.path].body) for a, _ in site.articles]
    print(
        f"site: {args.pages} pages, mean {sum(sizes) / len(sizes) / 1024:.1f} KB "
        f"(min {min(sizes) / 1024:.0f}, max {max(sizes) / 1024:.0f}), generated in "
        f"{time.perf_counter() - started:.1f} s; cpu cores {os.cpu_count()}; "
        f"clean_workers {'unset' if args.workers is None else args.workers}; "
        f"{compile_bytecode()}"
    )

    with site.serve() as server, tempfile.TemporaryDirectory() as tmp:
        data = config_data(server.base_url, args.workers)
        a, relevant = clean_only(site, server.base_url, parse_config(data, "benchmark config"))
        print(
            f"(a) cleaning only (analyse, 1 process): {a:.1f} pages/s "
            f"({1000 / a:.1f} ms/page); relevant {relevant}/{args.pages}"
        )

        directory = Path(tmp)
        config = directory / "config.yaml"
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        db_url = f"sqlite:///{directory / 'bench.db'}"
        first = run_crawl(config, db_url, server, directory, args.profile)
        n = args.pages
        describe("(b) first crawl", n, first)
        b = n / first.wall
        print(
            f"(c) b/a: {b / a:.2f} by wall time"
            + (f", {n / first.own / a:.2f} by crawl_run time" if first.own else "")
        )
        stored = stored_articles(db_url)
        print(f"    articles stored: {stored} (expected {n}){'' if stored == n else '  MISMATCH'}")
        if stored != n:
            print("    the crawl printed:\n" + first.output[-3000:])

        second = run_crawl(config, db_url, server, directory)
        describe("(e) re-crawl, sitemap with unchanged lastmod", n, second)
        print(
            f"    first/second: {first.wall / second.wall:.1f}x by wall time"
            + (
                f", {first.own / second.own:.1f}x by crawl_run time"
                if first.own and second.own
                else ""
            )
            + f"; 304s answered: {second.statuses[304]}"
        )

        site.sitemap_lastmod = False
        third = run_crawl(config, db_url, server, directory)
        describe("(e') re-crawl, sitemap without lastmod (conditional GETs)", n, third)
        print(
            f"    first/this: {first.wall / third.wall:.1f}x by wall time"
            + (
                f", {first.own / third.own:.1f}x by crawl_run time"
                if first.own and third.own
                else ""
            )
            + f"; 304s answered: {third.statuses[304]}"
        )
        stored = stored_articles(db_url)
        print(f"    articles stored after re-crawls: {stored}")
        in_flight = data["crawl"]["concurrency_per_domain"]  # type: ignore[index]
        floor, answered = scrapy_revalidation(server, directory, in_flight)
        paths = [article.path for article, _ in site.articles]
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            served = child.submit(raw_revalidation, server.base_url, paths, in_flight).result()
        print(
            f"(f) the floor under (e'), for a 10x re-crawl in {first.wall / 10:.2f} s:\n"
            f"    Scrapy alone asking for the same pages conditionally: {floor:.2f} s "
            f"(304s answered: {answered}); first/this: {first.wall / floor:.1f}x\n"
            f"    the server answering them to a raw-socket client: {served:.2f} s "
            f"({len(paths) / served:.0f} requests/s)"
        )

    if args.profile is not None:
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
