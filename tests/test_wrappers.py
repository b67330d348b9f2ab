"""News-search wrapper links: decoded without a request, or known to be opaque."""

from __future__ import annotations

import base64

from crawler.wrappers import decode_article_id, headline_title, is_interstitial, resolve_link
from samplesite.aggregators import old_style_id, opaque_id

ARTICLE = "https://www.example.com/news/2024/05/hkstp-occupancy.html"


def test_bing_click_counter_carries_the_article_url() -> None:
    link = (
        "http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=ABC"
        "&url=https%3a%2f%2fwww.example.com%2fnews%2f2024%2f05%2fhkstp-occupancy.html"
        "&c=123&mkt=en-hk"
    )
    assert resolve_link(link) == (ARTICLE, "decoded")


def test_old_style_google_id_holds_the_url_even_when_long() -> None:
    assert resolve_link(f"https://news.google.com/rss/articles/{old_style_id(ARTICLE)}?oc=5") == (
        ARTICLE,
        "decoded",
    )
    long = ARTICLE + "?" + "x" * 200  # a two-byte length before the URL
    assert decode_article_id(old_style_id(long)) == long
    # the record's next field may start with a printable byte: the length decides
    record = b"\x08\x13\x22" + bytes([len(ARTICLE)]) + ARTICLE.encode() + b"*\x02en"
    assert decode_article_id(base64.urlsafe_b64encode(record).decode()) == ARTICLE


def test_new_style_google_id_is_opaque_and_its_page_an_interstitial() -> None:
    link = f"https://news.google.com/rss/articles/{opaque_id('x')}?oc=5"
    assert resolve_link(link) == (None, "opaque")
    assert is_interstitial(link)
    assert not is_interstitial(ARTICLE)


def test_a_plain_link_or_redirector_is_requested_as_it_is() -> None:
    assert resolve_link(ARTICLE) == (ARTICLE, "direct")
    assert resolve_link("https://t.example/go/123") == ("https://t.example/go/123", "direct")
    assert resolve_link("https://x.example/a?url=not-a-url").how == "direct"


def test_headline_title_loses_the_publisher_suffix_only() -> None:
    assert headline_title("HKSTP grows - The Standard", "The Standard") == "HKSTP grows"
    assert headline_title("A - B - The Standard", "The Standard") == "A - B"
    assert headline_title("HKSTP grows - The Standard", None) == "HKSTP grows - The Standard"
