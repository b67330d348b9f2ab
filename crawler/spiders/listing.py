"""Listings: newsroom pages without a feed; follow pagination until a page adds nothing new."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.url import url_has_any_extension

from crawler.spiders.base import SourceSpider

NEXT_TEXT = re.compile(r"^\s*(next|older|more)\b|下一頁|下一页|下頁|›|»", re.IGNORECASE)


class ListingSpider(SourceSpider):
    """Pick article links by the source's allow patterns; page on while they are new."""

    name = "listing"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = LinkExtractor(allow=self.source.allow, deny=self.source.deny)

    def discover(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse):
            kind = (response.headers.get("Content-Type") or b"").decode("latin-1") or "no type"
            self.record_error(response.url, f"listing page is not text ({kind})")
            return
        links = self.article_links(response)
        fresh = [url for url in links if not self.is_known(url)]
        for url in links:
            request = self.article_request(url)
            if request is not None:
                yield request
        if not fresh:
            self.logger.info("listing %s has nothing new: stop paging", response.url)
            return
        following = self.next_page(response)
        if following:
            yield Request(following, callback=self.discover, errback=self.failed)

    def article_links(self, response: TextResponse) -> list[str]:
        """The page's links that the source's allow/deny rules take, in order, at most
        `max_links_per_page` of them.

        Walks the parsed tree itself instead of asking for every link at once: a page of
        50,000 links would otherwise become 50,000 selector and link objects in memory.
        """
        cap = self.context.settings.max_links_per_page
        taken: dict[str, None] = {}
        offered = 0
        for anchor in response.selector.root.iter("a", "area"):
            href = anchor.get("href")
            if not href or not href.strip():
                continue
            url = response.urljoin(href.strip())
            if url in taken or url_has_any_extension(url, self.links.deny_extensions):
                continue
            if not self.links.matches(url):
                continue
            offered += 1
            if len(taken) < cap:
                taken[url] = None
        if offered > cap:
            self.logger.warning(
                "listing %s offers %d article links: took the first %d", response.url, offered, cap
            )
        return list(taken)

    @staticmethod
    def next_page(response: TextResponse) -> str | None:
        """The rel=next link, else a link whose text says next (read off the parsed tree)."""
        root = response.selector.root
        href = None
        for element in root.iter("link", "a"):
            if "next" in (element.get("rel") or "").lower().split() and element.get("href"):
                href = element.get("href")
                break
        if href is None:
            for anchor in root.iter("a"):
                if not anchor.get("href"):
                    continue
                text = " ".join(anchor.itertext())
                if NEXT_TEXT.search(text) or NEXT_TEXT.search(anchor.get("aria-label") or ""):
                    href = anchor.get("href")
                    break
        return response.urljoin(href) if href else None
