"""The sample newsroom's news-search aggregators: wrapper links as real ones make them.

Two search feeds list the same articles as `/search/rss` (the content files with
`extra.search`), each the way a real aggregator links:

- `/search/bing?q=HKSTP`: Bing News RSS style. Each link is a click counter,
  `/bing/apiclick.aspx?…&url=<the article>`, which answers 302 to the article; one
  item instead goes through a plain redirector (`/go/<id>`, 302, no target in the link).
- `/search/gnews?q=HKSTP`: Google News RSS style. Titles end in " - Publisher", each item
  has `<source url=…>`, and links are `/gnews/rss/articles/<id>?oc=5`. Every id but one is
  opaque (as since 2024); one is an old-style id whose base64 holds the article URL. An
  opaque link answers with a JavaScript interstitial, never the article. Two items are
  about pages the sample site does not serve (another publisher's), one relevant, one not.

Other queries get an empty feed, as `/search/rss` does.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from samplesite.articles import Article, in_edition

OPAQUE_PREFIX = b"AU_yqL"  # what a 2024 Google News id holds: a reference, not a URL


@dataclass(frozen=True)
class Elsewhere:
    """A news-search item about a page on another publisher's site (only a headline)."""

    title: str
    publisher: str
    site: str
    published: str  # RFC 2822
    relevant: bool


ELSEWHERE = (
    Elsewhere(
        "HKSTP tenants say lab space is the new bottleneck",
        "The Standard",
        "https://www.thestandard.com.hk",
        "Thu, 02 May 2024 08:00:00 GMT",
        True,
    ),
    Elsewhere(
        "Cambridge Science Park adds a new laboratory building",
        "Business Weekly",
        "https://www.businessweekly.co.uk",
        "Tue, 14 May 2024 08:00:00 GMT",
        False,
    ),
)


def searched(edition: int) -> list[Article]:
    """The articles a search for HKSTP finds, newest first."""
    return [a for a in in_edition(edition) if a.extra.get("search")]


def plainly_redirected(edition: int) -> Article:
    """The one Bing item linked through a plain redirector rather than a url= wrapper."""
    return searched(edition)[-1]


def decodable(edition: int) -> Article:
    """The one Google News item whose id is old-style: its base64 holds the article URL."""
    return searched(edition)[0]


def old_style_id(url: str) -> str:
    """A pre-2024 Google News article id: base64 of a small protobuf record holding `url`."""
    raw = url.encode()
    length = bytes([len(raw)]) if len(raw) < 128 else bytes([len(raw) & 0x7F | 0x80, len(raw) >> 7])
    record = b"\x08\x13\x22" + length + raw + b"\xd2\x01\x00"
    return base64.urlsafe_b64encode(record).decode().rstrip("=")


def opaque_id(key: str) -> str:
    """A 2024-style id: a reference only the aggregator can resolve, no URL inside."""
    ref = OPAQUE_PREFIX + hashlib.sha256(key.encode()).digest()
    record = b"\x08\x13\x22" + bytes([len(ref)]) + ref
    return base64.urlsafe_b64encode(record).decode().rstrip("=")


Dated = Callable[[Article], str | None]  # an article's RFC 2822 date in a feed


def bing_items(edition: int, base: str, date: Dated, names: dict[str, str]) -> list[dict]:
    items = []
    for n, article in enumerate(searched(edition)):
        target = base + article.path_in(edition)
        if article is plainly_redirected(edition):
            link = f"{base}/go/{article.id}"
        else:
            link = (
                f"{base}/bing/apiclick.aspx?ref=FexRss&aid=&tid={n}"
                f"&url={quote(target, safe='')}&c={n}&mkt=en-us"
            )
        items.append({"url": link, "title": article.title, "date": date(article)})
    return items


def gnews_items(edition: int, base: str, date: Dated, names: dict[str, str]) -> list[dict]:
    items = []
    for article in searched(edition):
        target = base + article.path_in(edition)
        token = old_style_id(target) if article is decodable(edition) else opaque_id(article.id)
        publisher = names[article.site]
        items.append(
            {
                "url": f"{base}/gnews/rss/articles/{token}?oc=5",
                "title": f"{article.title} - {publisher}",
                "date": date(article),
                "source": publisher,
                "source_url": f"{base}/{article.site}/",
            }
        )
    for other in ELSEWHERE:
        items.append(
            {
                "url": f"{base}/gnews/rss/articles/{opaque_id(other.title)}?oc=5",
                "title": f"{other.title} - {other.publisher}",
                "date": other.published,
                "source": other.publisher,
                "source_url": other.site,
            }
        )
    return items


def redirect_target(edition: int, article_id: str, base: str) -> str | None:
    """Where `/go/<id>` sends a reader: the article, if the edition serves it."""
    for article in searched(edition):
        if article.id == article_id:
            return base + article.path_in(edition)
    return None


INTERSTITIAL = (
    "<!DOCTYPE html><html><head><title>Google News</title>"
    "<script>/* resolves the article id through a private RPC, then navigates */"
    "window.setTimeout(function(){document.body.className='loading'},0);</script>"
    "</head><body><p>Opening the article about Hong Kong Science Park, HKSTP and "
    "Hong Kong Science and Technology Parks Corporation…</p></body></html>"
)
