"""The store's errors: what goes wrong opening or writing the database.

Bottom of the flow, so every stage may catch these without reaching up to the shell.
"""


class StoreError(Exception):
    """The article store cannot be opened or written; the message names the database."""


class LeaseHeld(StoreError):
    """Another live process holds the lease (a source's crawl, the scheduler); names the holder.

    `run_ids`: the crawl runs that did happen beside the refused ones.
    """

    def __init__(self, message: str, run_ids: list[int] | None = None) -> None:
        super().__init__(message)
        self.run_ids = run_ids or []
