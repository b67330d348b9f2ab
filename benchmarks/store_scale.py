"""Measure reading a big store: listings, search, flags and a metric's history at 100,000 articles.

Grows a store to `--articles` articles through the store's own bulk writes
(`store.writes.insert_articles`, `insert_versions`, the search index's
`index_many`, clusters, figure mentions and flags), with text made from this
file's own sentence templates: English and Chinese, a share of revised
articles, syndicated copies in clusters, figure mentions and flags. Then, on
SQLite and on PostgreSQL, it serves the store with `pressmon serve` and times a
fixed mix of requests to the JSON API at 1 and at 16 concurrent clients, and
times the same mix as `pressmon` CLI commands (one process each, as a user
runs them). It prints p50, p95 and max per kind of request, errors, and the
store's size per article.

    python benchmarks/store_scale.py [--articles 100000] [--backend sqlite|postgresql|both]
        [--json FILE] [--keep DIR] [--rebuild] [--rounds 5] [--cli-rounds 1] [--workers N]
        [--threads N]

The grown stores are kept under `--keep` (default data/bench/) and reused by the
next run with the same `--articles`, so a measurement need not rebuild them:
the SQLite file, and a PostgreSQL cluster folder started and stopped by this
script (PostgreSQL's server binaries, as tests/pg.py uses them). `--rebuild`
grows them afresh. `--articles 2000` is a quick check.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.sources import Source as SourceConfig  # noqa: E402
from store import Store  # noqa: E402
from store import writes as w  # noqa: E402
from tests import pg  # noqa: E402

SEED = 16
BATCH = 1000
GENERATOR = "5"  # bump when the generated store changes, so kept stores are rebuilt
REVISED = 0.10  # share of articles with a second version
COPIES = 0.06  # share of articles that are a syndicated copy of an earlier one
ZH = 0.30  # share of Chinese articles
MENTIONS = 0.02  # share of articles stating one of the watch's figures
FLAGGED = 0.30  # share of mentions that raised a flag
UNDATED = 0.05  # share of articles with no published date (listed by first seen)
START, END = date(2008, 1, 1), date(2026, 11, 30)

SOURCES = {
    "newsroom": "listing",
    "gov-press": "feed",
    "wire": "search",
    "news-en": "sitemap",
    "news-zh": "sitemap",
    "blogs": "feed",
}

# -- text from our own templates -------------------------------------------------------------
ORG_EN = ["HKSTP", "Hong Kong Science and Technology Parks Corporation", "Hong Kong Science Park"]
ORG_ZH = ["香港科技園公司", "科學園", "香港科學園", "科技園"]
SYL = [
    "ka",
    "lo",
    "mi",
    "ren",
    "tas",
    "vor",
    "zen",
    "qua",
    "bri",
    "dex",
    "lum",
    "nor",
    "pha",
    "sil",
    "tek",
    "vio",
    "xan",
    "yel",
    "zor",
]
SECTORS = [
    "biotech",
    "robotics",
    "fintech",
    "semiconductors",
    "medtech",
    "cleantech",
    "logistics",
    "edtech",
    "agritech",
    "proptech",
    "insurtech",
    "cybersecurity",
    "photonics",
    "microfluidics",
    "genomics",
]
THINGS = [
    "laboratory",
    "platform",
    "prototype",
    "sensor",
    "network",
    "pilot",
    "plant",
    "dataset",
    "testbed",
    "accelerator",
    "clinic",
    "cleanroom",
    "wafer",
    "line",
    "drone",
    "fleet",
    "battery",
    "pack",
]
PLACES = [
    "Shenzhen",
    "Singapore",
    "Riyadh",
    "Cambridge",
    "Hsinchu",
    "Dubai",
    "Tokyo",
    "Seoul",
    "Munich",
    "Boston",
    "Guangzhou",
    "Macau",
    "Bangkok",
    "Jakarta",
    "Melbourne",
    "Toronto",
]
VERBS = ["launched", "unveiled", "opened", "expanded", "completed", "announced", "tested"]
METRICS = [
    ("companies", "companies"),
    ("startups", "startups"),
    ("workforce", "people working in the park"),
    ("unicorns", "unicorns"),
    ("incubation_graduates", "incubation graduates"),
]
# rare words: each appears in a few articles only
RARE = [
    "zeolite",
    "ptychography",
    "magnetocaloric",
    "electrospinning",
    "xenotransplant",
    "optogenetics",
    "perovskite",
    "spintronics",
]
ZH_SECTORS = ["生物科技", "人工智能", "機械人", "金融科技", "綠色科技", "半導體", "醫療科技"]
ZH_PLACES = ["深圳", "新加坡", "利雅得", "劍橋", "新竹", "杜拜", "東京", "廣州"]
ZH_THINGS = ["實驗室", "平台", "原型", "數據中心", "試點計劃", "孵化計劃"]


def _firm(rng: random.Random) -> str:
    return "".join(rng.choice(SYL) for _ in range(rng.randint(2, 3))).capitalize() + " Labs"


def _en_sentence(rng: random.Random, firm: str, n: int) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return (
            f"{firm}, a {rng.choice(SECTORS)} company at {rng.choice(ORG_EN)}, "
            f"{rng.choice(VERBS)} a {rng.choice(THINGS)} with partners in {rng.choice(PLACES)}."
        )
    if kind == 1:
        return (
            f"{rng.choice(ORG_EN)} said {n} teams in {rng.choice(SECTORS)} applied "
            "for its incubation programmes this year."
        )
    if kind == 2:
        return (
            f"The {rng.choice(THINGS)} will run in {rng.choice(PLACES)} before it moves to "
            f"{rng.choice(PLACES)}, the chief executive of {firm} said."
        )
    if kind == 3:
        return f"Costs fell by {n % 60 + 5} per cent once the {rng.choice(THINGS)} was in use."
    if kind == 4:
        return (
            f"Analysts expect {rng.choice(SECTORS)} and {rng.choice(SECTORS)} firms to draw "
            f"more capital to Hong Kong as the park grows."
        )
    if kind == 5:
        return f"{firm} employs {n % 300 + 8} people and plans to hire more engineers next year."
    return (
        f"Researchers from {rng.choice(PLACES)} joined {firm} to work on "
        f"{rng.choice(SECTORS)} at the {rng.choice(THINGS)}."
    )


def _zh_sentence(rng: random.Random, n: int) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return (
            f"{rng.choice(ORG_ZH)}表示，今年有{n}間{rng.choice(ZH_SECTORS)}初創企業"
            "申請加入孵化計劃。"
        )
    if kind == 1:
        return f"公司計劃先在{rng.choice(ZH_PLACES)}設立{rng.choice(ZH_THINGS)}，再拓展至大灣區。"
    if kind == 2:
        return f"業界預期{rng.choice(ZH_SECTORS)}企業將吸引更多資金來港，推動創科發展。"
    return f"該公司現有{n % 300 + 8}名員工，明年將繼續招聘工程師。"


@dataclass
class Generated:
    """One article to store: its row, its versions' texts and the figure it states."""

    row: w.NewArticle
    texts: list[str]
    mention: tuple[str, int] | None  # (metric, value) in the current version
    copy_of: int | None = None  # index of the article this one syndicates


