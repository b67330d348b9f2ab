"""Store: the article store at the bottom of the flow (SQLAlchemy 2, Alembic).

Every stage above writes and reads through here; nothing here knows of Scrapy,
the CLI or the configuration file.
"""

from store.database import Store

__all__ = ["Store"]
