"""`pressmon ingest`: a local file through the same path as a crawled page."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crawler.analysis import Analysis, analyse, analyse_page
from crawler.clean import CleanPage
from crawler.items import Fetched, Hints
from crawler.language import detect_language
from crawler.process import Outcome, PageProcessor, Tally
from figures.ledger import Ledger
from pressmon.config import Config
from pressmon.errors import InputError
from store import Store


@dataclass(frozen=True)
class Ingested:
    outcome: Outcome
    analysis: Analysis | None  # None when the file was unchanged and not looked at again
    tally: Tally


def ingest_file(
    store: Store,
    config: Config,
    path: Path,
    *,
    url: str | None = None,
    published: date | None = None,
    title: str | None = None,
) -> Ingested:
    """Clean (HTML) or read (.txt) a file, then relevance, dedupe, store, figures, flags."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    address = url or path.resolve().as_uri()
    fetched = Fetched(
        source="ingest",
        url=address,
        final_url=address,
        status=200,
        body=body,
        hints=Hints(title=title, published=published),
    )
    ledger = Ledger(config.watch.name, config.window_days)
    processor = PageProcessor(
        store, config.watch, {}, config.crawl.near_duplicate_threshold, ledger
    )
    tally = Tally()
    settled = processor.settle_unchanged(fetched)
    if settled is not None:
        return Ingested(settled, None, tally)
    if path.suffix.lower() == ".txt":
        analysis = analyse_page(
            text_page(body, path, title, published), config.watch, config.catalogue
        )
    else:
        analysis = analyse(fetched, config.watch, config.catalogue)
        if published is not None:  # the user's date wins over the page's
            analysis = dataclasses.replace(
                analysis, page=dataclasses.replace(analysis.page, date=published)
            )
    return Ingested(processor.record(fetched, analysis, tally), analysis, tally)


def text_page(body: bytes, path: Path, title: str | None, published: date | None) -> CleanPage:
    """A .txt file as clean text: UTF-8, its first line the title unless one is given."""
    try:
        text = body.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise InputError(f"{path}: a .txt file must be UTF-8 text") from None
    if not text:
        raise InputError(f"{path}: the file is empty")
    return CleanPage(
        title=title or text.splitlines()[0].strip(),
        text=text,
        date=published,
        author=None,
        sitename=None,
        language=detect_language(text),
        description=None,
    )