def _article(rng: random.Random, i: int, source_ids: dict[str, int]) -> Generated:
    zh = rng.random() < ZH
    day = START + timedelta(days=int((END - START).days * rng.random() ** 0.6))
    firm = _firm(rng)
    count = rng.randint(6, 14)
    if zh:
        sentences = [_zh_sentence(rng, rng.randint(20, 900)) for _ in range(count)]
        title = f"{rng.choice(ORG_ZH)}{rng.choice(ZH_SECTORS)}企業{rng.choice(VERBS_ZH)}"
        source = rng.choice(["news-zh", "gov-press", "newsroom"])
    else:
        sentences = [_en_sentence(rng, firm, rng.randint(20, 900)) for _ in range(count)]
        title = f"{firm} {rng.choice(VERBS)} {rng.choice(THINGS)} at {rng.choice(ORG_EN)}"
        source = rng.choice(["news-en", "wire", "newsroom", "blogs", "gov-press"])
    if rng.random() < 0.02:  # a rare word in a few articles
        sentences.insert(1, f"The work relies on {rng.choice(RARE)} studied in the park.")
    mention = None
    if rng.random() < MENTIONS:
        metric, words = rng.choice(METRICS)
        value = rng.randint(50, 2000)
        mention = (metric, value)
        said = (
            f"HKSTP now counts {value:,} {words}."
            if not zh
            else f"科學園現時有{value}間公司。"  # the zh template states companies
        )
        if zh:
            mention = ("companies", value)  # what the Chinese template states
        sentences.insert(0, said)
    text = "\n".join(
        "".join(sentences[k : k + 3]) if zh else " ".join(sentences[k : k + 3])
        for k in range(0, len(sentences), 3)
    )
    texts = [text]
    if rng.random() < REVISED:  # a revision changes one paragraph, keeps the rest
        paragraphs = text.split("\n")
        paragraphs[-1] = (
            _zh_sentence(rng, rng.randint(20, 900))
            if zh
            else _en_sentence(rng, firm, rng.randint(20, 900))
        )
        texts.append("\n".join(paragraphs))
    seen = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(6, 40))
    row: w.NewArticle = {
        "url_key": f"bench.example/{source}/{i}",
        "url": f"https://bench.example/{source}/{i}",
        "source_id": source_ids[source],
        "title": title,
        "author": None,
        "sitename": source,
        "published": None if rng.random() < UNDATED else day,
        "language": "zh" if zh else "en",
        "first_seen": seen,
        "last_seen": seen + timedelta(days=rng.randint(0, 30)),
        "relevance": round(rng.uniform(0.5, 1.0), 3),
        "aliases": ["HKSTP"],
    }
    return Generated(row, texts, mention)


