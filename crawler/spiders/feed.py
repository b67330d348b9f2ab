"""Feeds: RSS 2.0, Atom and RDF through feedparser; each entry's link is an article.

A news-search feed (`SearchSpider`) links through the aggregator: each link is unwrapped
first (`crawler.wrappers`), and an item whose link cannot be resolved is kept as a
headline (`crawler.headlines`). Every item is accounted for: seen, resolved, kept as a
headline, requested, or skipped with its reason in the crawl's record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import feedparser
from scrapy.http import Request, Response

from crawler.headlines import Headline, keep_headline
from crawler.items import Fetched, Hints
from crawler.spiders.base import SourceSpider
from crawler.wrappers import headline_title, is_interstitial, resolve_link

# feedparser flags these but parses the feed in full: no reason to count an error.
HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _entry_date(entry: feedparser.FeedParserDict) -> date | None:
    parsed = entry.get("published_parsed")  # an Atom <updated> is not a publication date
    return date(*parsed[:3]) if parsed else None


def _entry_updated(entry: feedparser.FeedParserDict) -> date | None:
    """An entry's <updated>: evidence of an undated article's age, not its publication date.

    feedparser's own `get` falls back to the published date, with a warning."""
    parsed = dict.get(entry, "updated_parsed")  # the plain dict lookup: no fallback
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
            self.tally.counts["items"] += 1
            link = entry.get("link")
            if not link:
                self.tally.skip(response.url, f"item without a link: {entry.get('title', '')!r}")
                continue
            yield from self.follow_entry(response, entry, response.urljoin(link))

    def follow_entry(
        self, response: Response, entry: feedparser.FeedParserDict, link: str
    ) -> Iterator[Request]:
        """Request an entry's article, or say in the record why not."""
        hints = Hints(
            title=entry.get("title"), published=_entry_date(entry), modified=_entry_updated(entry)
        )
        yield from self.request_item(link, hints)

    def request_item(self, url: str, hints: Hints) -> Iterator[Request]:
        request = self.article_request(url, hints)
        if request is not None:
            yield request
        elif not url.startswith(("http://", "https://")):
            self.tally.skip(url, "not an http(s) link")
        elif not self.follow(url):
            self.tally.skip(url, "outside the source's allow/deny patterns")
        else:  # asked for already, in this crawl or by another worker
            self.tally.skip(url, "listed twice")


class SearchSpider(FeedSpider):
    """A news-search feed: entries point to other sites, often through a wrapper link."""

    name = "search"

    def follow_entry(
        self, response: Response, entry: feedparser.FeedParserDict, link: str
    ) -> Iterator[Request]:
        source = entry.get("source") or {}
        publisher = source.get("title") or None
        title = headline_title(entry.get("title") or "", publisher)
        hints = Hints(title=title or None, published=_entry_date(entry))
        resolved = resolve_link(link)
        if resolved.url is not None:
            if resolved.how == "decoded":
                self.tally.counts["resolved"] += 1
            yield from self.request_item(resolved.url, hints)
            return
        if not title:
            self.tally.skip(link, "unresolvable link and no title")
            return
        item = Headline(title, link, publisher, source.get("href") or None, hints.published)
        # Under the lock crawl workers store pages under: a headline and its article stored
        # at once by two workers would otherwise both be kept, neither seeing the other.
        with self.context.processor.serialise(None):  # every page writer out of the way
            kept = keep_headline(
                self.context.store,
                self.context.watch,
                self.context.processor.source_ids.get(self.source.name),
                item,
            )
        if kept in ("headline", "known"):  # new, or stored by an earlier crawl
            self.tally.counts["headlines"] += 1
        elif kept == "article":
            self.tally.skip(link, "unresolvable link; its article is stored already")
        else:
            self.tally.skip(link, "unresolvable link; the headline is not relevant")

    def fetched(self, response: Response) -> Iterator[Fetched]:
        """An article response, unless a redirect ended on the aggregator's own page."""
        if is_interstitial(response.url):
            self.tally.skip(response.url, "the aggregator's interstitial page, not an article")
            return
        first = (response.meta.get("redirect_urls") or [response.url])[0]
        if first != response.url:
            self.tally.counts["resolved"] += 1  # a plain redirect, followed within the caps
        yield from super().fetched(response)
