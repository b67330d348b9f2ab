"""One generic spider per source kind; `SPIDERS[kind]` picks it."""

from crawler.spiders.base import SourceSpider
from crawler.spiders.feed import FeedSpider, SearchSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import SitemapSpider

SPIDERS: dict[str, type[SourceSpider]] = {
    "feed": FeedSpider,
    "search": SearchSpider,
    "sitemap": SitemapSpider,
    "listing": ListingSpider,
}

__all__ = ["SPIDERS", "SourceSpider"]
