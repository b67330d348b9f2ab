"""The store's errors: what goes wrong opening or writing the database.

Bottom of the flow, so every stage may catch these without reaching up to the shell.

    StoreError              the database cannot be used as asked; the message names it
    ├── StoreMissing        no pressmon store there, and the command only reads one
    ├── StoreUnavailable    locked, gone, unreachable or full: nothing more can be kept
    ├── WriteRefused        this write was refused (a constraint, a trigger, bad data);
    │                       the next one may well succeed
    └── LeaseHeld           another live process holds the lease (a crawl, the scheduler)
"""


class StoreError(Exception):
    """The article store cannot be opened or written; the message names the database."""


class StoreMissing(StoreError):
    """No store at the URL (no SQLite file, or a database without pressmon's tables), and the
    command was asked only to read one: nothing is created, the message says how to make it."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or written at all: a crawl must stop."""


class WriteRefused(StoreError):
    """The database refused one write: a crawl counts the page as an error and goes on."""


class LeaseHeld(StoreError):
    """Another live process holds the lease (a source's crawl, the scheduler); names the holder.

    `run_ids`: the crawl runs that did happen beside the refused ones.
    """

    def __init__(self, message: str, run_ids: list[int] | None = None) -> None:
        super().__init__(message)
        self.run_ids = run_ids or []
