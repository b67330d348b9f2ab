"""Listings: newsroom pages without a feed; follow pagination until a page adds nothing new."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor

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
        links = [link.url for link in self.links.extract_links(response)]
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

    @staticmethod
    def next_page(response: Response) -> str | None:
        """The rel=next link, else a link whose text says next."""
        href = response.css("link[rel~=next]::attr(href), a[rel~=next]::attr(href)").get()
        if href is None:
            for anchor in response.css("a[href]"):
                text = " ".join(anchor.css("::text").getall())
                if NEXT_TEXT.search(text) or NEXT_TEXT.search(anchor.attrib.get("aria-label", "")):
                    href = anchor.attrib["href"]
                    break
        return response.urljoin(href) if href else None
