"""The crawler's errors: pages and responses that cannot be used.

A crawl counts each as an error of its page and goes on; `pressmon` turns one raised
to the top (say by `pressmon clean`) into a single line.
"""


class CleaningError(Exception):
    """A page yielded no usable text; the message names the page."""


class FetchError(Exception):
    """A response cannot be used as a page or a feed (empty, oversized, wrong type)."""


class FrontierError(Exception):
    """The shared frontier (Redis) is unreachable, unset or refusing a command."""
