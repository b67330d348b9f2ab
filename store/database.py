"""Opening the store: engine, SQLite pragmas, migrations on first use, sessions.

`Store(url)` is all a caller needs; it upgrades the schema to the newest
Alembic revision, so a fresh file or an old one is ready to use. Several processes
opening one fresh store at once (crawl workers) migrate it one at a time: the first
under a lock creates the tables, the others then find them at the newest revision.
`Store(url, create=False)` is for commands that only read: a store that does not
exist yet is a `StoreMissing` error naming it, and nothing is created.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
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

from store.errors import StoreError, StoreMissing, StoreUnavailable, WriteRefused
from store.search import PostgresSearch, SearchIndex, SqliteSearch

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = str(Path(__file__).with_name("migrations"))
BUSY_TIMEOUT_MS = 10_000
BACKENDS = ("sqlite", "postgresql")
MAKE_ONE = "make one with `pressmon crawl`, `pressmon db upgrade` or `pressmon demo`"
SCHEMA_MARK = "alembic_version"  # the table every migrated pressmon store has
# The newest migration's revision; tests/test_schema.py checks it against the scripts.
HEAD = "0011"
POOL = {"pool_size": 8, "max_overflow": 32, "pool_timeout": 30}
MIGRATION_WAIT = 600  # seconds a process waits for another one's migration to finish
# pg_advisory_xact_lock's key for migrations: any fixed number no other lock of the
# database uses (here, "pressmon" in ASCII, read as a big-endian integer).
MIGRATION_LOCK_KEY = int.from_bytes(b"pressmon", "big") & 0x7FFF_FFFF_FFFF_FFFF
# Prepared statements each SQLite connection keeps (Python's default is 128). A crawl's
# multi-row INSERTs differ in their number of rows: 128 of them held 14 MB of the crawl
# process, 32 still 5 MB; a command or a web request uses fewer than 16 statements.
SQLITE_STATEMENTS = 16


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _postgres_settings(dbapi_connection: object, _record: object) -> None:
    """No parallel plans: every read here walks an index to a page's limit, and starting a
    parallel worker took 6 ms of a 0.4 ms search (a Chinese phrase at 100,000 articles)."""
    with dbapi_connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    dbapi_connection.commit()  # type: ignore[attr-defined]  # kept when the pool rolls back


def _rolled_back(exc: SQLAlchemyError) -> bool:
    """Whether PostgreSQL rolled the transaction back to let another one through (SQLSTATE
    class 40: a deadlock, a serialization failure): that write was refused, and the same
    write made again, alone, goes through; the database is as usable as before."""
    return str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "").startswith("40")


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


def _missing_driver(name: str, driver: str, exc: ImportError) -> str:
    """One line for a database driver that cannot be imported, saying what to install."""
    if driver == "psycopg":
        why = "is not installed" if isinstance(exc, ModuleNotFoundError) else "cannot load"
        return (
            f"database {name}: its driver, psycopg, {why} ({str(exc).splitlines()[0]}); "
            "install it with: pip install 'pressmon[postgresql]'"
        )
    return (
        f"database {name}: its driver ({driver}) cannot be imported; pressmon uses psycopg 3 "
        "(write postgresql://…) and installs it with: pip install 'pressmon[postgresql]'"
    )


def anchored_url(url: str, folder: Path) -> str:
    """`url` with a relative SQLite path made relative to `folder`; any other URL (a server,
    an absolute path, memory, one that does not parse) as it was."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # Store names the bad URL when a command opens it
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return url
    if Path(path).is_absolute() or path.startswith("file:"):
        return url
    return parsed.set(database=str((folder / path).absolute())).render_as_string(
        hide_password=False
    )