VERBS_ZH = ["進駐科學園", "獲得融資", "推出新產品", "拓展海外市場"]


def generate(n: int, source_ids: dict[str, int], seed: int = SEED) -> list[Generated]:
    """n articles in publication-independent order (ids are not dates: crawls find old news)."""
    rng = random.Random(seed)
    made: list[Generated] = []
    for i in range(n):
        if made and rng.random() < COPIES:  # a copy of a recent release on another source
            original = made[rng.randrange(max(0, len(made) - 200), len(made))]
            source = rng.choice([s for s in SOURCES if s != "newsroom"])
            row = dict(original.row) | {
                "url_key": f"bench.example/{source}/{i}",
                "url": f"https://bench.example/{source}/{i}",
                "source_id": source_ids[source],
                "sitename": source,
            }
            made.append(
                Generated(row, original.texts[:1], original.mention, made.index(original))  # type: ignore[arg-type]
            )
            continue
        made.append(_article(rng, i, source_ids))
    return made


def _signature(text: str) -> bytes:
    return text.encode("utf-8")[:16]


def grow(store: Store, n: int) -> float:
    """Store n generated articles through the store's bulk writes; seconds taken."""
    started = time.perf_counter()
    sources = [
        SourceConfig(name=name, kind=kind, start_urls=(f"https://{name}.example/",))  # type: ignore[arg-type]
        for name, kind in SOURCES.items()
    ]
    with store.session() as s:
        source_ids = w.sync_sources(s, sources)
    articles = generate(n, source_ids)
    ids: list[int] = []
    rng = random.Random(SEED + 1)
    for start in range(0, n, BATCH):
        batch = articles[start : start + BATCH]
        with store.session() as s:
            stored = w.insert_articles(s, [g.row for g in batch])
            batch_ids = [stored[g.row["url_key"]] for g in batch]
            versions: list[w.NewVersion] = []
            for article_id, g in zip(batch_ids, batch, strict=True):
                for number, body in enumerate(g.texts, start=1):
                    fetched = g.row["first_seen"] + timedelta(days=number - 1)
                    versions.append(
                        {
                            "article_id": article_id,
                            "number": number,
                            "fetched_at": fetched,
                            "title": g.row["title"],
                            "text": body,
                            "content_hash": f"{hash(body) & (2**64 - 1):016x}",
                            "signature": _signature(body),
                        }
                    )
            version_ids = w.insert_versions(s, versions)
            store.search_index.index_many(
                s, [(i, g.row["title"], g.texts[-1]) for i, g in zip(batch_ids, batch, strict=True)]
            )
            for article_id, g in zip(batch_ids, batch, strict=True):
                if g.copy_of is not None:
                    original_id = (
                        ids[g.copy_of] if g.copy_of < len(ids) else batch_ids[g.copy_of - start]
                    )
                    _join(s, original_id, article_id, g.row["first_seen"])
            mentions: list[w.NewMention] = []
            for article_id, g in zip(batch_ids, batch, strict=True):
                if g.mention is None:
                    continue
                metric, value = g.mention
                number = len(g.texts)
                said = f"{value:,}"
                mentions.append(
                    {
                        "version_id": version_ids[(article_id, number)],
                        "article_id": article_id,
                        "subject": "HKSTP",
                        "metric": metric,
                        "value": Decimal(value),
                        "qualifier": "exact",
                        "low": None,
                        "high": None,
                        "unit": "count",
                        "text": said,
                        "start": 0,
                        "end": len(said),
                        "sentence": g.texts[-1].split("\n")[0][:200],
                        "as_of": g.row["published"] or g.row["first_seen"].date(),
                        "current": True,
                    }
                )
            added = w.add_mentions(s, mentions)
            flagged = [m for m in added if rng.random() < FLAGGED]
            flags = w.add_flags(
                s,
                [
                    (
                        m.id,
                        rng.choice(["changed", "changed", "new", "conflict", "outdated"]),
                        {"previous_id": None, "delta": None, "percent": None, "revision": None},
                    )
                    for m in flagged
                ],
                created=max(g.row["last_seen"] for g in batch),
            )
            for flag in flags:  # most flags get reviewed; a queue stays open
                if rng.random() < 0.8:
                    w.review_flag(s, flag, "accepted", "bench", None, flag.created)
        ids.extend(batch_ids)
    return time.perf_counter() - started


