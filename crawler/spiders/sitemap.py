"""Sitemaps: indexes, urlsets and news sitemaps, with `lastmod` filtering.

Scrapy's own sitemap parser drops the nested `news:` fields, so this reads the
XML with lxml and keeps `news:publication_date` and `news:title` as hints.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lxml import etree
from scrapy.http import Request, Response

from crawler.items import Hints
from crawler.spiders.base import SourceSpider

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: datetime | None
    title: str | None
    published: date | None


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def parse_sitemap(body: bytes, max_bytes: int) -> tuple[list[str], list[SitemapUrl]]:
    """(child sitemaps, page URLs) of a sitemap index or urlset; raises ValueError if malformed."""
    if body[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
            body = unzipped.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise ValueError(f"gzipped sitemap inflates beyond {max_bytes} bytes")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"malformed sitemap XML: {exc}") from None
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        return [loc.strip() for loc in root.xpath("sm:sitemap/sm:loc/text()", namespaces=NS)], []
    if tag != "urlset":
        raise ValueError(f"not a sitemap: root element <{tag}>")
    urls = []
    for node in root.xpath("sm:url", namespaces=NS):
        loc = node.findtext("sm:loc", namespaces=NS)
        if not loc:
            continue
        published = _when(node.findtext("news:news/news:publication_date", namespaces=NS))
        urls.append(
            SitemapUrl(
                loc=loc.strip(),
                lastmod=_when(node.findtext("sm:lastmod", namespaces=NS)),
                title=node.findtext("news:news/news:title", namespaces=NS),
                published=published.date() if published else None,
            )
        )
    return [], urls


class SitemapSpider(SourceSpider):
    """Follow a sitemap index down to its pages; skip pages not modified since our last fetch."""

    name = "sitemap"

    def discover(self, response: Response) -> Iterator[Request]:
        try:
            children, urls = parse_sitemap(response.body, self.context.settings.max_page_bytes)
        except ValueError as exc:
            self.record_error(response.url, str(exc))
            return
        for child in children:
            yield Request(response.urljoin(child), callback=self.discover, errback=self.failed)
        for entry in urls:
            known = self.context.known.get_url(entry.loc)
            if (
                known is not None
                and known.last_fetched
                and entry.lastmod
                and entry.lastmod <= known.last_fetched
            ):
                self.context.processor.touch(entry.loc, known)
                self.tally.counts["unchanged"] += 1
                continue
            hints = Hints(
                title=entry.title,
                published=entry.published,
                modified=entry.lastmod.date() if entry.lastmod else None,
            )
            request = self.article_request(response.urljoin(entry.loc), hints)
            if request is not None:
                yield request
