"""What one crawl process shares between `run`, the spiders and the pipeline.

Kept apart from `crawler.run` so the spiders can name the context's type
without importing the module that starts them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from crawler.process import PageProcessor
from crawler.relevance import Watch
from crawler.settings import CrawlSettings
from crawler.urls import url_key
from figures.catalogue import Catalogue
from store import Store
from store.queries import KnownUrl

Progress = Callable[[str], None]


class KnownUrls(dict[str, KnownUrl]):
    """url_key -> what we know, for conditional requests and listing stops."""

    def get_url(self, url: str) -> KnownUrl | None:
        return self.get(url_key(url))


@dataclass
class CrawlContext:
    """Everything the spiders and the pipeline of one crawl process share."""

    store: Store
    watch: Watch
    settings: CrawlSettings
    processor: PageProcessor
    known: KnownUrls
    pool: Executor | None = None
    progress: Progress = lambda outcome: None
    catalogue: Catalogue | None = None  # None: no figures step
    fatal: Exception | None = None  # set when the store fails: the crawl stops
    # Starts the cleaning processes; called on the first page to clean, so a re-crawl
    # that meets only unchanged pages never pays for starting (and importing) them.
    start_pool: Callable[[], Executor | None] | None = None

    def cleaning_pool(self) -> Executor | None:
        """The worker pool that cleans pages, started now if not yet; None cleans inline."""
        if self.start_pool is not None:
            self.pool, self.start_pool = self.start_pool(), None
        return self.pool