def _join(session: object, original_id: int, copy_id: int, created: datetime) -> None:
    from store import queries as q

    original = q.article_by_id(session, original_id)  # type: ignore[arg-type]
    cluster_id = original.cluster_id or w.new_cluster(session, created)  # type: ignore[arg-type]
    w.join_cluster(session, [original_id, copy_id], cluster_id)  # type: ignore[arg-type]
    w.name_truth(session, cluster_id, original_id)  # type: ignore[arg-type]


# -- keeping the grown stores ----------------------------------------------------------------
def sqlite_store(keep: Path, n: int, rebuild: bool) -> tuple[str, float | None]:
    """The SQLite store of n articles under `keep` (grown if missing); its URL, build seconds."""
    path = keep / f"store_scale-{n}-g{GENERATOR}.db"
    if rebuild:
        for extra in ("", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    if path.exists():
        return url, None
    building = path.with_suffix(".building.db")
    building.unlink(missing_ok=True)
    store = Store(f"sqlite:///{building}")
    seconds = grow(store, n)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    building.rename(path)
    return url, seconds


class KeptCluster:
    """A PostgreSQL cluster in a folder that outlives the run (tests/pg.py's helpers)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bindir = pg._bindir()
        self.port = pg._free_port()
        data = folder / "data"
        if not data.exists():
            folder.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres", "postgres")
            pg._run(
                self.bindir / "initdb",
                "-D",
                str(data),
                "-U",
                pg.SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {folder} -c max_connections=100 "
            "-c shared_buffers=256MB -c synchronous_commit=off"
        )
        log = folder / "log"
        pg._run(
            self.bindir / "pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start"
        )
        self.cluster = pg.Cluster(folder, self.port, self.bindir)

    def stop(self) -> None:
        pg._run(self.bindir / "pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "stop")


def postgres_store(cluster: KeptCluster, n: int, rebuild: bool) -> tuple[str, float | None]:
    name = f"store_scale_{n}_g{GENERATOR}"
    exists = cluster.cluster.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if exists and rebuild:
        cluster.cluster.psql(f'DROP DATABASE "{name}"')
        exists = ""
    url = cluster.cluster.url(name)
    if exists:
        return url, None
    building = f"{name}_building"
    cluster.cluster.psql(f'DROP DATABASE IF EXISTS "{building}"')
    cluster.cluster.psql(f'CREATE DATABASE "{building}"')
    store = Store(cluster.cluster.url(building))
    seconds = grow(store, n)
    store.close()
    cluster.cluster.psql("VACUUM ANALYZE", building)
    cluster.cluster.psql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return url, seconds


def size_per_article(url: str, n: int, cluster: KeptCluster | None) -> dict[str, float]:
    """Bytes per article: the whole store, and its biggest parts."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        import sqlite3

        with sqlite3.connect(path) as connection:
            try:
                parts = dict(
                    connection.execute(
                        "SELECT CASE WHEN name LIKE 'article_fts%' THEN 'fts' "
                        "WHEN name LIKE '%version%' THEN 'article_version' "
                        "WHEN name LIKE '%article%' THEN 'article' ELSE 'other' END, "
                        "sum(pgsize) FROM dbstat GROUP BY 1"
                    ).fetchall()
                )
            except sqlite3.OperationalError:  # built without the dbstat table
                parts = {}
        total = path.stat().st_size
    else:
        assert cluster is not None
        database = url.rsplit("/", 1)[1]
        total = int(cluster.cluster.psql("SELECT pg_database_size(current_database())", database))
        rows = cluster.cluster.psql(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relkind = 'r' AND relname IN ('article', 'article_version', 'article_search')",
            database,
        )
        parts = {line.split("|")[0]: int(line.split("|")[1]) for line in rows.splitlines()}
    return {"total": total / n, **{k: v / n for k, v in parts.items()}}


# -- the requests ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    kind: str  # listing, search-newest, search-relevance, flags, metric, page
    label: str
    path: str


def api(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}" if params else path


MIX = [
    Request("listing", "all", api("/api/articles")),
    Request("listing", "lang=zh", api("/api/articles", lang="zh")),
    Request("listing", "source=wire", api("/api/articles", source="wire")),
    Request("listing", "2019 H1", api("/api/articles", since="2019-01-01", until="2019-06-30")),
    Request(
        "listing",
        "blogs en 2024-",
        api("/api/articles", source="blogs", lang="en", since="2024-01-01"),
    ),
    Request("listing", "cluster", api("/api/articles", cluster="1")),
    Request("search-newest", "HKSTP", api("/api/articles", q="HKSTP")),
    Request("search-newest", "Science Park", api("/api/articles", q="Science Park")),
    Request("search-newest", "zeolite", api("/api/articles", q="zeolite")),
    Request("search-newest", "科學園", api("/api/articles", q="科學園")),
    Request("search-newest", "初創企業", api("/api/articles", q="初創企業")),
    Request("search-newest", "perovskite en", api("/api/articles", q="perovskite", lang="en")),
    Request(
        "search-newest",
        "HKSTP wire 2024-",
        api("/api/articles", q="HKSTP", source="wire", since="2024-01-01"),
    ),
    Request("search-newest", "robotics Shenzhen", api("/api/articles", q="robotics Shenzhen")),
    Request("search-relevance", "HKSTP", api("/api/articles", q="HKSTP", order="relevance")),
    Request("search-relevance", "科學園", api("/api/articles", q="科學園", order="relevance")),
    Request("search-relevance", "zeolite", api("/api/articles", q="zeolite", order="relevance")),
    Request(
        "search-relevance",
        "Science Park",
        api("/api/articles", q="Science Park", order="relevance"),
    ),
    Request("flags", "open queue", api("/api/flags", state="open")),
    Request("metric", "companies", "/api/figures/companies"),
    Request("page", "/articles", "/articles"),
    Request("page", "/articles?q=HKSTP", api("/articles", q="HKSTP")),
]

CLI_MIX = [
    ("listing", ["articles"]),
    ("listing", ["articles", "--lang", "zh", "--source", "wire"]),
    ("search-newest", ["search", "HKSTP"]),
    ("search-newest", ["search", "科學園"]),
    ("search-relevance", ["search", "HKSTP", "--order", "relevance"]),
    ("flags", ["flags", "--open"]),
    ("metric", ["figures", "history", "companies"]),
]


@dataclass
class Timings:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for kind, values in sorted(self.seconds.items()):
            ms = sorted(v * 1000 for v in values)
            out[kind] = {
                "n": len(ms),
                "p50": round(statistics.median(ms), 1),
                "p95": round(ms[max(0, round(0.95 * len(ms)) - 1)], 1),
                "max": round(ms[-1], 1),
                "errors": len(self.errors.get(kind, [])),
            }
        return out


class Server:
    """`pressmon serve` on a free port, over one store."""

    def __init__(self, url: str, workers: int, threads: int | None = None) -> None:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "pressmon", "serve", "--port", "0", "--db", url),
                *("--workers", str(workers)),
                *(("--threads", str(threads)) if threads else ()),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PRESSMON_CONFIG": str(ROOT / "config.yaml")},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "http://" not in line:
            self.process.kill()
            raise RuntimeError(f"pressmon serve did not start: {line}{self.process.stderr.read()}")
        self.port = int(line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes, str | None]:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    return response.status, body, response.getheader("Link")


