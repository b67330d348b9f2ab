"""The date an article's figures speak for: its publication date, else the best evidence."""

from __future__ import annotations

from datetime import date, datetime

import feedparser

from crawler.spiders.feed import _entry_date, _entry_updated
from figures.ledger import as_of
from store.models import Article

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>A</title><link>http://127.0.0.1/a</link>
<pubDate>Tue, 19 Jul 2024 04:00:00 GMT</pubDate></item></channel></rss>"""
ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>
<entry><title>B</title><link href="http://127.0.0.1/b"/><updated>2024-03-01T09:00:00Z</updated>
</entry></feed>"""


def test_an_rss_item_has_a_publication_date_and_no_separate_update() -> None:
    """feedparser would answer `updated` with the publication date (and a deprecation
    warning, an error under pytest): an RSS item states no modification date."""
    entry = feedparser.parse(RSS).entries[0]
    assert (_entry_date(entry), _entry_updated(entry)) == (date(2024, 7, 19), None)


def test_an_atom_entry_updated_is_evidence_not_a_publication_date() -> None:
    entry = feedparser.parse(ATOM).entries[0]
    assert (_entry_date(entry), _entry_updated(entry)) == (None, date(2024, 3, 1))


def _article(published: date | None) -> Article:
    seen = datetime(2026, 12, 5, 6, 0)
    return Article(url_key="k", url="http://x/", published=published, first_seen=seen)


def test_as_of_is_the_publication_date_whatever_the_evidence() -> None:
    assert as_of(_article(date(2023, 6, 19)), date(2024, 3, 1)) == date(2023, 6, 19)


def test_an_undated_article_is_as_of_its_earliest_evidence() -> None:
    assert as_of(_article(None), date(2024, 3, 1)) == date(2024, 3, 1)
    assert as_of(_article(None)) == date(2026, 12, 5)  # first seen, the only evidence
    assert as_of(_article(None), date(2027, 1, 1)) == date(2026, 12, 5)  # never later
