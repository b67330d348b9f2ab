"""The schema the migrations build: the same as the models, closed vocabularies enforced,
and an upgrade over a populated store that loses nothing."""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from store import Store
from store.errors import WriteRefused
from store.models import Base, CrawlRun, Flag
from tests.conftest import crawl_sample, database_url

TABLES = (
    "source",
    "fetch_state",
    "cluster",
    "article",
    "article_version",
    "crawl_run",
    "crawl_error",
    "figure_mention",
    "flag",
    "flag_review",
    "digest",
    "delivery",
)


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if type_ == "index" and name in EXPRESSION_INDEXES:
        return False  # reflection cannot read an expression back: compared on their own below
    return not (
        type_ == "table"
        and (name or "").startswith(("article_fts", "article_search", "apscheduler_"))
    )


DAY_ID = ("coalesce", "published", "date", "first_seen", "id")
EXPRESSION_INDEXES = {
    "ix_article_day_id": DAY_ID,
    "ix_article_language_day_id": ("language", *DAY_ID),
    "ix_article_source_day_id": ("source_id", *DAY_ID),
}


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }


def test_the_migrated_schema_is_the_models(tmp_path: Path) -> None:
    store = Store(database_url(tmp_path))
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _ours, "compare_type": True}
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
            assert compare_metadata(context, Base.metadata) == []
    store.close()


def _index_sql(store: Store, name: str) -> str:
    query = (
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        if store.is_sqlite
        else "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    )
    with store.engine.connect() as connection:
        return str(connection.execute(text(query), {"name": name}).scalar_one()).lower()


def test_expression_indexes_are_the_models(tmp_path: Path) -> None:
    store = Store(database_url(tmp_path))
    for index in Base.metadata.tables["article"].indexes:
        if index.name in EXPRESSION_INDEXES:
            built = _index_sql(store, index.name)
            wanted = EXPRESSION_INDEXES[index.name]
            assert [w for w in re.findall(r"[a-z_]+", built) if w in wanted] == list(wanted), built
    assert {i.name for i in Base.metadata.tables["article"].indexes} >= set(EXPRESSION_INDEXES)
    store.close()


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Flag, {"mention_id": 1, "kind": "changes", "created": datetime(2024, 1, 1)}),
        (Flag, {"mention_id": 1, "kind": "new", "state": "Open", "created": datetime(2024, 1, 1)}),
        (CrawlRun, {"source": "newsroom", "started": datetime(2024, 1, 1), "status": "done"}),
    ],
)
def test_a_misspelt_state_or_kind_is_refused_at_the_write(
    tmp_path: Path, model: type[Base], values: dict[str, object]
) -> None:
    store = Store(database_url(tmp_path))
    with pytest.raises(WriteRefused, match=r"(?i)check constraint"), store.session() as s:
        s.add(model(**values))
        s.flush()
    store.close()


def test_migrating_a_populated_store_down_and_up_keeps_every_row(tmp_path: Path) -> None:
    cli = crawl_sample(tmp_path, editions=(1, 2))
    flags = cli.json("flags")
    assert flags, "the sample newsroom raises flags"
    cli("flags", "accept", str(flags[0]["id"]), "--note", "checked")
    store = Store(cli.db_url, upgrade=False)
    before = counts(store)
    assert before["flag_review"] == 1 and before["article_version"] > before["article"] > 0

    store.downgrade("0004")
    assert counts(store) == before
    store.upgrade()
    assert counts(store) == before
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Flag).where(Flag.state == "accepted"))
    if store.is_sqlite:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    store.close()


def test_the_head_a_store_checks_against_is_the_newest_migration(tmp_path: Path) -> None:
    """An up-to-date store skips Alembic on opening (start-up), so store.database.HEAD must
    name the newest migration: a new migration that forgets it would never be applied."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from store.database import HEAD, MIGRATIONS

    config = AlembicConfig()
    config.set_main_option("script_location", MIGRATIONS)
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD
    store = Store(database_url(tmp_path))
    try:
        assert store.revision() == HEAD
    finally:
        store.close()
