"""URLs: canonical forms for dedupe, and composable rules for which links to follow.

Canonicalisation leans on courlan (tracking parameters, default ports, query
order, trailing slashes) and w3lib (fragments, percent-encoding); the only
rule added here is that scheme and `www.` do not make two pages different.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url
from w3lib.url import canonicalize_url


def canonical_url(url: str) -> str:
    """The URL an article is stored under: trackers, fragment and default port removed."""
    cleaned = normalize_url(url, strict=False, trailing_slash=False)
    return canonicalize_url(cleaned, keep_fragments=False)


@lru_cache(maxsize=4096)
def url_key(url: str) -> str:
    """Identity of a page: its canonical URL without scheme, `www.` or trailing slash.

    Cached: a crawl asks it of each page's URLs several times (known URLs, stored
    articles, fetch states), and canonicalising cost more than the asking."""
    parts = urlsplit(canonical_url(url))
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/")  # courlan keeps a trailing slash when a query follows
    return urlunsplit(("", host, path, parts.query, "")).removeprefix("//")


@dataclass(frozen=True)
class UrlRule:
    """A predicate on URLs that composes with `&`, `|` and `~`."""

    test: Callable[[str], bool]

    def __call__(self, url: str) -> bool:
        return self.test(url)

    def __and__(self, other: UrlRule) -> UrlRule:
        return UrlRule(lambda url: self(url) and other(url))

    def __or__(self, other: UrlRule) -> UrlRule:
        return UrlRule(lambda url: self(url) or other(url))

    def __invert__(self) -> UrlRule:
        return UrlRule(lambda url: not self(url))


def matches_any(patterns: Iterable[str]) -> UrlRule:
    """True when the URL matches one of the regexes."""
    compiled = [re.compile(p) for p in patterns]
    return UrlRule(lambda url: any(rx.search(url) for rx in compiled))


ANY = UrlRule(lambda url: True)
NOTHING = UrlRule(lambda url: False)


def follow_rule(allow: Iterable[str], deny: Iterable[str]) -> UrlRule:
    """Allowed (or no allow list) and not denied."""
    allow, deny = list(allow), list(deny)
    allowed = matches_any(allow) if allow else ANY
    denied = matches_any(deny) if deny else NOTHING
    return allowed & ~denied
