"""What a cleaning worker does with a fetched page: clean it, judge it, find its figures.

Kept apart from `crawler.process` (the store's side), so the workers' fork server
imports only what analysing needs, not the store and SQLAlchemy.
"""

from __future__ import annotations

import dataclasses
import signal
from dataclasses import dataclass

from crawler.dedupe import content_hash, signature
from crawler.items import CleanPage, Fetched
from crawler.relevance import Relevance, Watch
from figures.catalogue import Catalogue
from figures.model import Mention


@dataclass(frozen=True)
class Analysis:
    """The pure result of looking at a page: picklable, so a worker can make it."""

    page: CleanPage
    relevance: Relevance
    text_hash: str
    signature: bytes
    mentions: tuple[Mention, ...] = ()  # as_of is set when the store knows the article's date


def analyse(fetched: Fetched, watch: Watch, catalogue: Catalogue | None = None) -> Analysis:
    """Clean a page or a PDF, judge it and, if relevant, find its figures; CleaningError if none.

    Runs in the cleaning workers: the crawl process never imports the cleaning code.
    """
    from crawler.clean import clean_document

    page = clean_document(
        fetched.body,
        url=fetched.final_url,
        content_type=fetched.content_type,
        fallback_date=fetched.hints.published,
        pdf_limits=fetched.limits,
    )
    if page.title is None and fetched.hints.title:
        page = dataclasses.replace(page, title=fetched.hints.title)
    return analyse_page(page, watch, catalogue)


def analyse_page(page: CleanPage, watch: Watch, catalogue: Catalogue | None = None) -> Analysis:
    """Judge clean text and, if relevant, find its figures (the part after cleaning)."""
    from figures.extract import extract

    relevance = watch.matcher.judge(page.title, page.text)
    mentions: tuple[Mention, ...] = ()
    if relevance.relevant and catalogue is not None:
        mentions = tuple(
            extract(
                page.text,
                language=page.language,
                published=None,
                catalogue=catalogue,
                subject=watch.name,
            )
        )
    return Analysis(page, relevance, content_hash(page.text), signature(page.text), mentions)


# What this cleaning worker judges pages by, set once when it starts (`start_worker`).
# Sent with every page, the catalogue was pickled and unpickled each time, and as a new
# object each time it missed the figure extractor's caches, which know it by identity.
_job: tuple[Watch, Catalogue | None] | None = None


def start_worker(watch: Watch, catalogue: Catalogue | None) -> None:
    """A cleaning worker's start: Ctrl-C is for the crawl process, which stops the workers;
    the fork server's imports live as long as the worker (`crawler.memory`)."""
    from crawler.memory import tune_memory

    global _job
    _job = (watch, catalogue)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_memory()


def analyse_in_worker(fetched: Fetched) -> Analysis:
    """`analyse` with the watch and catalogue this worker was started with."""
    if _job is None:
        raise RuntimeError("analyse_in_worker runs in a cleaning worker (crawler.pool)")
    return analyse(fetched, *_job)
