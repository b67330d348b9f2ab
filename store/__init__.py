"""Store: the article store at the bottom of the flow (SQLAlchemy 2, Alembic).

Every stage above writes and reads through here; nothing here knows of Scrapy,
the CLI or the configuration file. `Store` is imported on first use, so a module
that only needs the store's errors or kinds does not load SQLAlchemy and Alembic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.database import Store

__all__ = ["Store"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from store.database import Store

        return Store
    raise AttributeError(f"module 'store' has no attribute {name!r}")
