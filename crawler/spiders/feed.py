"""Feeds: RSS 2.0, Atom and RDF through feedparser; each entry's link is an article."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import feedparser
from scrapy.http import Request, Response

from crawler.items import Hints
from crawler.spiders.base import SourceSpider

# feedparser flags these but parses the feed in full: no reason to count an error.
HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _entry_date(entry: feedparser.FeedParserDict) -> date | None:
    parsed = entry.get("published_parsed")  # an Atom <updated> is not a publication date
    return date(*parsed[:3]) if parsed else None


class FeedSpider(SourceSpider):
    """A site's own feed of articles."""

    name = "feed"

    def discover(self, response: Response) -> Iterator[Request]:
        feed = feedparser.parse(response.body)
        if feed.get("bozo") and not isinstance(feed.get("bozo_exception"), HARMLESS):
            # Still follow what parsed: a feed broken at item 40 has 39 good items.
            self.record_error(response.url, f"malformed feed: {feed.get('bozo_exception')}")
        for entry in feed.entries:
            link = entry.get("link")
            if not link:
                continue
            hints = Hints(title=entry.get("title"), published=_entry_date(entry))
            request = self.article_request(response.urljoin(link), hints)
            if request is not None:
                yield request


class SearchSpider(FeedSpider):
    """A news-search feed: the same parsing, but entries point to other sites."""

    name = "search"
