"""The same crawls give the same articles, flags and digest on SQLite and PostgreSQL.

Runs in the PostgreSQL pass of the suite (PRESSMON_TEST_DB=postgresql), which compares
a PostgreSQL store with an SQLite one fed the same crawls of the sample newsroom.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from samplesite import SampleSite
from tests.conftest import BACKEND, Cli, database_url, write_config

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="compares with PostgreSQL")

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


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _by_url(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((_stable(r) for r in records), key=lambda r: (r.get("url"), r.get("metric")))


def test_sqlite_and_postgresql_stores_agree(tmp_path: Path) -> None:
    urls = {"sqlite": f"sqlite:///{tmp_path / 'lite.db'}", "postgresql": database_url(tmp_path)}
    clis = {}
    with SampleSite(edition=1) as site:
        config = write_config(tmp_path / "config.yaml", site.base_url)
        clis = {name: Cli(config, url, tmp_path) for name, url in urls.items()}
        for edition in (1, 2):
            site.edition = edition
            for cli in clis.values():
                cli("crawl")
    seen = {
        name: {
            "articles": _by_url(cli.json("articles", "--limit", "1000")),
            "flags": _by_url(cli.json("flags")),
            "search": _by_url(cli.json("search", "科學園")),
            "digest": _stable(json.loads(cli("digest", "--format", "json").stdout)),
        }
        for name, cli in clis.items()
    }
    assert seen["sqlite"]["articles"] and seen["sqlite"]["flags"]
    for part in ("articles", "flags", "search", "digest"):
        assert seen["postgresql"][part] == seen["sqlite"][part], part
