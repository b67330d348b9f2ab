"""The fixed store behind the digest golden files, built the same way every time.

Each text in articles/ is ingested through the crawl's own path
(`pressmon.ingest.ingest_file`) with a fixed URL and publication date; then the
clock times that ingestion wrote are set to fixed ones, so no real time reaches
a digest. Used by tests/test_digest.py and scripts/regenerate_digest_golden.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import update

from digest.content import Period
from pressmon.config import Config, load_config
from pressmon.ingest import ingest_file
from samplesite import sample_config
from store import Store
from store.clock import now
from store.models import Article, ArticleVersion, Cluster, Flag

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles"
BASE = "http://127.0.0.1:8765"  # the sample config's own-site prefix is BASE/hkstp/
WATCHED = "HKSTP"

# (file, url, published, when it was "fetched"): one before the period, the rest in it.
INGESTS = [
    ("record-year.txt", f"{BASE}/hkstp/news/2023/record-year/", "2023-06-01", "2024-07-01T08:00"),
    ("new-members.txt", f"{BASE}/hkstp/news/2024/new-members/", "2024-07-18", "2024-07-18T09:00"),
    (
        "new-members-wire.txt",
        "https://wire.example.com/2024/07/hkstp-new-members.html",
        "2024-07-18",
        "2024-07-18T10:30",
    ),
    (
        "morning-at-the-park.txt",
        "https://blog.example.org/morning-at-the-park",
        "2024-07-19",
        "2024-07-19T09:00",
    ),
    (
        "founders-gather.txt",
        "https://news.example.com/founders-gather",
        "2024-07-19",
        "2024-07-19T12:00",
    ),
    (
        "hkstp-figures-zh.txt",
        "https://news.example.hk/2024/07/hkstp-figures",
        "2024-07-20",
        "2024-07-20T09:00",
    ),
    (
        "record-year-revised.txt",
        f"{BASE}/hkstp/news/2023/record-year/",
        "2023-06-01",
        "2024-07-21T09:00",
    ),
]
PERIOD = Period(start=datetime(2024, 7, 15), end=datetime(2024, 7, 22))


def write_config(path: Path, **digest: object) -> Path:
    """The sample config (own site BASE/hkstp/) with a `digest:` section."""
    import yaml

    data = yaml.safe_load(sample_config(BASE))
    data["digest"] = digest
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def build_store(db_url: str, config: Config) -> Store:
    """Ingest INGESTS in order, each stamped with its fixed time."""
    store = Store(db_url)
    for name, url, published, stamp in INGESTS:
        started = now()
        ingest_file(
            store,
            config,
            ARTICLES / name,
            url=url,
            published=date.fromisoformat(published),
        )
        _pin_times(store, started, datetime.fromisoformat(stamp))
    return store


def _pin_times(store: Store, since: datetime, fixed: datetime) -> None:
    """Every clock time written at or after `since` becomes `fixed`."""
    columns = [
        (Article, Article.first_seen),
        (Article, Article.last_seen),
        (ArticleVersion, ArticleVersion.fetched_at),
        (Flag, Flag.created),
        (Cluster, Cluster.created),
    ]
    with store.session() as session:
        for model, column in columns:
            session.execute(update(model).where(column >= since).values({column.key: fixed}))


def golden_store(folder: Path, db_url: str | None = None) -> tuple[Store, Config]:
    """A fresh fixed store (at `db_url`, else a file in `folder`) and its config in `folder`.

    Built in a child process with a fixed PYTHONHASHSEED: the figures ledger
    creates a revision's flags in set order, so flag ids follow the hash seed.
    """
    config_path = write_config(folder / "config.yaml")
    db_url = db_url or f"sqlite:///{folder / 'golden.db'}"
    root = HERE.parents[1]
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": f"{root}{os.pathsep}{root / 'tests'}"}
    subprocess.run(
        [sys.executable, "-m", "digest_golden.fixture", str(config_path), db_url],
        env=env,
        check=True,
        timeout=120,
    )
    return Store(db_url), load_config(config_path)


if __name__ == "__main__":
    build_store(sys.argv[2], load_config(sys.argv[1])).close()
