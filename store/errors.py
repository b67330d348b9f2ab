"""The store's errors: what goes wrong opening or writing the database.

Bottom of the flow, so every stage may catch these without reaching up to the shell.

    StoreError              the database cannot be used as asked; the message names it
    ├── StoreUnavailable    locked, gone, unreachable or full: nothing more can be kept
    └── WriteRefused        this write was refused (a constraint, a trigger, bad data);
                            the next one may well succeed
"""


class StoreError(Exception):
    """The article store cannot be opened or written; the message names the database."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or written at all: a crawl must stop."""


class WriteRefused(StoreError):
    """The database refused one write: a crawl counts the page as an error and goes on."""
