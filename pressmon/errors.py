"""Every error pressmon raises on purpose, so callers catch one family.

    PressmonError                 anything pressmon reports as one line
    ├── ConfigError               config.yaml missing, unreadable or invalid
    ├── StoreError                the database is locked, gone or unusable
    ├── CleaningError             a page could not be turned into text
    ├── FetchError                a response was unusable (empty, oversized, wrong type)
    └── InputError                a user-supplied file or argument is unusable

The CLI turns each into a single line on stderr and a non-zero exit; nothing
expected ever reaches the user as a traceback.
"""


class PressmonError(Exception):
    """Base class: the message is one line a user can act on."""


class ConfigError(PressmonError):
    """config.yaml is missing or a key in it is wrong."""


class StoreError(PressmonError):
    """The article store cannot be opened or written."""


class CleaningError(PressmonError):
    """A page yielded no usable text."""


class FetchError(PressmonError):
    """A response cannot be used as a page or a feed."""


class InputError(PressmonError):
    """A file or argument given on the command line is unusable."""