def _client(port: int, requests: list[Request], timings: Timings, lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for request in requests:
        started = time.perf_counter()
        try:
            status, body, _link = _get(connection, request.path)
            error = None if status == 200 else f"{request.path}: HTTP {status} {body[:200]!r}"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{request.path}: {exc}"
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        took = time.perf_counter() - started
        with lock:
            timings.seconds[request.kind].append(took)
            if error:
                timings.errors[request.kind].append(error)
    connection.close()


def _with_next_page(port: int) -> list[Request]:
    """The mix plus the second page of the first listing, by its next link."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    _status, _body, link = _get(connection, "/api/articles")
    connection.close()
    mix = list(MIX)
    if link and 'rel="next"' in link:
        mix.append(Request("listing", "page 2", link.split("<", 1)[1].split(">", 1)[0]))
    return mix


def measure_api(
    url: str, rounds: int, workers: int, threads: int | None
) -> dict[str, dict[str, dict[str, float]]]:
    server = Server(url, workers, threads)
    try:
        mix = _with_next_page(server.port)
        lock = threading.Lock()
        warm = Timings()
        for _ in range(8):  # first touches (caches, pools) in every worker: each connection
            _client(server.port, mix, warm, lock)  # goes to a worker the kernel picks
        one = Timings()
        for _ in range(rounds):
            _client(server.port, mix, one, lock)
        many = Timings()
        rng = random.Random(SEED)
        threads = []
        for _ in range(16):
            order = mix * max(1, rounds // 2)
            rng.shuffle(order)
            threads.append(threading.Thread(target=_client, args=(server.port, order, many, lock)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for timings in (one, many):
            for kind, errors in timings.errors.items():
                for error in errors[:3]:
                    print(f"  error ({kind}): {error}")
        return {"1 client": one.summary(), "16 clients": many.summary()}
    finally:
        server.stop()


def measure_cli(url: str, rounds: int) -> dict[str, dict[str, float]]:
    """Each CLI command as a user runs it: a process of its own (startup included)."""
    timings = Timings()
    env = {**os.environ, "PRESSMON_CONFIG": str(ROOT / "config.yaml"), "PRESSMON_DB": url}
    for _ in range(rounds):
        for kind, args in CLI_MIX:
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "pressmon", *args, "--json"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            timings.seconds[kind].append(time.perf_counter() - started)
            if result.returncode != 0:
                timings.errors[kind].append(f"{' '.join(args)}: {result.stderr.strip()[-300:]}")
    for kind, errors in timings.errors.items():
        print(f"  error ({kind}): {errors[0]}")
    return timings.summary()


def _print(backend: str, figures: dict[str, object]) -> None:
    print(
        f"\n== {backend}: {figures['articles']:,} articles, {figures['workers']} server workers"
        f" ({figures['threads'] or 'web.threads'} threads each) =="
    )
    if figures.get("build_seconds") is not None:
        print(f"grown in {figures['build_seconds']:.0f} s")
    size = figures["bytes_per_article"]
    assert isinstance(size, dict)
    parts = ", ".join(f"{k} {v / 1024:.2f}" for k, v in size.items() if k != "total")
    print(f"store size: {size['total'] / 1024:.2f} KB per article ({parts})")
    for where, table in (("API", figures["api"]), ("CLI", {"1 client": figures["cli"]})):
        assert isinstance(table, dict)
        for clients, rows in table.items():
            print(f"{where}, {clients}:  (ms)        n     p50     p95     max  errors")
            for kind, row in rows.items():
                print(
                    f"  {kind:<20} {row['n']:>5} {row['p50']:>7} {row['p95']:>7} "
                    f"{row['max']:>7} {row['errors']:>7}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--rebuild", action="store_true", help="grow the stores afresh")
    parser.add_argument("--rounds", type=int, default=5, help="times the API mix runs at 1 client")
    parser.add_argument("--cli-rounds", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="pressmon serve --workers"
    )
    parser.add_argument(
        "--threads", type=int, help="pressmon serve --threads (default: web.threads)"
    )
    parser.add_argument("--build-only", action="store_true", help="grow stores, measure nothing")
    args = parser.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, object] = {}
    for backend in backends:
        cluster = None
        try:
            if backend == "sqlite":
                url, seconds = sqlite_store(args.keep, args.articles, args.rebuild)
            else:
                cluster = KeptCluster(args.keep / "pg")
                url, seconds = postgres_store(cluster, args.articles, args.rebuild)
            if args.build_only:
                print(f"{backend}: {url} ({seconds if seconds is None else round(seconds)} s)")
                continue
            figures: dict[str, object] = {
                "articles": args.articles,
                "build_seconds": seconds,
                "bytes_per_article": size_per_article(url, args.articles, cluster),
                "workers": args.workers,
                "threads": args.threads,
                "api": measure_api(url, args.rounds, args.workers, args.threads),
                "cli": measure_cli(url, args.cli_rounds),
            }
        finally:
            if cluster is not None:
                cluster.stop()
        _print(backend, figures)
        results[backend] = figures
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