class Store:
    """The article store behind one database URL."""

    def __init__(self, url: str, *, upgrade: bool = True, create: bool = True) -> None:
        """Open the store at `url`. With `create` false, a store that does not exist yet
        (no SQLite file or folder; no pressmon tables) raises StoreMissing, creating nothing."""
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
        self._migration_lock: Path | None = None  # a SQLite file's lock file, beside it
        if self.is_sqlite and parsed.database not in (None, "", ":memory:"):
            path = Path(parsed.database)
            self._migration_lock = path.with_name(path.name + ".migrate-lock")
            if not create and not path.is_file():
                raise StoreMissing(f"no pressmon store at {path.absolute()}: {MAKE_ONE}")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"database {self.name}: cannot create {path.parent}: {exc.strerror}"
                ) from None
        # A pool big enough that every request thread of the web app (anyio's 40) has its
        # own connection: a request waits for the database, never for another request.
        pooled = {} if self.is_sqlite and parsed.database in (None, "", ":memory:") else POOL
        options = (
            {"connect_args": {"cached_statements": SQLITE_STATEMENTS}} if self.is_sqlite else {}
        )
        try:
            self.engine: Engine = create_engine(parsed, **pooled, **options)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StoreError(f"not a usable database URL: {self.name!r} ({exc})") from None
        except ImportError as exc:  # not installed, or installed without its C library
            raise StoreError(_missing_driver(self.name, parsed.get_driver_name(), exc)) from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            event.listen(self.engine, "connect", _postgres_settings)
        self.search_index: SearchIndex = SqliteSearch() if self.is_sqlite else PostgresSearch()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if not create and not self.exists():
            self.engine.dispose()
            where = Path(parsed.database or "").absolute() if self.is_sqlite else self.name
            raise StoreMissing(f"database {where} has no pressmon tables: {MAKE_ONE}")
        if upgrade:
            self.upgrade()

    def exists(self) -> bool:
        """Whether pressmon's migrations ever ran here (its `alembic_version` table)."""
        try:
            with self.engine.connect() as connection:
                return inspect(connection).has_table(SCHEMA_MARK)
        except SQLAlchemyError as exc:
            raise StoreError(describe(exc, self.name)) from exc

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` (Alembic).

        A store already at HEAD is told by one query, without loading Alembic and its
        scripts: that was most of a reading command's start-up (`benchmarks/startup.py`)."""
        if revision == "head" and self.revision() == HEAD:
            return
        from alembic import command

        self._migrate(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        """Take the schema back down to `revision` (Alembic), keeping every row it can hold."""
        from alembic import command

        self._migrate(command.downgrade, revision)

    def _file_lock(self) -> AbstractContextManager[object]:
        """On a SQLite file, an exclusive lock on a file beside it, held while migrating.

        SQLite's own locks do not cover a migration: DDL does not open a transaction in
        Python's sqlite3, so two processes would both see no tables and both create them.
        """
        if self._migration_lock is None:
            return nullcontext()
        return FileLock(self._migration_lock, timeout=MIGRATION_WAIT)

    def revision(self) -> str | None:
        """The schema's migration revision; None for a store not migrated yet."""
        if not self.exists():
            return None
        try:
            with self.engine.connect() as connection:
                return connection.execute(text(f"SELECT version_num FROM {SCHEMA_MARK}")).scalar()
        except SQLAlchemyError as exc:
            raise StoreError(describe(exc, self.name)) from exc

    def _migrate(self, step: Callable[[AlembicConfig, str], None], revision: str) -> None:
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", MIGRATIONS)
        try:
            # The revision is read after the lock is taken, so the second process to come
            # finds what the first one migrated and has nothing left to do.
            with self._file_lock(), self.engine.connect() as connection:
                if self.is_sqlite:
                    # SQLite alters a table by rebuilding it: with foreign keys on, dropping
                    # the old table would cascade deletes into every table that refers to it.
                    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    connection.commit()  # no transaction is open yet, so the pragma holds
                try:
                    with connection.begin():
                        if not self.is_sqlite:  # held until this transaction ends
                            connection.exec_driver_sql(
                                f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
                            )
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
        except Timeout:
            raise StoreError(
                f"database {self.name}: another process has been migrating it for "
                f"{MIGRATION_WAIT} s (lock file {self._migration_lock})"
            ) from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except (OperationalError, InterfaceError, DisconnectionError) as exc:
            if _rolled_back(exc):
                raise WriteRefused(describe(exc, self.name)) from exc
            raise StoreUnavailable(describe(exc, self.name)) from exc
        except SQLAlchemyError as exc:
            # A constraint, a trigger, a value the column cannot hold: this write only.
            raise WriteRefused(describe(exc, self.name)) from exc
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()
