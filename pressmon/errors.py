"""Every error pressmon raises on purpose, and the ones the CLI reports as one line.

Each stage owns its errors, beside its code, so no stage imports the shell; the
shell adds its own two and re-exports the rest:

    shell (pressmon)
    ├── PressmonError             base of the shell's own errors
    │   ├── ConfigError           config.yaml missing, unreadable or invalid
    │   └── InputError            a user-supplied file or argument is unusable
    store     StoreError          the database is locked, gone or refusing a write
    crawler   CleaningError       a page could not be turned into text
              FetchError          a response was unusable (empty, oversized, wrong type)
              FrontierError       the shared frontier (Redis) is unset or unreachable
    figures   CatalogueError      the metric catalogue in config.yaml is wrong
              RecordError         mentions the record cannot compare
    digest    ChannelError        a delivery channel lacks what it needs to send
    scheduler ScheduleError       a job's schedule is not a valid trigger
    web       AccessError         serving off loopback without an access token

`EXPECTED` is the tuple the CLI turns into a single line on stderr and a non-zero
exit; nothing expected ever reaches the user as a traceback.
"""

from crawler.errors import CleaningError, FetchError, FrontierError
from digest.errors import ChannelError
from figures.errors import CatalogueError, RecordError
from scheduler.errors import ScheduleError
from store.errors import StoreError
from web.errors import AccessError

__all__ = [
    "EXPECTED",
    "AccessError",
    "CatalogueError",
    "ChannelError",
    "CleaningError",
    "ConfigError",
    "FetchError",
    "FrontierError",
    "InputError",
    "PressmonError",
    "RecordError",
    "ScheduleError",
    "StoreError",
]


class PressmonError(Exception):
    """Base class of the shell's own errors: the message is one line a user can act on."""


class ConfigError(PressmonError):
    """config.yaml is missing or a key in it is wrong."""


class InputError(PressmonError):
    """A file or argument given on the command line is unusable."""


EXPECTED: tuple[type[Exception], ...] = (
    PressmonError,
    StoreError,
    CleaningError,
    FetchError,
    FrontierError,
    CatalogueError,
    RecordError,
    ChannelError,
    ScheduleError,
    AccessError,
)
