"""The same crawls give the same articles, flags and digest on SQLite and PostgreSQL.

Runs in the PostgreSQL pass of the suite (PRESSMON_TEST_DB=postgresql), which compares
a PostgreSQL store with an SQLite one fed the same crawls of the sample newsroom.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from samplesite import SampleSite
from tests.conftest import (
    BACKEND,
    Cli,
    by_url,
    crawl_both_editions,
    database_url,
    stable,
    write_config,
)

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="compares with PostgreSQL")


def test_sqlite_and_postgresql_stores_agree(tmp_path: Path) -> None:
    urls = {"sqlite": f"sqlite:///{tmp_path / 'lite.db'}", "postgresql": database_url(tmp_path)}
    with SampleSite(edition=1) as site:
        config = write_config(tmp_path / "config.yaml", site.base_url)
        clis = {name: Cli(config, url, tmp_path) for name, url in urls.items()}
        stored = crawl_both_editions(site, list(clis.values()))
    seen = {
        name: held
        | {
            "search": by_url(cli.json("search", "科學園")),
            "digest": stable(json.loads(cli("digest", "--format", "json").stdout)),
        }
        for (name, cli), held in zip(clis.items(), stored, strict=True)
    }
    assert seen["sqlite"]["articles"] and seen["sqlite"]["flags"]
    for part in ("articles", "flags", "search", "digest"):
        assert seen["postgresql"][part] == seen["sqlite"][part], part
