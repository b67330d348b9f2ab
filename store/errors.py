"""The store's errors: what goes wrong opening or writing the database.

Bottom of the flow, so every stage may catch these without reaching up to the shell.
"""


class StoreError(Exception):
    """The article store cannot be opened or written; the message names the database."""
