"""URL identity and link rules: which addresses are one page, and which links a spider follows."""

from __future__ import annotations

import pytest

from crawler.urls import ANY, NOTHING, UrlRule, canonical_url, follow_rule, matches_any, url_key

ARTICLE = "https://example.com/news/park-opens?id=3"

# (what a link in the wild looks like, the canonical URL an article is stored under)
CANONICAL = [
    ("https://example.com/news/park-opens?id=3&utm_source=feed&utm_medium=rss", ARTICLE),
    ("https://example.com/news/park-opens?utm_campaign=x&id=3&utm_content=y", ARTICLE),
    ("https://example.com/news/park-opens?id=3&fbclid=IwAR0abc", ARTICLE),
    ("https://example.com/news/park-opens?gclid=Cj0KCQ&id=3", ARTICLE),
    ("https://example.com/news/park-opens?id=3#comments", ARTICLE),
    ("https://example.com:443/news/park-opens?id=3", ARTICLE),
    ("http://example.com:80/news/a", "http://example.com/news/a"),
    ("https://example.com/list?page=2&lang=en", "https://example.com/list?lang=en&page=2"),
    ("https://EXAMPLE.com/news/a", "https://example.com/news/a"),
    ("https://example.com/news/a/", "https://example.com/news/a"),
    ("https://example.com/news/科學園", "https://example.com/news/%E7%A7%91%E5%AD%B8%E5%9C%92"),
    ("http://127.0.0.1:8765/hkstp/a.html?utm_source=x", "http://127.0.0.1:8765/hkstp/a.html"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonical_url_drops_what_does_not_name_the_page(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com:8443/news/a",
        "http://127.0.0.1:8765/hkstp/a.html",
    ],
)
def test_canonical_url_keeps_a_non_default_port(url: str) -> None:
    host_and_port = url.split("/")[2]
    assert canonical_url(url).split("/")[2] == host_and_port


# Groups of addresses of one page: every member must share one url_key.
SAME_PAGE = [
    pytest.param(
        [
            "https://www.example.com/news/park-opens?id=3",
            "http://www.example.com/news/park-opens?id=3",
            "https://example.com/news/park-opens?id=3",
            "http://example.com/news/park-opens?id=3",
            "https://example.com:443/news/park-opens?id=3#top",
            "http://www.example.com:80/news/park-opens?utm_source=x&id=3",
        ],
        id="scheme-www-port-tracker-fragment",
    ),
    pytest.param(
        [
            "https://example.com/news/park-opens",
            "https://example.com/news/park-opens/",
            "https://www.example.com/news/park-opens/",
            "http://example.com/news/park-opens/#x",
        ],
        id="trailing-slash",
    ),
    pytest.param(
        [
            "https://example.com/search?q=hkstp&page=2",
            "https://example.com/search?page=2&q=hkstp",
            "https://example.com/search?page=2&q=hkstp&fbclid=abc&gclid=def",
        ],
        id="query-order-and-trackers",
    ),
    pytest.param(
        [
            "http://127.0.0.1:8765/hkstp/news/2023-occupancy.html",
            "http://127.0.0.1:8765/hkstp/news/2023-occupancy.html?utm_medium=email",
            "http://127.0.0.1:8765/hkstp/news/2023-occupancy.html#body",
        ],
        id="loopback-with-port",
    ),
]


@pytest.mark.parametrize("urls", SAME_PAGE)
def test_addresses_of_one_page_share_a_key(urls: list[str]) -> None:
    keys = {url_key(u) for u in urls}
    assert len(keys) == 1, keys


def test_trailing_slash_before_a_query_gives_the_same_key() -> None:
    assert url_key("https://example.com/news/a/?id=3") == url_key("https://example.com/news/a?id=3")


def test_url_key_has_neither_scheme_nor_www() -> None:
    assert url_key("https://www.example.com/news/a?id=3") == "example.com/news/a?id=3"
    assert url_key("http://127.0.0.1:8765/hkstp/a.html") == "127.0.0.1:8765/hkstp/a.html"


# Pairs that are different pages and must keep different keys.
DIFFERENT_PAGES = [
    ("https://example.com/news/a", "https://example.com/news/b"),
    ("https://example.com/news/a?id=3", "https://example.com/news/a?id=4"),
    ("https://example.com/news/a?id=3", "https://example.com/news/a"),
    ("https://example.com/list?page=1", "https://example.com/list?page=2"),
    ("https://example.com/news/a", "https://other.example.com/news/a"),
    ("https://example.com/news/a", "https://www2.example.com/news/a"),
    ("http://127.0.0.1:8765/a.html", "http://127.0.0.1:8766/a.html"),
]


@pytest.mark.parametrize(("one", "other"), DIFFERENT_PAGES)
def test_different_pages_keep_different_keys(one: str, other: str) -> None:
    assert url_key(one) != url_key(other)


# follow_rule(allow, deny): (allow, deny, url, followed?)
FOLLOW = [
    ([], [], "https://example.com/anything", True),
    ([r"/news/"], [], "https://example.com/news/a", True),
    ([r"/news/"], [], "https://example.com/about", False),
    ([r"/news/", r"/press/"], [], "https://example.com/press/b", True),
    ([], [r"\.pdf$"], "https://example.com/news/report.pdf", False),
    ([], [r"\.pdf$"], "https://example.com/news/report.html", True),
    ([r"/news/"], [r"/news/tag/"], "https://example.com/news/tag/ai", False),
    ([r"/news/"], [r"/news/tag/"], "https://example.com/news/2024/a", True),
    ([r"^http://127\.0\.0\.1:\d+/hkstp/"], [], "http://127.0.0.1:8765/hkstp/a.html", True),
    ([r"^http://127\.0\.0\.1:\d+/hkstp/"], [], "http://127.0.0.1:8765/wire/a.html", False),
]


@pytest.mark.parametrize(("allow", "deny", "url", "followed"), FOLLOW)
def test_follow_rule_allows_then_denies(
    allow: list[str], deny: list[str], url: str, followed: bool
) -> None:
    assert follow_rule(allow, deny)(url) is followed


def test_follow_rule_takes_iterators_once() -> None:
    rule = follow_rule(iter([r"/news/"]), iter([r"/tag/"]))
    assert rule("https://example.com/news/a")
    assert rule("https://example.com/news/b")
    assert not rule("https://example.com/news/tag/a")


NEWS = matches_any([r"/news/"])
CHINESE = matches_any([r"/zh/"])


@pytest.mark.parametrize(
    ("rule", "url", "expected"),
    [
        (NEWS & CHINESE, "https://example.com/zh/news/a", True),
        (NEWS & CHINESE, "https://example.com/en/news/a", False),
        (NEWS | CHINESE, "https://example.com/en/news/a", True),
        (NEWS | CHINESE, "https://example.com/zh/about", True),
        (NEWS | CHINESE, "https://example.com/en/about", False),
        (~NEWS, "https://example.com/en/about", True),
        (~NEWS, "https://example.com/en/news/a", False),
        (NEWS & ~CHINESE, "https://example.com/en/news/a", True),
        (NEWS & ~CHINESE, "https://example.com/zh/news/a", False),
        (~(NEWS | CHINESE), "https://example.com/zh/news/a", False),
        (ANY & NEWS, "https://example.com/news/a", True),
        (NOTHING | NEWS, "https://example.com/about", False),
        (~NOTHING, "https://example.com/about", True),
    ],
)
def test_rules_compose(rule: UrlRule, url: str, expected: bool) -> None:
    assert rule(url) is expected
