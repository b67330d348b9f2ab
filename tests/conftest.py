"""Shared fixtures: the sample newsroom on 127.0.0.1, configs pointing at it, the CLI.

Crawls run `pressmon crawl` in a subprocess, exactly as users and the
scheduler run it (Scrapy's reactor cannot restart inside one process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from samplesite import SampleSite, sample_config
from store import Store

ROOT = Path(__file__).resolve().parents[1]
CLI_TIMEOUT = 180
# The backend every store of the suite lives on: `PRESSMON_TEST_DB=postgresql pytest`
# runs the whole suite on a private PostgreSQL cluster (tests/pg.py).
BACKEND = os.environ.get("PRESSMON_TEST_DB", "sqlite")


def database_url(folder: Path, name: str = "pressmon") -> str:
    """A fresh, empty store's URL: a file under `folder`, or a new PostgreSQL database."""
    if BACKEND == "sqlite":
        return f"sqlite:///{folder / name}.db"
    if BACKEND != "postgresql":
        raise RuntimeError(f"PRESSMON_TEST_DB={BACKEND!r}: expected sqlite or postgresql")
    from tests import pg

    return pg.new_database(name, template=pg.MIGRATED)


def copy_database(url: str, folder: Path, name: str) -> str:
    """A private copy of the store at `url` (which no one may hold open), as a new URL."""
    if url.startswith("sqlite:///"):
        import sqlite3

        target = folder / f"{name}.db"
        with (
            sqlite3.connect(url.removeprefix("sqlite:///")) as source,
            sqlite3.connect(target) as copy,
        ):
            source.backup(copy)  # the backup API copies a WAL database whole
        return f"sqlite:///{target}"
    from tests import pg

    return pg.new_database(name, template=url.rsplit("/", 1)[1])


sqlite_only = pytest.mark.skipif(
    BACKEND != "sqlite", reason="about SQLite itself (files, WAL, locks)"
)


@dataclass
class Cli:
    """Runs `pressmon` with a config and a database, like a user in a shell."""

    config: Path
    db_url: str
    cwd: Path

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PRESSMON_CONFIG": str(self.config),
            "PRESSMON_DB": self.db_url,
            "COLUMNS": "200",
        }
        result = subprocess.run(
            [sys.executable, "-m", "pressmon", *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"pressmon {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)

    def store(self) -> Store:
        return Store(self.db_url)


# What may differ between two stores fed the same pages: row ids, wall-clock times (the
# digest period too), and search snippets (FTS5 and ts_headline cut their windows apart).
VOLATILE = {
    "id",
    "first_seen",
    "last_seen",
    "created",
    "fetched_at",
    "previous_id",
    "digest_id",
    "snippet",
    "period",
}


def stable(value: Any) -> Any:
    """`value` without what may differ between two stores fed the same pages."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def by_url(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """JSON records of a listing, stable and in an order that does not depend on ids."""
    return sorted((stable(r) for r in records), key=lambda r: (r.get("url"), r.get("metric")))


def crawl_both_editions(site: SampleSite, clis: Sequence[Cli]) -> list[dict[str, Any]]:
    """Crawl edition 1 of the running newsroom into each store, then edition 2; what each
    store then holds: its articles and flags, stable."""
    for edition in (1, 2):
        site.edition = edition
        for cli in clis:
            cli("crawl")
    return [
        {
            "articles": by_url(cli.json("articles", "--limit", "1000")),
            "flags": by_url(cli.json("flags")),
        }
        for cli in clis
    ]


def write_config(path: Path, base_url: str, **crawl: Any) -> Path:
    """The sample config for a running site, with crawl settings a test needs."""
    data = yaml.safe_load(sample_config(base_url))
    data["crawl"] = {
        **data.get("crawl", {}),
        "clean_workers": 0,
        "autothrottle": False,
        "download_delay": 0,
        **crawl,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def crawl_sample(tmp: Path, editions: tuple[int, ...] = (1, 2)) -> Cli:
    """A store holding crawls of the sample newsroom's editions, in order, under `tmp`."""
    with SampleSite() as running:
        cli = Cli(write_config(tmp / "config.yaml", running.base_url), database_url(tmp, "p"), tmp)
        for edition in editions:
            running.edition = edition
            cli("crawl")
    return cli


@pytest.fixture
def site() -> Iterator[SampleSite]:
    with SampleSite(edition=1) as running:
        yield running


@pytest.fixture
def cli(site: SampleSite, tmp_path: Path) -> Cli:
    config = write_config(tmp_path / "config.yaml", site.base_url)
    return Cli(config=config, db_url=database_url(tmp_path), cwd=tmp_path)


def crawl_runs(cli: Cli) -> dict[str, dict[str, Any]]:
    """The latest crawl run of each source, as plain dicts."""
    from store import queries as q

    store = cli.store()
    with store.session() as session:
        runs = {}
        for run in reversed(q.last_runs(session, 100)):
            runs[run.source] = {
                "status": run.status,
                "pages": run.pages,
                "new": run.new,
                "revised": run.revised,
                "unchanged": run.unchanged,
                "skipped": run.skipped,
                "errors": run.errors,
                "items": run.items,
                "resolved": run.resolved,
                "headlines": run.headlines,
                "problems": [(p.url, p.reason) for p in run.problems],
                "skips": [(s.url, s.reason) for s in run.skips],
            }
    store.close()
    return runs
