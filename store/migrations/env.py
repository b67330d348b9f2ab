"""Alembic environment: runs on the connection the Store hands over."""

from alembic import context

from store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the Store always passes one
    raise RuntimeError("run migrations through store.Store(url).upgrade()")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the full-text index (store/search.py) and APScheduler's own job table out."""
    return not (
        type_ == "table"
        and (name or "").startswith(("article_fts", "article_search", "apscheduler_"))
    )


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
