"""News-search wrapper links: what a search feed's `<link>` really points to.

News-search feeds rarely link to the article. Bing News RSS links to its click counter
(`…/apiclick.aspx?…&url=<the article>`), which carries the target in the link itself;
old Google News ids (`…/rss/articles/CBMi…`) are base64 of a small record holding the
article URL; since 2024 Google News ids are opaque tokens whose page is a JavaScript
interstitial, and the article URL can only be had from an undocumented private RPC,
which pressmon never calls. So a link is one of:

- `decoded`: the target came out of the link itself, with no request;
- `direct`: a plain URL (perhaps a redirector), requested as any article is, its
  redirects followed within the crawl's caps;
- `opaque`: an aggregator token that no request can resolve without the private API;
  the item is kept as a headline instead.

Recognition is by the link's shape (a `url=` parameter, an `/articles/<token>` path),
not by host, so a mirror or the sample newsroom's stand-ins resolve the same way.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Literal, NamedTuple
from urllib.parse import parse_qs, urlsplit

How = Literal["direct", "decoded", "opaque"]

# Query parameters a click-tracking wrapper carries its target in (Bing News: url=).
TARGET_PARAMETERS = ("url",)
# A Google News article id: /rss/articles/<id>, /articles/<id>, /read/<id> (2024 web form).
_ARTICLE_ID = re.compile(r"/(?:rss/)?(?:articles|read)/([A-Za-z0-9_-]{16,})/?$")
_URL_IN_BYTES = re.compile(rb"https?://[\x21-\x7e]+")


class Resolved(NamedTuple):
    """Where a feed link leads: `url` to request (None when opaque) and how it was found."""

    url: str | None
    how: How


def resolve_link(link: str) -> Resolved:
    """Unwrap a search feed's link without any request; `opaque` when only the aggregator knows."""
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    for name in TARGET_PARAMETERS:
        for value in query.get(name, ()):
            if re.match(r"https?://[^/\s]+", value):
                return Resolved(value, "decoded")
    match = _ARTICLE_ID.search(parts.path)
    if match is not None:
        target = decode_article_id(match.group(1))
        return Resolved(target, "decoded") if target else Resolved(None, "opaque")
    return Resolved(link, "direct")


def decode_article_id(token: str) -> str | None:
    """The URL an old-style Google News id holds in its base64 record, else None.

    The record is a protobuf message whose field 4 is the article URL; newer ids hold
    an encrypted reference instead, which only Google's own pages can resolve.
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    found = _URL_IN_BYTES.search(raw)
    if found is None:
        return None
    # The field's length (a varint) precedes the URL: the next field's tag may be printable.
    start = found.start()
    for size in (1, 2):
        head = raw[max(0, start - size) : start]
        if len(head) != size or head[-1] >= 0x80 or any(b < 0x80 for b in head[:-1]):
            continue
        length = sum((b & 0x7F) << (7 * i) for i, b in enumerate(head))
        candidate = raw[start : start + length]
        if len(candidate) == length and _URL_IN_BYTES.fullmatch(candidate):
            return candidate.decode("ascii")
    return found.group().decode("ascii")


def is_interstitial(url: str) -> bool:
    """A URL that is an aggregator's own page for an item, never the publisher's article."""
    return resolve_link(url).how == "opaque"


def headline_title(title: str, publisher: str | None) -> str:
    """The item's title without the " - Publisher" suffix aggregators append."""
    title = " ".join(title.split())
    if publisher:
        for dash in (" - ", " – ", " — ", " | "):
            suffix = f"{dash}{publisher.strip()}"
            if title.endswith(suffix):
                return title[: -len(suffix)].strip()
    return title
