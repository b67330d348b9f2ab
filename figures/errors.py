"""The figures stage's errors: a bad catalogue, or values the record cannot compare."""


class CatalogueError(ValueError):
    """The metric catalogue (config.yaml's `figures:`) is wrong; the message names the key."""


class RecordError(ValueError):
    """Mentions or parameters given to the record cannot be compared as they are."""
