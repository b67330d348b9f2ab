"""Opening the store: engine, SQLite pragmas, migrations on first use, sessions.

`Store(url)` is all a caller needs; it upgrades the schema to the newest
Alembic revision, so a fresh file or an old one is ready to use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DisconnectionError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from store.errors import StoreError, StoreUnavailable, WriteRefused
from store.search import PostgresSearch, SearchIndex, SqliteSearch

MIGRATIONS = str(Path(__file__).with_name("migrations"))
BUSY_TIMEOUT_MS = 10_000
BACKENDS = ("sqlite", "postgresql")
POOL = {"pool_size": 8, "max_overflow": 32, "pool_timeout": 30}


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a migration that left a row pointing at nothing."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _fk = broken[0]
        raise StoreError(
            f"migration left {len(broken)} row(s) with a dangling reference, "
            f"first {table} row {rowid} -> {parent}; nothing was changed"
        )


def describe(exc: BaseException, url: str) -> str:
    """One line for a database failure, naming the database."""
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    if "locked" in reason:
        return f"database {url} is locked by another process (tried {BUSY_TIMEOUT_MS // 1000} s)"
    if "unable to open" in reason:
        return f"database {url} cannot be opened: {reason}"
    return f"database {url}: {reason}"


class Store:
    """The article store behind one database URL."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.name = url  # how messages name the database: never with its password
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError(f"not a database URL: {url!r}") from None
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
        self.name = parsed.render_as_string(hide_password=True)
        backend = parsed.get_backend_name()
        if backend not in BACKENDS:
            raise StoreError(
                f"database {self.name}: pressmon stores on SQLite or PostgreSQL, not {backend}"
            )
        self.is_sqlite = backend == "sqlite"
        if self.is_sqlite and parsed.database not in (None, "", ":memory:"):
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"database {self.name}: cannot create {folder}: {exc.strerror}"
                ) from None
        # A pool big enough that every request thread of the web app (anyio's 40) has its
        # own connection: a request waits for the database, never for another request.
        pooled = {} if self.is_sqlite and parsed.database in (None, "", ":memory:") else POOL
        try:
            self.engine: Engine = create_engine(parsed, **pooled)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StoreError(f"not a usable database URL: {self.name!r} ({exc})") from None
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"database {self.name}: its driver ({exc.name}) is not installed; "
                "for PostgreSQL: pip install 'pressmon[postgresql]'"
            ) from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.search_index: SearchIndex = SqliteSearch() if self.is_sqlite else PostgresSearch()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if upgrade:
            self.upgrade()

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` (Alembic)."""
        self._migrate(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        """Take the schema back down to `revision` (Alembic), keeping every row it can hold."""
        self._migrate(command.downgrade, revision)

    def _migrate(self, step: Callable[[AlembicConfig, str], None], revision: str) -> None:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", MIGRATIONS)
        try:
            with self.engine.connect() as connection:
                if self.is_sqlite:
                    # SQLite alters a table by rebuilding it: with foreign keys on, dropping
                    # the old table would cascade deletes into every table that refers to it.
                    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    connection.commit()  # no transaction is open yet, so the pragma holds
                try:
                    with connection.begin():
                        cfg.attributes["connection"] = connection
                        step(cfg, revision)
                        if self.is_sqlite:
                            _check_foreign_keys(connection)
                finally:
                    if self.is_sqlite:
                        connection.rollback()  # end whatever a failure left open
                        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                        connection.commit()
        except SQLAlchemyError as exc:
            raise StoreError(describe(exc, self.name)) from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except (OperationalError, InterfaceError, DisconnectionError) as exc:
            raise StoreUnavailable(describe(exc, self.name)) from exc
        except SQLAlchemyError as exc:
            # A constraint, a trigger, a value the column cannot hold: this write only.
            raise WriteRefused(describe(exc, self.name)) from exc
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()
